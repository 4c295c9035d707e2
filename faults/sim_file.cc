// SimFile, SimMappedRegion, and the SimDisk data paths they call.
#include "faults/sim_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "faults/sim_disk.h"

namespace crashdrill::faults {

using system::Result;
using system::Status;
using system::StatusCode;

SimFile::SimFile(SimDisk* disk, std::shared_ptr<SimInode> inode, std::string path,
                 uint64_t generation, bool read_only)
    : disk_(disk),
      inode_(std::move(inode)),
      path_(std::move(path)),
      generation_(generation),
      read_only_(read_only) {
  ++inode_->open_handles;
}

SimFile::~SimFile() {
  if (generation_ == disk_->generation_ && inode_->open_handles > 0) --inode_->open_handles;
}

Status SimFile::CheckAlive(std::string_view op) const {
  return disk_->CheckGeneration(generation_, op, path_);
}

Result<size_t> SimFile::ReadAt(uint64_t offset, system::MutableByteSpan out) {
  CD_RETURN_IF_ERROR(CheckAlive("read"));
  std::vector<Fault> fired;
  const OpInfo op{.op = OpClass::kRead,
                  .name = "read",
                  .path = path_,
                  .has_range = true,
                  .offset = offset,
                  .length = out.size()};
  CD_RETURN_IF_ERROR(disk_->BeginOp(op, fired));
  for (const Fault& fault : fired) {
    if (fault.kind == FaultKind::kIoError) return disk_->FailWith(fault, op);
    if (fault.kind == FaultKind::kBitFlip || fault.kind == FaultKind::kZeroSector) {
      disk_->Corrupt(*inode_, path_, fault.kind);
    }
  }
  return disk_->ReadInode(*inode_, path_, offset, out);
}

Status SimFile::WriteAt(uint64_t offset, system::ByteSpan data) {
  return Write("write", offset, data, /*append=*/false);
}

Status SimFile::Append(system::ByteSpan data) { return Write("append", 0, data, true); }

Status SimFile::Write(std::string_view name, uint64_t offset, system::ByteSpan data, bool append) {
  CD_RETURN_IF_ERROR(CheckAlive(name));
  if (read_only_) return Status::FromErrno(EBADF, name, path_);
  disk_->FoldMaps(*inode_);
  if (append) offset = inode_->cache.size();
  std::vector<Fault> fired;
  const OpInfo op{.op = OpClass::kWrite,
                  .name = name,
                  .path = path_,
                  .has_range = true,
                  .offset = offset,
                  .length = data.size()};
  CD_RETURN_IF_ERROR(disk_->BeginOp(op, fired));
  bool misdirect = false;
  for (const Fault& fault : fired) {
    switch (fault.kind) {
      case FaultKind::kIoError:
      case FaultKind::kNoSpace:
        return disk_->FailWith(fault, op);
      case FaultKind::kShortWrite: {
        const size_t half = data.size() / 2;
        CD_RETURN_IF_ERROR(disk_->WriteInode(*inode_, path_, offset, data.first(half)));
        disk_->Record(Probe::kShortWrite, path_, offset, data.size(),
                      fmt::format("{} of {} bytes written", half, data.size()));
        Status status = Status::FromErrno(ENOSPC, name, path_);
        status.Annotate(fmt::format("short write: {} of {} bytes written", half, data.size()));
        status.SetOffset(static_cast<int64_t>(offset + half));
        return std::move(status.MarkInjected());
      }
      case FaultKind::kMisdirectedWrite:
        misdirect = true;
        break;
      case FaultKind::kBitFlip:
      case FaultKind::kZeroSector:
        disk_->Corrupt(*inode_, path_, fault.kind);
        break;
      default:
        break;
    }
  }
  if (misdirect) offset = disk_->MisdirectedOffset(*inode_, path_, offset, data.size());
  return disk_->WriteInode(*inode_, path_, offset, data);
}

Status SimFile::Sync() {
  CD_RETURN_IF_ERROR(CheckAlive("sync"));
  std::vector<Fault> fired;
  const OpInfo op{.op = OpClass::kSync, .name = "sync", .path = path_};
  CD_RETURN_IF_ERROR(disk_->BeginOp(op, fired));
  for (const Fault& fault : fired) {
    if (fault.kind != FaultKind::kSyncFailure && fault.kind != FaultKind::kIoError) continue;
    // Linux: the failed writeback marks the pages clean; the data never reaches the disk
    // and the error is reported once. Here the page cache reverts to durable content.
    disk_->FoldMaps(*inode_);
    const size_t dropped = inode_->pending.size();
    inode_->pending.clear();
    RebuildCache(*inode_);
    disk_->RefreshMaps(*inode_);
    disk_->Record(Probe::kSyncFailure, path_, 0, 0,
                  fmt::format("fsync EIO; {} unsynced writes dropped", dropped));
    return std::move(Status::FromErrno(EIO, "sync", path_).MarkInjected());
  }
  return disk_->SyncInode(*inode_, path_);
}

Status SimFile::Truncate(uint64_t size) {
  CD_RETURN_IF_ERROR(CheckAlive("truncate"));
  if (read_only_) return Status::FromErrno(EBADF, "truncate", path_);
  std::vector<Fault> fired;
  const OpInfo op{.op = OpClass::kMeta, .name = "truncate", .path = path_};
  CD_RETURN_IF_ERROR(disk_->BeginOp(op, fired));
  for (const Fault& fault : fired) {
    if (fault.kind == FaultKind::kIoError) return disk_->FailWith(fault, op);
  }
  return disk_->TruncateInode(*inode_, path_, size);
}

Result<uint64_t> SimFile::Size() {
  CD_RETURN_IF_ERROR(CheckAlive("size"));
  std::vector<Fault> fired;
  const OpInfo op{.op = OpClass::kMeta, .name = "size", .path = path_};
  CD_RETURN_IF_ERROR(disk_->BeginOp(op, fired));
  for (const Fault& fault : fired) {
    if (fault.kind == FaultKind::kIoError) return disk_->FailWith(fault, op);
  }
  disk_->FoldMaps(*inode_);
  return static_cast<uint64_t>(inode_->cache.size());
}

Status SimFile::Allocate(uint64_t offset, uint64_t length) {
  CD_RETURN_IF_ERROR(CheckAlive("allocate"));
  std::vector<Fault> fired;
  const OpInfo op{.op = OpClass::kMeta, .name = "allocate", .path = path_};
  CD_RETURN_IF_ERROR(disk_->BeginOp(op, fired));
  for (const Fault& fault : fired) {
    if (fault.kind == FaultKind::kIoError || fault.kind == FaultKind::kNoSpace) {
      return disk_->FailWith(fault, op);
    }
  }
  disk_->FoldMaps(*inode_);
  const uint64_t end = offset + length;
  const uint64_t held = std::max<uint64_t>(inode_->cache.size(), inode_->allocated_bytes);
  const uint64_t used = disk_->used_bytes();
  const uint64_t free =
      used >= disk_->options_.capacity_bytes ? 0 : disk_->options_.capacity_bytes - used;
  if (end > held && end - held > free) {
    disk_->Record(Probe::kNoSpace, path_, offset, length, "allocate does not fit");
    return std::move(Status::FromErrno(ENOSPC, "allocate", path_).MarkInjected());
  }
  inode_->allocated_bytes = std::max(inode_->allocated_bytes, end);
  if (end > inode_->cache.size()) {  // posix_fallocate grows the size, as unsynced metadata
    disk_->AddPending(*inode_, PendingOp{.kind = PendingOp::Kind::kTruncate, .offset = end});
  }
  return Status::Ok();
}

Result<std::unique_ptr<system::MappedRegion>> SimFile::Map(uint64_t offset, size_t length) {
  CD_RETURN_IF_ERROR(CheckAlive("map"));
  std::vector<Fault> fired;
  const OpInfo op{.op = OpClass::kMeta, .name = "map", .path = path_};
  CD_RETURN_IF_ERROR(disk_->BeginOp(op, fired));
  for (const Fault& fault : fired) {
    if (fault.kind == FaultKind::kIoError) return disk_->FailWith(fault, op);
  }
  disk_->FoldMaps(*inode_);
  if (offset + length > inode_->cache.size()) {
    return Status::Error(
        StatusCode::kInvalidArgument, "map", path_,
        fmt::format("map [{}, +{}) beyond the {}-byte file", offset, length, inode_->cache.size()));
  }
  const auto begin = inode_->cache.begin() + static_cast<std::ptrdiff_t>(offset);
  auto region = std::make_unique<SimMappedRegion>(
      disk_, inode_, path_, offset,
      std::vector<std::byte>(begin, begin + static_cast<std::ptrdiff_t>(length)), generation_);
  inode_->maps.push_back(region.get());
  return std::unique_ptr<system::MappedRegion>(std::move(region));
}

SimMappedRegion::SimMappedRegion(SimDisk* disk, std::shared_ptr<SimInode> inode, std::string path,
                                 uint64_t offset, std::vector<std::byte> bytes, uint64_t generation)
    : disk_(disk),
      inode_(std::move(inode)),
      path_(std::move(path)),
      offset_(offset),
      bytes_(std::move(bytes)),
      generation_(generation) {}

SimMappedRegion::~SimMappedRegion() {
  if (detached_ || generation_ != disk_->generation_) return;
  disk_->FoldMaps(*inode_);
  std::erase(inode_->maps, this);
}

Status SimMappedRegion::Sync(size_t offset, size_t length) {
  if (detached_) {
    return Status::Error(StatusCode::kFailedPrecondition, "msync", path_,
                         "mapping from before the crash");
  }
  CD_RETURN_IF_ERROR(disk_->CheckGeneration(generation_, "msync", path_));
  if (offset > bytes_.size() || length > bytes_.size() - offset) {
    return Status::InvalidArgument("msync", fmt::format("range [{}, +{}) outside a {}-byte map",
                                                        offset, length, bytes_.size()));
  }
  std::vector<Fault> fired;
  const OpInfo op{.op = OpClass::kSync,
                  .name = "msync",
                  .path = path_,
                  .has_range = true,
                  .offset = offset_ + offset,
                  .length = length};
  CD_RETURN_IF_ERROR(disk_->BeginOp(op, fired));
  for (const Fault& fault : fired) {
    if (fault.kind == FaultKind::kIoError || fault.kind == FaultKind::kSyncFailure) {
      return disk_->FailWith(fault, op);
    }
  }
  disk_->FoldMaps(*inode_);
  const uint64_t begin = offset_ + offset;
  const uint64_t end = std::min<uint64_t>(begin + length, inode_->cache.size());
  if (begin >= end) return Status::Ok();
  if (inode_->durable.size() < end) inode_->durable.resize(end, std::byte{0});
  std::memcpy(inode_->durable.data() + begin, inode_->cache.data() + begin, end - begin);
  TrimPending(*inode_, begin, end);
  return Status::Ok();
}

// ---- SimDisk data paths ----

Status SimDisk::CheckGeneration(uint64_t generation, std::string_view op,
                                const std::string& path) const {
  if (generation == generation_) return Status::Ok();
  return Status::Error(StatusCode::kFailedPrecondition, op, path,
                       "file handle from before the crash");
}

Result<size_t> SimDisk::ReadInode(SimInode& inode, const std::string& /*path*/, uint64_t offset,
                                  system::MutableByteSpan out) {
  FoldMaps(inode);
  if (offset >= inode.cache.size()) return size_t{0};
  const size_t count = std::min<uint64_t>(out.size(), inode.cache.size() - offset);
  std::memcpy(out.data(), inode.cache.data() + offset, count);
  return count;
}

Status SimDisk::WriteInode(SimInode& inode, const std::string& path, uint64_t offset,
                           system::ByteSpan data) {
  FoldMaps(inode);
  const uint64_t held = std::max<uint64_t>(inode.cache.size(), inode.allocated_bytes);
  const uint64_t end = offset + data.size();
  const uint64_t used = used_bytes();
  const uint64_t free = used >= options_.capacity_bytes ? 0 : options_.capacity_bytes - used;
  if (end > held && end - held > free) {
    const uint64_t limit = held + free;  // the first file offset that does not fit
    const size_t fits = limit > offset ? static_cast<size_t>(limit - offset) : 0;
    Status status = Status::FromErrno(ENOSPC, "write", path);
    status.SetOffset(static_cast<int64_t>(offset + fits)).MarkInjected();
    if (fits == 0) {
      Record(Probe::kNoSpace, path, offset, data.size(), "device full");
      return status;
    }
    AddPending(inode, PendingOp{.offset = offset, .data = {data.begin(), data.begin() + fits}});
    RefreshMaps(inode);
    Record(Probe::kShortWrite, path, offset, data.size(),
           fmt::format("device full after {} of {} bytes", fits, data.size()));
    status.Annotate(fmt::format("short write: {} of {} bytes written", fits, data.size()));
    return status;
  }
  AddPending(inode, PendingOp{.offset = offset, .data = {data.begin(), data.end()}});
  RefreshMaps(inode);
  return Status::Ok();
}

Status SimDisk::SyncInode(SimInode& inode, const std::string& /*path*/) {
  FoldMaps(inode);
  uint64_t dirty = 0;
  for (const PendingOp& op : inode.pending) dirty += op.data.size();
  Charge(BytesTime(dirty, options_.cost.write_bytes_per_second));
  // The page cache is the durable bytes with the pending ops applied in order
  // (RebuildCache), so applying them to the durable bytes makes the two equal.
  // For a large file with a small dirty part (a preallocated WAL segment, a
  // record per sync: crashfs serves real engines from this) that is far less
  // than copying the whole cache; a copy is kept for heavily dirtied files.
  if (dirty < inode.cache.size() / 4) {
    for (const PendingOp& op : inode.pending) ApplyOp(inode.durable, op);
  }
  if (inode.durable.size() != inode.cache.size() || dirty >= inode.cache.size() / 4) {
    inode.durable = inode.cache;
  }
  inode.pending.clear();
  if (options_.model.dir_sync == DirSyncMode::kJournaled) CommitDirOps("");
  return Status::Ok();
}

Status SimDisk::TruncateInode(SimInode& inode, const std::string& /*path*/, uint64_t size) {
  FoldMaps(inode);
  AddPending(inode, PendingOp{.kind = PendingOp::Kind::kTruncate, .offset = size});
  inode.allocated_bytes = std::min(inode.allocated_bytes, size);
  RefreshMaps(inode);
  return Status::Ok();
}

void SimDisk::AddPending(SimInode& inode, PendingOp op) {
  op.op_index = op_index_;
  ApplyOp(inode.cache, op);
  inode.pending.push_back(std::move(op));
}

void SimDisk::FoldMaps(SimInode& inode) {
  for (SimMappedRegion* region : inode.maps) {
    const uint64_t begin = region->file_offset();
    if (begin >= inode.cache.size()) continue;  // stores beyond end of file are lost
    const std::vector<std::byte>& bytes = region->bytes();
    const size_t length = std::min<uint64_t>(bytes.size(), inode.cache.size() - begin);
    const std::byte* cached = inode.cache.data() + begin;
    const std::byte* mapped = bytes.data();
    if (std::memcmp(mapped, cached, length) == 0) continue;  // the common case: no store
    // The stored range: equal chunks skipped from both ends, then bytes (a
    // difference lies between, so both byte loops stop inside the range).
    constexpr size_t kChunk = 64;
    size_t first = 0;
    while (first + kChunk <= length && std::memcmp(mapped + first, cached + first, kChunk) == 0) {
      first += kChunk;
    }
    while (mapped[first] == cached[first]) ++first;
    size_t last = length;
    while (last - first >= kChunk &&
           std::memcmp(mapped + last - kChunk, cached + last - kChunk, kChunk) == 0) {
      last -= kChunk;
    }
    while (mapped[last - 1] == cached[last - 1]) --last;
    AddPending(inode, PendingOp{.offset = begin + first,
                                .data = {bytes.begin() + static_cast<std::ptrdiff_t>(first),
                                         bytes.begin() + static_cast<std::ptrdiff_t>(last)}});
  }
}

void SimDisk::RefreshMaps(SimInode& inode) {
  for (SimMappedRegion* region : inode.maps) {
    const uint64_t begin = region->file_offset();
    if (begin >= inode.cache.size()) continue;
    std::vector<std::byte>& bytes = region->bytes();
    const size_t length = std::min<uint64_t>(bytes.size(), inode.cache.size() - begin);
    std::memcpy(bytes.data(), inode.cache.data() + begin, length);
  }
}

uint64_t SimDisk::MisdirectedOffset(const SimInode& inode, const std::string& path, uint64_t offset,
                                    size_t length) {
  const uint64_t sector = options_.model.sector_bytes;
  const uint64_t span = std::max<uint64_t>(inode.cache.size(), offset + length);
  uint64_t landed = rng_.Below(span / sector + 1) * sector + offset % sector;
  if (landed == offset) landed += sector;
  Record(Probe::kMisdirectedWrite, path, offset, length, fmt::format("landed at {}", landed));
  return landed;
}

}  // namespace crashdrill::faults

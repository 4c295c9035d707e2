// SimDisk: the namespace operations, op accounting and fault dispatch. File data lives in
// sim_file.cc, crash resolution in sim_disk_crash.cc.
#include "faults/sim_disk.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <set>

#include "faults/sim_file.h"

namespace crashdrill::faults {

using system::Result;
using system::Status;
using system::StatusCode;

namespace {

bool IsRoot(const std::string& path) { return path == "/" || path == "."; }

}  // namespace

SimDisk::SimDisk(SimDiskOptions options)
    : options_(std::move(options)),
      rng_(options_.plan.seed),
      crash_rng_(Mix64(options_.plan.seed)),
      injector_(options_.plan) {
  assert(options_.model.Validate().ok());
}

SimDisk::~SimDisk() = default;

void SimDisk::Record(Probe probe, std::string_view path, uint64_t offset, uint64_t length,
                     std::string detail) {
  trace_.Record(FaultEvent{.op_index = op_index_,
                           .path = std::string(path),
                           .offset = offset,
                           .length = length,
                           .probe = probe,
                           .detail = std::move(detail)});
}

void to_json(nlohmann::json& json, const DiskCostModel& model) {
  json = nlohmann::json{{"sync_ns", model.sync_ns},
                        {"meta_op_ns", model.meta_op_ns},
                        {"read_bytes_per_second", model.read_bytes_per_second},
                        {"write_bytes_per_second", model.write_bytes_per_second},
                        {"cache_bytes_per_second", model.cache_bytes_per_second}};
}

void from_json(const nlohmann::json& json, DiskCostModel& model) {
  const DiskCostModel defaults;
  model.sync_ns = json.value("sync_ns", defaults.sync_ns);
  model.meta_op_ns = json.value("meta_op_ns", defaults.meta_op_ns);
  model.read_bytes_per_second = json.value("read_bytes_per_second", defaults.read_bytes_per_second);
  model.write_bytes_per_second =
      json.value("write_bytes_per_second", defaults.write_bytes_per_second);
  model.cache_bytes_per_second =
      json.value("cache_bytes_per_second", defaults.cache_bytes_per_second);
}

Status SimDisk::BeginOp(const OpInfo& op, std::vector<Fault>& fired) {
  if (halted_) {
    return Status::Error(StatusCode::kUnavailable, op.name, op.path,
                         "simulated disk crashed; waiting for Crash() to resolve it")
        .MarkInjected();
  }
  if (uncounted_) {
    fired.clear();
    return Status::Ok();
  }
  ++op_index_;
  const DiskCostModel& cost = options_.cost;
  switch (op.op) {
    case OpClass::kRead:
      Charge(BytesTime(op.length, cost.read_bytes_per_second));
      break;
    case OpClass::kWrite:
      Charge(BytesTime(op.length, cost.cache_bytes_per_second));
      break;
    case OpClass::kSync:
      // A file sync adds the write-back of its dirty bytes (SyncInode).
      Charge(cost.sync_ns + (op.has_range ? BytesTime(op.length, cost.write_bytes_per_second) : 0));
      break;
    case OpClass::kMeta:
      Charge(cost.meta_op_ns);
      break;
  }
  fired = injector_.Fire(op);
  for (const Fault& fault : fired) {
    if (fault.kind != FaultKind::kCrash) continue;
    halted_ = true;
    halted_kind_ = fault.crash_kind;
    Record(Probe::kCrashTriggered, op.path, op.offset, op.length,
           fmt::format("{} before {}", CrashKindName(fault.crash_kind), op.name));
    return Status::Error(StatusCode::kUnavailable, op.name, op.path,
                         "simulated disk crashed at this operation")
        .MarkInjected();
  }
  return Status::Ok();
}

Status SimDisk::FailWith(const Fault& fault, const OpInfo& op) {
  const bool no_space = fault.kind == FaultKind::kNoSpace || fault.kind == FaultKind::kShortWrite;
  Probe probe = Probe::kMetaError;
  if (no_space) {
    probe = Probe::kNoSpace;
  } else if (op.op == OpClass::kRead) {
    probe = Probe::kReadError;
  } else if (op.op == OpClass::kWrite) {
    probe = Probe::kWriteError;
  } else if (op.op == OpClass::kSync) {
    probe = Probe::kSyncFailure;
  }
  Record(probe, op.path, op.offset, op.length, fmt::format("{} fails", op.name));
  Status status = Status::FromErrno(no_space ? ENOSPC : EIO, op.name, op.path);
  if (op.has_range) status.SetOffset(static_cast<int64_t>(op.offset));
  return std::move(status.MarkInjected());
}

bool SimDisk::DirExists(const std::string& dir) const {
  if (IsRoot(dir)) return true;
  auto it = names_.find(dir);
  return it != names_.end() && it->second.is_dir;
}

uint64_t SimDisk::used_bytes() const {
  std::set<uint64_t> counted;
  uint64_t used = 0;
  auto add = [&](const SimInode& inode) {
    if (!counted.insert(inode.id).second) return;
    used += std::max<uint64_t>(inode.cache.size(), inode.allocated_bytes);
  };
  for (const auto& [path, entry] : names_) {
    if (!entry.is_dir) add(*inodes_.at(entry.inode));
  }
  for (const auto& [id, inode] : inodes_) {
    if (inode->open_handles > 0) add(*inode);
  }
  return used;
}

Result<std::unique_ptr<system::File>> SimDisk::Open(const std::string& raw_path,
                                                    system::OpenOptions options) {
  const std::string path = NormalizeSimPath(raw_path);
  std::vector<Fault> fired;
  const OpInfo op{.op = OpClass::kMeta, .name = "open", .path = path};
  CD_RETURN_IF_ERROR(BeginOp(op, fired));
  for (const Fault& fault : fired) {
    if (fault.kind == FaultKind::kIoError || fault.kind == FaultKind::kNoSpace) {
      return FailWith(fault, op);
    }
  }
  if (!DirExists(system::ParentDir(path))) return Status::FromErrno(ENOENT, "open", path);
  auto it = names_.find(path);
  std::shared_ptr<SimInode> inode;
  if (it != names_.end()) {
    if (it->second.is_dir) return Status::FromErrno(EISDIR, "open", path);
    if (options.create && options.exclusive) return Status::FromErrno(EEXIST, "open", path);
    inode = inodes_.at(it->second.inode);
    if (options.truncate && !options.read_only) CD_RETURN_IF_ERROR(TruncateInode(*inode, path, 0));
  } else {
    if (!options.create) return Status::FromErrno(ENOENT, "open", path);
    inode = std::make_shared<SimInode>();
    inode->id = next_inode_++;
    inodes_[inode->id] = inode;
    names_[path] = Entry{.is_dir = false, .inode = inode->id};
    AddDirOp(DirOp{.kind = DirOp::Kind::kCreate, .path = path, .inode = inode->id});
  }
  for (const Fault& fault : fired) {
    if (fault.kind == FaultKind::kBitFlip || fault.kind == FaultKind::kZeroSector) {
      Corrupt(*inode, path, fault.kind);
    }
  }
  return std::unique_ptr<system::File>(
      new SimFile(this, std::move(inode), path, generation_, options.read_only));
}

Status SimDisk::Rename(const std::string& raw_from, const std::string& raw_to) {
  const std::string from = NormalizeSimPath(raw_from);
  const std::string to = NormalizeSimPath(raw_to);
  std::vector<Fault> fired;
  const OpInfo op{.op = OpClass::kMeta, .name = "rename", .path = from, .other_path = to};
  CD_RETURN_IF_ERROR(BeginOp(op, fired));
  for (const Fault& fault : fired) {
    if (fault.kind == FaultKind::kIoError || fault.kind == FaultKind::kNoSpace) {
      return FailWith(fault, op);
    }
  }
  auto it = names_.find(from);
  if (it == names_.end()) return Status::FromErrno(ENOENT, "rename", from);
  if (it->second.is_dir) {
    return Status::Error(StatusCode::kInvalidArgument, "rename", from,
                         "the simulated disk renames files, not directories");
  }
  if (!DirExists(system::ParentDir(to))) return Status::FromErrno(ENOENT, "rename", to);
  auto target = names_.find(to);
  if (target != names_.end() && target->second.is_dir) {
    return Status::FromErrno(EISDIR, "rename", to);
  }
  if (from == to) return Status::Ok();
  const Entry moved = it->second;
  names_.erase(it);
  names_[to] = moved;
  AddDirOp(DirOp{.kind = DirOp::Kind::kRename, .path = from, .to = to, .inode = moved.inode});
  return Status::Ok();
}

Status SimDisk::Unlink(const std::string& raw_path) {
  const std::string path = NormalizeSimPath(raw_path);
  std::vector<Fault> fired;
  const OpInfo op{.op = OpClass::kMeta, .name = "unlink", .path = path};
  CD_RETURN_IF_ERROR(BeginOp(op, fired));
  for (const Fault& fault : fired) {
    if (fault.kind == FaultKind::kIoError) return FailWith(fault, op);
  }
  auto it = names_.find(path);
  if (it == names_.end()) return Status::FromErrno(ENOENT, "unlink", path);
  if (it->second.is_dir) return Status::FromErrno(EISDIR, "unlink", path);
  const uint64_t inode = it->second.inode;
  names_.erase(it);
  AddDirOp(DirOp{.kind = DirOp::Kind::kUnlink, .path = path, .inode = inode});
  return Status::Ok();
}

Result<std::vector<std::string>> SimDisk::List(const std::string& raw_dir) {
  const std::string dir = NormalizeSimPath(raw_dir);
  std::vector<Fault> fired;
  const OpInfo op{.op = OpClass::kMeta, .name = "list", .path = dir};
  CD_RETURN_IF_ERROR(BeginOp(op, fired));
  for (const Fault& fault : fired) {
    if (fault.kind == FaultKind::kIoError) return FailWith(fault, op);
  }
  if (!DirExists(dir)) return Status::FromErrno(ENOENT, "list", dir);
  std::vector<std::string> names;
  for (const auto& [path, entry] : names_) {
    if (system::ParentDir(path) != dir || IsRoot(path)) continue;
    const size_t slash = path.rfind('/');
    names.push_back(slash == std::string::npos ? path : path.substr(slash + 1));
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status SimDisk::MakeDir(const std::string& raw_dir) {
  const std::string dir = NormalizeSimPath(raw_dir);
  std::vector<Fault> fired;
  const OpInfo op{.op = OpClass::kMeta, .name = "mkdir", .path = dir};
  CD_RETURN_IF_ERROR(BeginOp(op, fired));
  for (const Fault& fault : fired) {
    if (fault.kind == FaultKind::kIoError || fault.kind == FaultKind::kNoSpace) {
      return FailWith(fault, op);
    }
  }
  if (DirExists(dir)) return Status::Ok();
  if (names_.count(dir) != 0) return Status::FromErrno(EEXIST, "mkdir", dir);
  if (!DirExists(system::ParentDir(dir))) return Status::FromErrno(ENOENT, "mkdir", dir);
  names_[dir] = Entry{.is_dir = true, .inode = 0};
  AddDirOp(DirOp{.kind = DirOp::Kind::kMkdir, .path = dir});
  return Status::Ok();
}

Status SimDisk::SyncDir(const std::string& raw_dir) {
  const std::string dir = NormalizeSimPath(raw_dir);
  std::vector<Fault> fired;
  const OpInfo op{.op = OpClass::kSync, .name = "syncdir", .path = dir};
  CD_RETURN_IF_ERROR(BeginOp(op, fired));
  for (const Fault& fault : fired) {
    if (fault.kind == FaultKind::kIoError || fault.kind == FaultKind::kSyncFailure) {
      return FailWith(fault, op);
    }
  }
  if (!DirExists(dir)) return Status::FromErrno(ENOENT, "syncdir", dir);
  CommitDirOps(options_.model.dir_sync == DirSyncMode::kJournaled ? "" : dir);
  return Status::Ok();
}

Result<bool> SimDisk::Exists(const std::string& raw_path) {
  const std::string path = NormalizeSimPath(raw_path);
  std::vector<Fault> fired;
  const OpInfo op{.op = OpClass::kMeta, .name = "exists", .path = path};
  CD_RETURN_IF_ERROR(BeginOp(op, fired));
  for (const Fault& fault : fired) {
    if (fault.kind == FaultKind::kIoError) return FailWith(fault, op);
  }
  return IsRoot(path) || names_.count(path) != 0;
}

Result<uint64_t> SimDisk::FileSize(const std::string& raw_path) {
  const std::string path = NormalizeSimPath(raw_path);
  std::vector<Fault> fired;
  const OpInfo op{.op = OpClass::kMeta, .name = "size", .path = path};
  CD_RETURN_IF_ERROR(BeginOp(op, fired));
  for (const Fault& fault : fired) {
    if (fault.kind == FaultKind::kIoError) return FailWith(fault, op);
  }
  auto it = names_.find(path);
  if (it == names_.end()) return Status::FromErrno(ENOENT, "size", path);
  if (it->second.is_dir) return Status::FromErrno(EISDIR, "size", path);
  SimInode& inode = *inodes_.at(it->second.inode);
  FoldMaps(inode);
  return static_cast<uint64_t>(inode.cache.size());
}

Result<uint64_t> SimDisk::FreeSpace(const std::string& raw_path) {
  const std::string path = NormalizeSimPath(raw_path);
  std::vector<Fault> fired;
  const OpInfo op{.op = OpClass::kMeta, .name = "freespace", .path = path};
  CD_RETURN_IF_ERROR(BeginOp(op, fired));
  for (const Fault& fault : fired) {
    if (fault.kind == FaultKind::kIoError) return FailWith(fault, op);
    if (fault.kind == FaultKind::kNoSpace) return uint64_t{0};
  }
  const uint64_t used = used_bytes();
  return used >= options_.capacity_bytes ? 0 : options_.capacity_bytes - used;
}

void SimDisk::AddDirOp(DirOp op) {
  op.op_index = op_index_;
  dir_ops_.push_back(std::move(op));
}

void SimDisk::CommitDirOps(const std::string& dir) {
  std::vector<DirOp> still_pending;
  for (DirOp& op : dir_ops_) {
    const bool touches = dir.empty() || system::ParentDir(op.path) == dir ||
                         (op.kind == DirOp::Kind::kRename && system::ParentDir(op.to) == dir);
    if (touches) {
      ApplyDirOp(durable_names_, op, /*link_only=*/false);
    } else {
      still_pending.push_back(std::move(op));
    }
  }
  dir_ops_ = std::move(still_pending);
  CollectGarbageInodes();
}

void SimDisk::ApplyDirOp(Names& names, const DirOp& op, bool link_only) {
  auto unlink_if_same = [&](const std::string& path) {
    auto it = names.find(path);
    if (it != names.end() && !it->second.is_dir && it->second.inode == op.inode) names.erase(it);
  };
  switch (op.kind) {
    case DirOp::Kind::kCreate:
      names[op.path] = Entry{.is_dir = false, .inode = op.inode};
      break;
    case DirOp::Kind::kMkdir:
      names.emplace(op.path, Entry{.is_dir = true, .inode = 0});
      break;
    case DirOp::Kind::kUnlink:
      unlink_if_same(op.path);
      break;
    case DirOp::Kind::kRename:
      names[op.to] = Entry{.is_dir = false, .inode = op.inode};
      if (!link_only) unlink_if_same(op.path);
      break;
  }
}

void SimDisk::CollectGarbageInodes() {
  std::set<uint64_t> live;
  for (const Names* names : {&names_, &durable_names_}) {
    for (const auto& [path, entry] : *names) {
      if (!entry.is_dir) live.insert(entry.inode);
    }
  }
  for (const DirOp& op : dir_ops_) live.insert(op.inode);
  std::erase_if(inodes_, [&](const auto& item) {
    return live.count(item.first) == 0 && item.second->open_handles == 0;
  });
}

const std::vector<std::byte>* SimDisk::DurableBytes(uint64_t inode) const {
  auto it = inodes_.find(inode);
  return it == inodes_.end() ? nullptr : &it->second->durable;
}

std::string SimDisk::Dump() const {
  std::string out;
  for (const auto& [path, entry] : names_) {
    if (entry.is_dir) {
      out += fmt::format("d {}\n", path);
      continue;
    }
    const SimInode& inode = *inodes_.at(entry.inode);
    out += fmt::format("f {} {} ", path, inode.cache.size());
    for (std::byte b : inode.cache) out += fmt::format("{:02x}", static_cast<unsigned>(b));
    out += '\n';
  }
  return out;
}

}  // namespace crashdrill::faults

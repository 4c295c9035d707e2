// SimDisk crash resolution: what a process crash or a power loss leaves behind, and
// latent corruption of data at rest.
#include <algorithm>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "faults/sim_disk.h"
#include "faults/sim_file.h"

namespace crashdrill::faults {

using system::Status;

void SimDisk::Crash(CrashKind kind) { Crash(kind, crash_rng_); }

void SimDisk::Crash(CrashKind kind, Rng& rng) {
  DetachAllMaps(/*fold=*/true);  // mapped stores reached the page cache before the crash
  if (kind == CrashKind::kPowerLoss) {
    ResolveNamespace(rng);
    std::set<uint64_t> resolved;
    for (const auto& [path, entry] : names_) {
      if (entry.is_dir || !resolved.insert(entry.inode).second) continue;
      ResolveInode(*inodes_.at(entry.inode), path, rng);
    }
    Record(Probe::kPowerLoss, "", 0, 0, "");
  } else {
    Record(Probe::kProcessCrash, "", 0, 0, "");
  }
  for (auto& [id, inode] : inodes_) inode->open_handles = 0;
  ++generation_;
  halted_ = false;
  CollectGarbageInodes();
}

void SimDisk::DetachAllMaps(bool fold) {
  for (auto& [id, inode] : inodes_) {
    if (fold) FoldMaps(*inode);
    for (SimMappedRegion* region : inode->maps) region->Detach();
    inode->maps.clear();
  }
}

// Durable entries plus a model-allowed subset of the unsynced directory operations.
// kJournaled: a prefix in issue order, renames atomic. kStrict: with reordering any subset,
// without it a prefix; a rename may keep only its new link (the file under both names).
void SimDisk::ResolveNamespace(Rng& rng) {
  Names result = durable_names_;
  const bool strict = options_.model.dir_sync == DirSyncMode::kStrict;
  const bool any_subset = strict && options_.model.reorder_unsynced_writes;
  const size_t cut = any_subset ? dir_ops_.size() : rng.Below(dir_ops_.size() + 1);
  for (size_t i = 0; i < dir_ops_.size(); ++i) {
    const DirOp& op = dir_ops_[i];
    bool survives = i < cut && (!any_subset || rng.Chance(1, 2));
    bool link_only = false;
    if (strict && op.kind == DirOp::Kind::kRename && (i == cut || (any_subset && !survives))) {
      link_only = rng.Chance(1, 3);  // the new link landed, the old one was not removed yet
    }
    if (survives || link_only) {
      ApplyDirOp(result, op, link_only && !survives);
      if (link_only && !survives) Record(Probe::kRenameBothNames, op.path, 0, 0, op.to);
    } else {
      Record(Probe::kDirOpLost, op.path, 0, 0,
             fmt::format("op {} ({}) undone", op.op_index, op.to.empty() ? "entry" : op.to));
    }
  }
  // An entry whose directory did not survive is gone too (parents sort before children).
  for (auto it = result.begin(); it != result.end();) {
    const std::string parent = system::ParentDir(it->first);
    const bool parent_ok = parent == "/" || parent == "." ||
                           (result.count(parent) != 0 && result.at(parent).is_dir);
    it = parent_ok ? std::next(it) : result.erase(it);
  }
  names_ = result;
  durable_names_ = std::move(result);
  dir_ops_.clear();
}

// One file while a power loss is resolved. `bytes` is what survives so far. `cache_size`
// follows the page cache through the pending ops in issue order, so the part of a write
// past it is what that write appended (a hole it opened included). `unlanded` marks the
// offsets whose surviving content is not a value the page cache held there: appended data
// that did not land, torn sectors read as zeros or garbage. Content an undone truncate
// left in place keeps its mark. `floor_size` is the smallest size a surviving truncate
// left. With safe_append nothing marked past floor_size is ever seen.
struct SimDisk::InodeResolution {
  std::vector<std::byte> bytes;
  std::vector<bool> unlanded;
  uint64_t cache_size = 0;
  uint64_t floor_size = 0;

  void Mark(uint64_t begin, uint64_t end, bool missing) {
    if (missing && unlanded.size() < end) unlanded.resize(end, false);
    end = std::min<uint64_t>(end, unlanded.size());
    if (begin >= end) return;
    std::fill(unlanded.begin() + static_cast<std::ptrdiff_t>(begin),
              unlanded.begin() + static_cast<std::ptrdiff_t>(end), missing);
  }
  // The write lands whole: its range holds its data, and the zeros growing the file put
  // before it are a hole's zeros where the page cache had a hole too (past cache_size).
  void Land(const PendingOp& op) {
    const uint64_t old_size = bytes.size();
    ApplyOp(bytes, op);
    Mark(std::max(cache_size, old_size), op.offset, false);
    Mark(op.offset, op.offset + op.data.size(), false);
  }
  // The write is lost: nothing changes, but what it appended past the surviving size would
  // read as zeros, not its data, if a later write grew the file over it.
  void Lose(const PendingOp& op) {
    Mark(std::max<uint64_t>(cache_size, bytes.size()), op.offset + op.data.size(), true);
  }
  void Truncate(const PendingOp& op) {
    ApplyOp(bytes, op);
    if (unlanded.size() > op.offset) unlanded.resize(op.offset);
    floor_size = std::min(floor_size, op.offset);
  }
};

// Durable bytes plus a subset (any, or a prefix with the in-flight write torn) of the
// unsynced writes and truncates, per the model; with safe_append the size then stops at
// the first byte past the file's smallest size that did not land.
void SimDisk::ResolveInode(SimInode& inode, const std::string& path, Rng& rng) {
  InodeResolution file{.bytes = inode.durable,
                       .cache_size = inode.durable.size(),
                       .floor_size = inode.durable.size()};
  const bool any_subset = options_.model.reorder_unsynced_writes;
  const size_t count = inode.pending.size();
  const size_t cut = any_subset ? count : rng.Below(count + 1);
  for (size_t i = 0; i < count; ++i) {
    const PendingOp& op = inode.pending[i];
    if (op.kind == PendingOp::Kind::kTruncate) {
      if (i < cut && (!any_subset || rng.Chance(1, 2))) {
        file.Truncate(op);
      } else {
        Record(Probe::kTruncateDropped, path, op.offset, 0, "unsynced truncate undone");
      }
      file.cache_size = op.offset;
      continue;
    }
    const uint64_t choice = any_subset ? rng.Below(4) : (i < cut ? 1 : (i == cut ? 2 : 0));
    if (choice == 1) {
      file.Land(op);
    } else if (choice >= 2 && (any_subset || rng.Chance(1, 2))) {
      ApplyTorn(file, op, path, rng);
    } else {
      LoseWrite(file, op, path, rng);
    }
    file.cache_size = std::max<uint64_t>(file.cache_size, op.offset + op.data.size());
  }
  if (options_.model.safe_append) HoldBackUnlandedGrowth(file, path);
  inode.durable = std::move(file.bytes);
  inode.cache = inode.durable;
  inode.pending.clear();
}

// An unsynced write that never reached the device. Without safe_append the size may still
// have grown over it (zeros or garbage).
void SimDisk::LoseWrite(InodeResolution& file, const PendingOp& op, const std::string& path,
                        Rng& rng) {
  Record(Probe::kWriteLost, path, op.offset, op.data.size(), "unsynced write lost");
  file.Lose(op);
  const uint64_t end = op.offset + op.data.size();
  std::vector<std::byte>& bytes = file.bytes;
  if (!options_.model.safe_append && end > bytes.size() && rng.Chance(1, 3)) {
    const uint64_t from = bytes.size();
    bytes.resize(end, std::byte{0});
    const bool garbage = rng.Chance(1, 2);
    if (garbage) {
      for (uint64_t b = from; b < end; ++b) bytes[b] = static_cast<std::byte>(rng.Next());
    }
    Record(Probe::kGrewWithoutData, path, from, end - from, garbage ? "garbage" : "zeros");
  }
}

// safe_append (ALICE's append atomicity): the size reaches the device after the data, so a
// file grows only over data that landed — it stops at the first byte past the smallest
// size it had that an unsynced write meant to fill and did not.
void SimDisk::HoldBackUnlandedGrowth(InodeResolution& file, const std::string& path) {
  const uint64_t limit = std::min<uint64_t>(file.bytes.size(), file.unlanded.size());
  for (uint64_t b = file.floor_size; b < limit; ++b) {
    if (!file.unlanded[b]) continue;
    Record(Probe::kAppendCut, path, b, file.bytes.size() - b,
           "size held back to the data that landed");
    file.bytes.resize(b);
    return;
  }
}

// A surviving write that lost sectors: a prefix of them or an arbitrary subset lands; the
// others keep old content, or read as zeros or garbage. Writes inside one atomic unit are
// never torn. Only bytes the write covered (and a hole it opened) can be damaged; a hole
// counts as landed when the write's first sector did.
void SimDisk::ApplyTorn(InodeResolution& file, const PendingOp& op, const std::string& path,
                        Rng& rng) {
  const uint64_t sector = options_.model.sector_bytes;
  const uint64_t atomic = options_.model.atomic_write_bytes;
  const uint64_t begin = op.offset;
  const uint64_t end = begin + op.data.size();
  if (op.data.empty() || begin / atomic == (end - 1) / atomic) {
    file.Land(op);
    return;
  }
  const uint64_t first = begin / sector;
  const size_t count = static_cast<size_t>((end - 1) / sector - first + 1);
  std::vector<bool> kept(count);
  const bool prefix = rng.Chance(1, 2);
  if (prefix) {
    const size_t keep = static_cast<size_t>(rng.Below(count));
    for (size_t i = 0; i < keep; ++i) kept[i] = true;
  } else {
    for (size_t i = 0; i < count; ++i) kept[i] = rng.Chance(1, 2);
    if (std::all_of(kept.begin(), kept.end(), [](bool k) { return k; })) {
      kept[rng.Below(count)] = false;
    }
  }
  const uint64_t fill = rng.Below(3);  // 0 old content, 1 zeros, 2 garbage
  std::vector<std::byte>& bytes = file.bytes;
  const uint64_t old_size = bytes.size();
  bytes.resize(std::max(old_size, end), std::byte{0});
  Record(prefix ? Probe::kTornPrefix : Probe::kTornArbitrary, path, begin, op.data.size(),
         fmt::format("{} of {} sectors landed", std::count(kept.begin(), kept.end(), true),
                     count));
  file.Mark(std::max(file.cache_size, old_size), begin, !kept[0]);  // a hole it opened
  for (size_t i = 0; i < count; ++i) {
    const uint64_t lo = std::max(begin, (first + i) * sector);
    const uint64_t hi = std::min(end, (first + i + 1) * sector);
    if (kept[i]) {
      std::memcpy(bytes.data() + lo, op.data.data() + (lo - begin), hi - lo);
      file.Mark(lo, hi, false);
    } else if (fill == 2) {
      for (uint64_t b = lo; b < hi; ++b) bytes[b] = static_cast<std::byte>(rng.Next());
      Record(Probe::kTornGarbage, path, lo, hi - lo, "torn sector");
      file.Mark(lo, hi, true);
    } else if (fill == 1) {
      std::memset(bytes.data() + lo, 0, hi - lo);
      Record(Probe::kTornZeros, path, lo, hi - lo, "torn sector");
      file.Mark(lo, hi, true);
    } else if (hi > old_size) {  // old content, but past the old end there was none
      const uint64_t from = std::max(lo, old_size);
      Record(Probe::kTornZeros, path, from, hi - from, "hole past the old end");
      file.Mark(from, hi, true);
    }
  }
}

void SimDisk::Corrupt(SimInode& inode, const std::string& path, FaultKind kind) {
  FoldMaps(inode);
  if (inode.durable.empty()) return;
  const uint64_t size = inode.durable.size();
  if (kind == FaultKind::kBitFlip) {
    const uint64_t offset = rng_.Below(size);
    const unsigned bit = static_cast<unsigned>(rng_.Below(8));
    inode.durable[offset] ^= static_cast<std::byte>(1u << bit);
    Record(Probe::kBitFlip, path, offset, 1, fmt::format("bit {}", bit));
  } else {
    const uint64_t sector = options_.model.sector_bytes;
    const uint64_t begin = rng_.Below((size + sector - 1) / sector) * sector;
    const uint64_t length = std::min(sector, size - begin);
    std::memset(inode.durable.data() + begin, 0, length);
    Record(Probe::kZeroSector, path, begin, length, "latent sector error");
  }
  RebuildCache(inode);
  RefreshMaps(inode);
}

Status SimDisk::CorruptAtRest(const std::string& raw_path, FaultKind kind) {
  const std::string path = NormalizeSimPath(raw_path);
  if (kind != FaultKind::kBitFlip && kind != FaultKind::kZeroSector) {
    return Status::InvalidArgument("corrupt", "only bit_flip and zero_sector corrupt at rest");
  }
  auto it = names_.find(path);
  if (it == names_.end() || it->second.is_dir || inodes_.at(it->second.inode)->durable.empty()) {
    return Status::Error(system::StatusCode::kNotFound, "corrupt", path, "no durable data");
  }
  Corrupt(*inodes_.at(it->second.inode), path, kind);
  return Status::Ok();
}

}  // namespace crashdrill::faults

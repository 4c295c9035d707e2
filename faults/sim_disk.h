// SimDisk: an in-memory Fs that fails like real hardware, deterministic from its plan's seed.
// Fault contract — what it keeps and what it may take away:
// - Reads always see the page cache (durable data + unsynced writes + mapped stores).
// - File::Sync makes the file's data and size durable; SyncDir makes the directory's
//   creates/renames/unlinks/mkdirs durable (CrashModel::dir_sync kJournaled: any sync
//   commits every pending directory operation, like ext4 data=ordered).
// - MappedRegion::Sync(range) makes that range durable; stores are in the page cache at
//   once and folded in on every read, sync, write and crash of the file.
// - Crash(kProcessCrash): nothing handed to the "kernel" is lost (unsynced writes stay
//   unsynced and can still be lost by a later power loss). Crash(kPowerLoss): durable data
//   plus a CrashModel-allowed subset of unsynced writes, each possibly torn at sector
//   granularity (prefix or arbitrary sectors; the rest old content, zeros or garbage);
//   with CrashModel::safe_append a file grows only over data that landed (a torn or lost
//   append never shows as zeros or garbage past the old end);
//   unsynced directory operations may or may not have happened (a rename may leave both
//   names, never neither), unsynced truncates may be undone. Bytes no unsynced write
//   touched never change. After either crash every File/MappedRegion opened before it
//   fails with kFailedPrecondition; the disk accepts new Opens.
// - A FaultPlan crash trigger (N-th sync, N-th write, N-th op matching a path) halts the
//   disk: the triggering op and every later one fail with kUnavailable (injected, nothing
//   done) until the harness calls Crash(halted_crash_kind()).
// - Randomness: every choice (garbage, flipped bits, misdirected offsets, crash outcomes)
//   comes from FaultPlan::seed — one stream for corruption and misdirection, one derived
//   from it for Crash(kind), so the number of corruption draws before a crash (say, a bit
//   flip entry added or shrunk away) does not change how the crash resolves.
// - Capacity: a write that does not fit lands as far as space allows and fails with
//   kNoSpace (a short write), or fails whole when nothing fits. Unlink/truncate free space.
// - Plan faults: ENOSPC, short writes, EIO on read/write/other ops (transient or
//   persistent), fsync failure (EIO once; the file's dirty data is dropped and the page
//   cache reverts to durable content; the next Sync is OK), bit flips and zeroed sectors in
//   durable data (silent), misdirected writes (silent; land at another sector-aligned
//   offset of the same file). Every injected fault is recorded in trace().
// REQUIRES: the disk outlives every File and MappedRegion it hands out. Single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "faults/crash_model.h"
#include "faults/fault_injector.h"
#include "faults/fault_plan.h"
#include "faults/fault_trace.h"
#include "faults/rng.h"
#include "faults/sim_inode.h"
#include "system/io/fs.h"

namespace crashdrill::faults {

// Simulated time each operation costs, so a sim case's RTO follows from the
// bytes recovery reads and the syncs it makes, not from the machine's load.
// The defaults are this project's reference disk (ext4 on the CI machine's
// SSD, measured by tests/bench: cold sequential read ~1 GB/s, fdatasync of a
// small record ~1 ms); a result records the model it ran with.
struct DiskCostModel {
  int64_t sync_ns = 1'000'000;                     // fdatasync / fsync of a directory / msync
  int64_t meta_op_ns = 20'000;                     // open, rename, unlink, list, mkdir, size...
  int64_t read_bytes_per_second = 1'000'000'000;   // reads (recovery reads cold)
  int64_t write_bytes_per_second = 400'000'000;    // dirty bytes a sync writes back
  int64_t cache_bytes_per_second = 4'000'000'000;  // a write into the page cache

  friend bool operator==(const DiskCostModel&, const DiskCostModel&) = default;
};
void to_json(nlohmann::json& json, const DiskCostModel& model);
void from_json(const nlohmann::json& json, DiskCostModel& model);

// Receives the simulated time an operation took (the runner advances its clock).
using ChargeFunction = std::function<void(int64_t duration_ns)>;

struct SimDiskOptions {
  CrashModel model;
  DiskCostModel cost;
  ChargeFunction charge;  // empty: time is not charged
  uint64_t capacity_bytes = uint64_t{1} << 30;
  // What to inject, and plan.seed: the one seed of every random choice the disk makes
  // (garbage bytes, flipped bits, misdirected offsets, how Crash(kind) resolves), so the
  // plan's JSON alone replays a disk.
  FaultPlan plan;
};

class SimDisk final : public system::Fs {
 public:
  // REQUIRES: options.model.Validate().ok().
  explicit SimDisk(SimDiskOptions options);
  ~SimDisk() override;
  SimDisk(const SimDisk&) = delete;
  SimDisk& operator=(const SimDisk&) = delete;

  system::Result<std::unique_ptr<system::File>> Open(const std::string& path,
                                                     system::OpenOptions options) override;
  system::Status Rename(const std::string& from, const std::string& to) override;
  system::Status Unlink(const std::string& path) override;
  system::Result<std::vector<std::string>> List(const std::string& dir) override;
  system::Status MakeDir(const std::string& dir) override;
  system::Status SyncDir(const std::string& dir) override;
  system::Result<bool> Exists(const std::string& path) override;
  system::Result<uint64_t> FileSize(const std::string& path) override;
  system::Result<uint64_t> FreeSpace(const std::string& path) override;

  // Resolves a crash of the given kind (see the contract above) and restarts the disk: old
  // handles are dead, new Opens work. Every choice comes from the disk's own generator.
  void Crash(CrashKind kind);
  // The same, drawing every choice from `rng` instead: for sweeps that resolve one crash
  // point in many ways. A repro must then carry `rng`'s seed as well as the plan.
  void Crash(CrashKind kind, Rng& rng);
  // True after a plan crash trigger fired and before Crash() resolved it.
  bool halted() const { return halted_; }
  CrashKind halted_crash_kind() const { return halted_kind_; }

  // Latent corruption now, outside the plan (the runner's "corrupt a copy" command):
  // kBitFlip or kZeroSector on the durable data of `path`. kNotFound if it has none.
  system::Status CorruptAtRest(const std::string& path, FaultKind kind);

  // The plan this disk runs, seed included: what to save so a case can be replayed.
  const FaultPlan& plan() const { return injector_.plan(); }
  // Arms a disk fault whose trigger counts the operations from now on.
  void AddFault(FaultEntry entry) { injector_.Add(std::move(entry)); }
  const FaultTrace& trace() const { return trace_; }
  const CrashModel& model() const { return options_.model; }
  uint64_t op_count() const { return op_index_; }
  // While on, operations are not counted, fire no plan fault and cost no time:
  // for a harness that looks (reads) without changing the case it runs, e.g. a
  // second read-only recovery to compare with the first.
  void SetUncounted(bool uncounted) { uncounted_ = uncounted; }
  uint64_t used_bytes() const;
  // The device's capacity from now on (the runner's "fill the disk" and "free
  // space" commands): writes beyond it fail as described above.
  void SetCapacity(uint64_t capacity_bytes) { options_.capacity_bytes = capacity_bytes; }
  uint64_t capacity_bytes() const { return options_.capacity_bytes; }
  // Every name and its page-cache bytes, in path order ("d " prefix for directories):
  // a deterministic fingerprint of the whole disk for replay tests.
  std::string Dump() const;

  // Read-only views for crashfs (faults/crashfs), which serves the disk to real processes
  // by inode and mirrors what is durable to a real directory. Directories have inode 0.
  struct Entry {
    bool is_dir = false;
    uint64_t inode = 0;
    friend bool operator==(const Entry&, const Entry&) = default;
  };
  using Names = std::map<std::string, Entry>;
  const Names& names() const { return names_; }                  // what List/Open see now
  const Names& durable_names() const { return durable_names_; }  // what a power loss keeps
  // The bytes of `inode` a power loss keeps for sure; nullptr if the disk has no such inode.
  const std::vector<std::byte>* DurableBytes(uint64_t inode) const;

 private:
  friend class SimFile;
  friend class SimMappedRegion;
  struct DirOp {
    enum class Kind : uint8_t { kCreate, kMkdir, kUnlink, kRename };
    Kind kind = Kind::kCreate;
    std::string path;
    std::string to;  // kRename
    uint64_t inode = 0;
    uint64_t op_index = 0;
  };

  // Counts the op, refuses it when halted, and returns the plan faults that fire on it
  // (a crash fault halts the disk and makes this return kUnavailable).
  system::Status BeginOp(const OpInfo& op, std::vector<Fault>& fired);
  void Charge(int64_t duration_ns) const {
    if (options_.charge && duration_ns > 0) options_.charge(duration_ns);
  }
  static int64_t BytesTime(uint64_t bytes, int64_t bytes_per_second) {
    return bytes_per_second <= 0 ? 0
                                 : static_cast<int64_t>(static_cast<__int128>(bytes) *
                                                        1'000'000'000 / bytes_per_second);
  }
  system::Status FailWith(const Fault& fault, const OpInfo& op);
  void Record(Probe probe, std::string_view path, uint64_t offset, uint64_t length,
              std::string detail);

  // Namespace.
  bool DirExists(const std::string& dir) const;
  void AddDirOp(DirOp op);
  void CommitDirOps(const std::string& dir);  // "" commits every pending op
  static void ApplyDirOp(Names& names, const DirOp& op, bool link_only);

  // Data, called by SimFile and SimMappedRegion.
  system::Result<size_t> ReadInode(SimInode& inode, const std::string& path, uint64_t offset,
                                   system::MutableByteSpan out);
  system::Status WriteInode(SimInode& inode, const std::string& path, uint64_t offset,
                            system::ByteSpan data);
  system::Status SyncInode(SimInode& inode, const std::string& path);
  system::Status TruncateInode(SimInode& inode, const std::string& path, uint64_t size);
  void AddPending(SimInode& inode, PendingOp op);
  void FoldMaps(SimInode& inode);
  void RefreshMaps(SimInode& inode);
  void Corrupt(SimInode& inode, const std::string& path, FaultKind kind);
  uint64_t MisdirectedOffset(const SimInode& inode, const std::string& path, uint64_t offset,
                             size_t length);
  system::Status CheckGeneration(uint64_t generation, std::string_view op,
                                 const std::string& path) const;

  // Crash resolution (sim_disk_crash.cc).
  struct InodeResolution;
  void DetachAllMaps(bool fold);
  void ResolveNamespace(Rng& rng);
  void ResolveInode(SimInode& inode, const std::string& path, Rng& rng);
  void LoseWrite(InodeResolution& file, const PendingOp& op, const std::string& path, Rng& rng);
  void ApplyTorn(InodeResolution& file, const PendingOp& op, const std::string& path, Rng& rng);
  void HoldBackUnlandedGrowth(InodeResolution& file, const std::string& path);
  void CollectGarbageInodes();

  SimDiskOptions options_;
  Rng rng_;        // latent corruption, misdirected writes: seeded with plan.seed
  Rng crash_rng_;  // Crash(kind): seeded with Mix64(plan.seed)
  FaultInjector injector_;
  FaultTrace trace_;
  uint64_t op_index_ = 0;
  bool uncounted_ = false;
  uint64_t generation_ = 1;  // handles from an older generation are dead
  bool halted_ = false;
  CrashKind halted_kind_ = CrashKind::kPowerLoss;
  Names names_;                 // what List/Open see now
  Names durable_names_;         // what a power loss keeps for sure
  std::vector<DirOp> dir_ops_;  // unsynced, in issue order
  std::map<uint64_t, std::shared_ptr<SimInode>> inodes_;
  uint64_t next_inode_ = 1;
};

}  // namespace crashdrill::faults

// Exhaustive crash sweeps over SimDisk (SQLite's method): run a workload on a
// fresh disk that crashes at its N-th operation, for N = 1, 2, ... until a run
// finishes before the crash point, and check what survives after each crash.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "faults/sim_disk.h"

namespace crashdrill::testing {

// Crash models every level must survive: strict POSIX with reordering and
// 512-byte tearing, and an ext4-like journaled directory with 4 KiB sectors.
inline std::vector<faults::CrashModel> SweepModels() {
  using faults::CrashModel;
  using faults::DirSyncMode;
  return {CrashModel{.sector_bytes = 512, .atomic_write_bytes = 512, .safe_append = false,
                     .dir_sync = DirSyncMode::kStrict, .reorder_unsynced_writes = true},
          CrashModel{.sector_bytes = 4096, .atomic_write_bytes = 4096, .safe_append = true,
                     .dir_sync = DirSyncMode::kJournaled, .reorder_unsynced_writes = false}};
}

struct SweepStats {
  size_t crash_points = 0;
  size_t torn_writes = 0;
  size_t lost_writes = 0;
};

// `workload(disk)` returns what it had acknowledged when it stopped (the disk
// halts at the crash point and refuses every later operation); `check(disk,
// acknowledged, n)` runs after the crash was resolved.
template <typename Acknowledged, typename Workload, typename Check>
SweepStats SweepEveryOperation(const faults::CrashModel& model, uint64_t seed,
                               faults::CrashKind kind, Workload workload, Check check) {
  SweepStats stats;
  for (uint64_t n = 1;; ++n) {
    faults::FaultPlan plan{seed, {faults::FaultEntry{
                                     faults::Trigger{.on = faults::TriggerOn::kAnyOp, .nth = n},
                                     faults::Fault{.kind = faults::FaultKind::kCrash,
                                                   .crash_kind = kind}}}};
    faults::SimDisk disk({.model = model, .capacity_bytes = 1ull << 30, .seed = seed, .plan = plan});
    const Acknowledged acknowledged = workload(disk);
    if (!disk.halted()) return stats;  // the workload ended before operation n
    faults::Rng rng(faults::Mix64(seed ^ (n << 20)));
    disk.Crash(kind, rng);
    const auto& counts = disk.trace().counts();
    stats.torn_writes += counts[static_cast<size_t>(faults::Probe::kTornPrefix)] +
                         counts[static_cast<size_t>(faults::Probe::kTornArbitrary)];
    stats.lost_writes += counts[static_cast<size_t>(faults::Probe::kWriteLost)];
    ++stats.crash_points;
    check(disk, acknowledged, n);
  }
}

inline void PrintSweep(const char* what, const SweepStats& stats) {
  std::printf("[ sweep ] %s: %zu crash points, %zu torn writes, %zu lost writes\n", what,
              stats.crash_points, stats.torn_writes, stats.lost_writes);
}

}  // namespace crashdrill::testing

// Exhaustive crash sweeps over SimDisk (SQLite's method): run a workload on a
// fresh disk that crashes at its N-th operation, for N = 1, 2, ... until a run
// finishes before the crash point, and check what survives after each crash.
// The two-crash sweep goes on after the restart — reopen, new work, crash
// again — because what Open adopts after a crash only fails on the second.
#pragma once

#include <array>
#include <cstdio>
#include <utility>

#include <gtest/gtest.h>
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
  size_t faulted_cases = 0;  // cases where a fault of the plan other than the crashes fired
};

// Whether the disk injected any fault besides crashing.
inline bool FaultFired(const faults::SimDisk& disk) {
  const auto& counts = disk.trace().counts();
  for (const faults::Probe probe :
       {faults::Probe::kNoSpace, faults::Probe::kShortWrite, faults::Probe::kReadError,
        faults::Probe::kWriteError, faults::Probe::kMetaError, faults::Probe::kSyncFailure}) {
    if (counts[static_cast<size_t>(probe)] > 0) return true;
  }
  return false;
}

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
    faults::SimDisk disk({.model = model, .capacity_bytes = 1ull << 30, .plan = plan});
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

// The two lives of a multi-crash sweep case: `life(disk, 0)` runs until the
// first crash, `life(disk, 1)` reopens what it left, does new work (records,
// states or versions the first life never made) and runs until the second.
struct CrashPoints {
  uint64_t first_op = 0;   // the first crash fires at this operation of the disk
  uint64_t second_op = 0;  // the second at this one (0: the second life ended first)
  faults::CrashModel model;
  faults::FaultPlan plan;  // both crashes and any other fault of the case

  // How to run this one case again, for failure messages.
  std::string Describe() const {
    return "crash at op " + std::to_string(first_op) + ", restart, " +
           (second_op == 0 ? std::string("no second crash")
                           : "crash again at op " + std::to_string(second_op)) +
           "; model {sector " + std::to_string(model.sector_bytes) + ", " +
           faults::DirSyncModeName(model.dir_sync) + (model.safe_append ? ", safe append" : "") +
           (model.reorder_unsynced_writes ? ", reordering" : "") +
           "}; plan " + faults::SerializeFaultPlan(plan);
  }
};

// Multi-crash sweep: crash at every operation i of the first life, restart,
// and crash again at every `stride`-th operation j of the second life (on the
// same disk: one plan with two crash triggers, plus `faults`, e.g. a full disk
// at some write), then call `check(disk, acknowledged, points)` with what each
// life had acknowledged. Every case reruns its whole history from the seed, so
// the plan printed with a failure replays it alone.
template <typename Acknowledged, typename Life, typename Check>
SweepStats SweepTwoCrashes(const faults::CrashModel& model, uint64_t seed,
                           faults::CrashKind first, faults::CrashKind second, Life life,
                           Check check, const std::vector<faults::FaultEntry>& faults = {},
                           uint64_t stride = 1) {
  SweepStats stats;
  const auto crash_at = [](uint64_t nth, faults::CrashKind kind) {
    return faults::FaultEntry{faults::Trigger{.on = faults::TriggerOn::kAnyOp, .nth = nth},
                              faults::Fault{.kind = faults::FaultKind::kCrash, .crash_kind = kind}};
  };
  for (uint64_t i = 1;; ++i) {
    for (uint64_t j = 1;; j += stride) {
      CrashPoints points{i, i + j, model, faults::FaultPlan{seed, faults}};
      points.plan.entries.push_back(crash_at(i, first));
      points.plan.entries.push_back(crash_at(i + j, second));
      // When the second life ends before operation i + j, the case runs again
      // without the second crash and what it left is checked (a life that
      // could not reopen the level ends early, and the check says so).
      bool second_life_ended = false;
      for (int attempt = 0; attempt < 2; ++attempt) {
        faults::SimDisk disk(
            {.model = model, .capacity_bytes = 1ull << 30, .plan = points.plan});
        std::array<Acknowledged, 2> acknowledged{};
        acknowledged[0] = life(disk, 0);
        if (!disk.halted()) return stats;  // the first life ended before operation i
        faults::Rng first_rng(faults::Mix64(seed ^ (i << 20)));
        disk.Crash(first, first_rng);
        acknowledged[1] = life(disk, 1);
        if (disk.halted()) {
          faults::Rng second_rng(faults::Mix64(seed ^ (i << 20) ^ (j << 40) ^ 1));
          disk.Crash(second, second_rng);
          const auto& counts = disk.trace().counts();
          stats.torn_writes += counts[static_cast<size_t>(faults::Probe::kTornPrefix)] +
                               counts[static_cast<size_t>(faults::Probe::kTornArbitrary)];
          stats.lost_writes += counts[static_cast<size_t>(faults::Probe::kWriteLost)];
          ++stats.crash_points;
        } else if (attempt == 0) {
          points.second_op = 0;
          points.plan.entries.pop_back();
          second_life_ended = true;
          continue;
        }
        if (FaultFired(disk)) ++stats.faulted_cases;
        check(disk, acknowledged, points);
        if (::testing::Test::HasFatalFailure()) return stats;
        break;
      }
      if (second_life_ended) break;
    }
  }
}

// The stride of the second crash in the sweeps that cannot afford every
// operation of both lives twice over: every operation in the release tree,
// every 5th in the sanitizer tree, which runs the same paths ~8x slower to
// look for memory errors rather than to enumerate crash points again.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CRASHDRILL_SWEEP_UNDER_ASAN 1
#endif
#endif
#ifdef CRASHDRILL_SWEEP_UNDER_ASAN
inline constexpr uint64_t kSecondCrashStride = 5;
#else
inline constexpr uint64_t kSecondCrashStride = 1;
#endif

inline void PrintSweep(const char* what, const SweepStats& stats) {
  std::printf("[ sweep ] %s: %zu crash points, %zu torn writes, %zu lost writes, %zu cases with "
              "another fault\n",
              what, stats.crash_points, stats.torn_writes, stats.lost_writes,
              stats.faulted_cases);
}

}  // namespace crashdrill::testing

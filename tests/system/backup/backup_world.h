// A state directory made by the real MultiLevelCheckpointer on a SimDisk, for
// backup tests: commits on a simulated clock with every level on its period,
// so the directory has L1, L2 versions of several ages, snapshots and WAL
// segments, some of them retired between backups.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "faults/sim_clock.h"
#include "faults/sim_disk.h"
#include "system/backup/backup.h"
#include "system/levels/checkpointer.h"
#include "system/recovery/local_recovery.h"
#include "tests/support/trading_script.h"

namespace crashdrill::testing {

inline constexpr char kStateDir[] = "/state";
inline constexpr char kTargetDir[] = "/backups";
inline constexpr size_t kL1SlotBytes = 16 << 10;

inline system::CheckpointerOptions StateOptions() {
  system::CheckpointerOptions options;
  options.state_dir = kStateDir;
  options.l1_period_ns = 20 * system::kNanosPerMilli;
  options.l2_period_ns = 40 * system::kNanosPerMilli;
  options.snapshot_period_ns = 300 * system::kNanosPerMilli;  // every 20 commits
  options.l1_slot_bytes = kL1SlotBytes;
  options.wal_segment_bytes = 1024;
  options.snapshots_kept = 2;
  options.versions_kept = {2, 2, 2, 2, 2};
  return options;
}

// The k-th update: submit, acknowledge and fill one order after another.
inline system::StateUpdate ScriptUpdate(int k) { return testing::TradingScriptUpdate(5, k); }

// The engine writing the state directory. Commit(n) commits the next n
// updates of the script, advancing the clock and running due checkpoints.
class StateWriter {
 public:
  explicit StateWriter(system::Fs& fs) : checkpointer_(fs, clock_, StateOptions()) {}

  system::Status Open() { return checkpointer_.Open(system::EngineState{}); }
  system::Status Commit(int n) {
    for (int i = 0; i < n; ++i) {
      CD_RETURN_IF_ERROR(checkpointer_.Commit(ScriptUpdate(next_++)));
      clock_.Advance(15 * system::kNanosPerMilli);
      CD_RETURN_IF_ERROR(checkpointer_.Tick());
    }
    return system::Status::Ok();
  }
  system::Status Checkpoint(system::CheckpointType type) { return checkpointer_.Checkpoint(type); }
  faults::SimClock& clock() { return clock_; }

 private:
  faults::SimClock clock_;
  system::MultiLevelCheckpointer checkpointer_;
  int next_ = 0;
};

inline faults::SimDisk MakeDisk() {
  return faults::SimDisk({.model = {}, .capacity_bytes = 1ull << 30, .plan = {}});
}

using DirFiles = std::map<std::string, std::vector<std::byte>>;

// Every file under `dir`, by path relative to it.
inline void CollectFiles(system::Fs& fs, const std::string& dir, const std::string& relative,
                         DirFiles& out) {
  const system::Result<std::vector<std::string>> names = fs.List(system::JoinPath(dir, relative));
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  for (const std::string& name : *names) {
    const std::string child = relative.empty() ? name : relative + "/" + name;
    const std::string path = system::JoinPath(dir, child);
    if (fs.List(path).ok()) {
      CollectFiles(fs, dir, child, out);
    } else {
      const auto bytes = system::ReadWholeFile(fs, path);
      ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
      out[child] = *bytes;
    }
  }
}

inline DirFiles FilesOf(system::Fs& fs, const std::string& dir) {
  DirFiles files;
  CollectFiles(fs, dir, "", files);
  return files;
}

// The project's local recovery of a state directory (read-only).
inline system::Result<system::EngineState> RecoverState(system::Fs& fs, const std::string& dir) {
  faults::SimClock clock;
  CD_ASSIGN_OR_RETURN(
      system::LocalRecovery recovery,
      system::RecoverLocal(fs, clock, {.state_dir = dir, .l1_slot_bytes = kL1SlotBytes}));
  return std::move(recovery.state);
}

}  // namespace crashdrill::testing

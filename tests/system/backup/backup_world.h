// A state directory made by the real MultiLevelCheckpointer on a SimDisk, for
// backup tests: commits on a simulated clock with every level on its period,
// so the directory has L1, L2 versions of several ages, snapshots and WAL
// segments, some of them retired between backups.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "faults/sim_clock.h"
#include "faults/sim_disk.h"
#include "system/backup/backup.h"
#include "system/levels/checkpointer.h"
#include "system/recovery/local_recovery.h"
#include "tests/support/trading_script.h"
#include "tests/system/backup/s3rver.h"

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

// The targets the same backup tests run against (issue 12).
enum class TargetKind { kDir, kS3 };

inline std::string TargetKindName(const ::testing::TestParamInfo<TargetKind>& info) {
  return info.param == TargetKind::kDir ? "Dir" : "S3";
}

// The target of one backup test: a DirTarget at kTargetDir on the test's
// disk, or an S3Target on an s3rver of its own, under a prefix that needs
// URL-encoding. target() exists from construction on; Open() starts the
// server. A fixture skips the S3 case when S3SkipReason() says so.
class TestTarget {
 public:
  TestTarget(system::Fs& fs, TargetKind kind) : kind_(kind) {
    if (kind == TargetKind::kDir) {
      target_ = std::make_unique<system::DirTarget>(fs, kTargetDir);
    } else {
      server_ = std::make_unique<S3rver>();
      target_ = std::make_unique<system::S3Target>(server_->Options("nightly run+1/"));
    }
  }
  system::Status Open() {
    if (kind_ == TargetKind::kDir) return static_cast<system::DirTarget&>(*target_).Open();
    CD_RETURN_IF_ERROR(server_->Start());
    return static_cast<system::S3Target&>(*target_).Open();
  }
  system::BackupTarget& target() { return *target_; }

 private:
  TargetKind kind_;
  std::unique_ptr<S3rver> server_;
  std::unique_ptr<system::BackupTarget> target_;
};

// In a fixture's SetUp: skips the S3 case if opted out, else opens the target.
#define CD_OPEN_TEST_TARGET(holder, kind)                            \
  do {                                                               \
    if ((kind) == ::crashdrill::testing::TargetKind::kS3 &&          \
        !::crashdrill::testing::S3SkipReason().empty()) {            \
      GTEST_SKIP() << ::crashdrill::testing::S3SkipReason();         \
    }                                                                \
    const ::crashdrill::system::Status cd_opened_ = (holder).Open(); \
    ASSERT_TRUE(cd_opened_.ok()) << cd_opened_.ToString();           \
  } while (0)

}  // namespace crashdrill::testing

// The multi-level checkpointer over two crashes on one disk: a first life
// commits and checkpoints until a crash, a second life recovers from what is
// on disk (the newest valid whole-state copy, then the WAL after it), commits
// updates of its own and crashes again. After each crash the recovered state
// must be exactly the state after some prefix of what the lives committed,
// never older than the newest acknowledged commit (P2, P3 in DESIGN §8).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "faults/sim_clock.h"
#include "system/levels/checkpointer.h"
#include "system/levels/wal_reader.h"
#include "system/recovery/point_in_time.h"
#include "system/state/state_update.h"
#include "tests/support/trading_script.h"
#include "tests/system/levels/crash_sweep.h"

namespace crashdrill::system {
namespace {

using faults::CrashKind;
using faults::SimDisk;
using testing::CrashPoints;

constexpr char kStateDir[] = "/state";
constexpr int kCommitsPerLife = 9;

CheckpointerOptions Options() {
  CheckpointerOptions options;
  options.state_dir = kStateDir;
  options.l1_period_ns = 20 * kNanosPerMilli;
  options.l2_period_ns = 40 * kNanosPerMilli;
  options.snapshot_period_ns = 60 * kNanosPerMilli;
  options.l1_slot_bytes = 16 << 10;
  options.wal_segment_bytes = 1024;
  options.snapshots_kept = 2;
  options.versions_kept = {2, 2, 2, 2, 2};
  return options;
}

// The k-th update of a life's script (tests/support/trading_script.h).
StateUpdate LifeUpdate(int life, int k) { return testing::TradingScriptUpdate(life, k); }

// What recovery would load: the valid whole-state copy with the highest
// state_seq (L2 versions of every type, snapshots), then every WAL record
// after it. L1 holds only the trading part, so it is not a base here.
Result<EngineState> Recover(Fs& fs) {
  EngineState base;
  const auto consider = [&base](const Result<EngineState>& copy) {
    if (copy.ok() && copy->state_seq() > base.state_seq()) base = *copy;
  };
  const std::string l2 = JoinPath(kStateDir, "l2");
  for (size_t type = 0; type < kCheckpointTypeCount; ++type) {
    const std::string dir = JoinPath(l2, CheckpointTypeName(static_cast<CheckpointType>(type)));
    CD_ASSIGN_OR_RETURN(const bool exists, fs.Exists(dir));
    if (!exists) continue;
    DurableFile file(fs, {.dir = dir});
    CD_ASSIGN_OR_RETURN(const std::vector<L2Version> versions, file.ListVersions());
    for (const L2Version& version : versions) consider(file.Read(version.version));
  }
  const std::string snapshot_dir = JoinPath(kStateDir, "snapshots");
  CD_ASSIGN_OR_RETURN(const bool snapshots_exist, fs.Exists(snapshot_dir));
  if (snapshots_exist) {
    SnapshotStore snapshots(fs, {.dir = snapshot_dir});
    CD_ASSIGN_OR_RETURN(const std::vector<SnapshotFile> files, snapshots.List());
    for (const SnapshotFile& file : files) consider(snapshots.Read(file));
  }
  const std::string wal_dir = JoinPath(kStateDir, "wal");
  CD_ASSIGN_OR_RETURN(const bool wal_exists, fs.Exists(wal_dir));
  if (!wal_exists) return base;
  WalEnd end;
  CD_RETURN_IF_ERROR(WalReader(fs, wal_dir)
                         .Read(
                             base.state_seq(),
                             [&](const WalRecordView& r) {
                               CD_ASSIGN_OR_RETURN(const StateUpdate update,
                                                   DecodeStateUpdate(r.type, r.payload, wal_dir));
                               return ApplyStateUpdate(base, update, r.state_seq, r.time_ns);
                             },
                             end));
  if (end.starts_after_seq > 0 && base.state_seq() < end.starts_after_seq) {
    return Status::Error(StatusCode::kNotFound, "recover", wal_dir,
                         "the WAL starts after every valid copy");
  }
  return base;
}

struct Life {
  Status problem;                    // the life could not go on though the disk had not crashed
  std::optional<EngineState> start;  // what it recovered and opened with
  // The state each commit makes (the last one may not have been acknowledged,
  // yet be durable), and how many of them were acknowledged.
  std::vector<EngineState> tried;
  size_t acknowledged = 0;
};

// Recovers, opens the checkpointer on the recovered state, then commits its
// script with checkpoints on their periods. A refused commit must leave the
// live state as it was, and the same update is committed again.
Life RunLife(SimDisk& disk, int life) {
  Life out;
  faults::SimClock clock;
  Result<EngineState> recovered = Recover(disk);
  if (!recovered.ok()) {
    if (!disk.halted()) out.problem = Status(recovered.status()).Annotate("recover");
    return out;
  }
  MultiLevelCheckpointer checkpointer(disk, clock, Options());
  Status opened;
  for (int attempt = 0; attempt < 2; ++attempt) {  // one transient fault may fail the first
    opened = checkpointer.Open(*recovered);
    if (opened.ok() || disk.halted() || !opened.injected()) break;
  }
  if (!opened.ok()) {
    if (!disk.halted()) out.problem = opened.Annotate("open");
    return out;
  }
  out.start = *recovered;
  for (int k = 0; k < kCommitsPerLife && !disk.halted(); ++k) {
    const StateUpdate update = LifeUpdate(life, k);
    EngineState next = checkpointer.state();
    if (!ApplyStateUpdate(next, update, next.state_seq() + 1, clock.Wall()).ok()) {
      out.problem = Status::InvalidArgument("script", "the life's script does not fit its state");
      return out;
    }
    out.tried.push_back(next);
    for (int attempt = 0; attempt < 2; ++attempt) {
      const EngineState before = checkpointer.state();
      const Status committed = checkpointer.Commit(update);
      if (committed.ok()) {
        if (!(checkpointer.state() == next)) {
          out.problem =
              Status::InvalidArgument("commit", "the live state is not the update applied");
          return out;
        }
        ++out.acknowledged;
        break;
      }
      if (disk.halted()) return out;
      if (!(checkpointer.state() == before)) {
        out.problem = Status(committed).Annotate("a refused commit changed the live state");
        return out;
      }
      if (attempt == 1) {
        out.problem = Status(committed).Annotate("the commit was refused twice");
        return out;
      }
    }
    clock.Advance(25 * kNanosPerMilli);
    checkpointer.Tick().IgnoreError();  // a failed checkpoint is counted, never fatal
  }
  return out;
}

void CheckRecovered(SimDisk& disk, const std::array<Life, 2>& lives, const CrashPoints& points) {
  const std::string where = points.Describe();
  for (const Life& life : lives) {
    ASSERT_TRUE(life.problem.ok()) << where << ": " << life.problem.ToString();
  }
  const Result<EngineState> recovered = Recover(disk);
  ASSERT_TRUE(recovered.ok()) << where << ": " << recovered.status().ToString();
  // The history the lives made: the second life continues from what it
  // recovered, so the first life's states after that are no longer history.
  const Life& first = lives[0];
  const Life& second = lives[1];
  std::vector<EngineState> history = {EngineState{}};
  for (const EngineState& state : first.tried) {
    if (!second.start || state.state_seq() <= second.start->state_seq()) history.push_back(state);
  }
  if (second.start) {
    ASSERT_EQ(*second.start, history.back())
        << where << ": the second life recovered a state the first never made";
    ASSERT_GE(second.start->state_seq(), first.acknowledged)
        << where << ": the first crash lost an acknowledged commit";
    history.insert(history.end(), second.tried.begin(), second.tried.end());
  }
  const Seq acknowledged =
      second.acknowledged > 0  ? second.tried[second.acknowledged - 1].state_seq()
      : first.acknowledged > 0 ? first.tried[first.acknowledged - 1].state_seq()
                               : 0;
  ASSERT_GE(recovered->state_seq(), acknowledged) << where << ": an acknowledged commit was lost";
  bool found = false;
  for (const EngineState& state : history) {
    if (state.state_seq() == recovered->state_seq()) {
      ASSERT_EQ(*recovered, state)
          << where << ": state_seq " << state.state_seq() << " recovered as a state no life had";
      found = true;
    }
  }
  ASSERT_TRUE(found) << where << ": recovered state_seq " << recovered->state_seq()
                     << " is past everything the lives committed";
  // And the engine goes on from it.
  faults::SimClock clock;
  MultiLevelCheckpointer checkpointer(disk, clock, Options());
  Status opened = checkpointer.Open(*recovered);
  if (!opened.ok() && opened.injected()) opened = checkpointer.Open(*recovered);
  ASSERT_TRUE(opened.ok()) << where << ": " << opened.ToString();
  Status committed = checkpointer.Commit(LifeUpdate(7, 0));
  if (!committed.ok() && committed.injected()) committed = checkpointer.Commit(LifeUpdate(7, 0));
  ASSERT_TRUE(committed.ok()) << where << ": " << committed.ToString();
}

void SweepCheckpointer(CrashKind first, CrashKind second,
                       const std::vector<faults::FaultEntry>& faults, uint64_t stride) {
  const std::string what =
      "checkpointer " + faults::CrashKindName(first) + ", " + faults::CrashKindName(second) +
      (faults.empty() ? "" : ", " + faults::FaultKindName(faults[0].fault.kind));
  for (const auto& model : testing::SweepModels()) {
    const auto stats = testing::SweepTwoCrashes<Life>(model, 1, first, second, RunLife,
                                                      CheckRecovered, faults, stride);
    EXPECT_GT(stats.crash_points, 100u);
    // A fault that never fires tests nothing (one at the 25th WAL write once
    // did not: two lives make fewer). It fires in every case that gets as far
    // as its write: in most for one early in the first life, in about a
    // sixth for one in the second life.
    if (!faults.empty()) {
      EXPECT_GT(stats.faulted_cases, stats.crash_points / 10) << what;
    }
    testing::PrintSweep(what.c_str(), stats);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// The checkpointer truncates the WAL only up to its OLDEST retained snapshot
// (snapshot_store.h), so when the newest snapshot is corrupt the state is
// rebuilt from the older one through the WAL the checkpointer itself kept.
TEST(CheckpointerMultiCrashTest, CorruptNewestSnapshotRebuildsFromTheOlderThroughKeptWal) {
  SimDisk disk({});
  faults::SimClock clock;
  CheckpointerOptions options = Options();
  options.snapshot_period_ns = 500 * kNanosPerMilli;  // several segments between snapshots
  MultiLevelCheckpointer checkpointer(disk, clock, options);
  ASSERT_TRUE(checkpointer.Open({}).ok());
  std::vector<EngineState> history = {EngineState{}};
  for (int k = 0; k < 60; ++k) {
    ASSERT_TRUE(checkpointer.Commit(LifeUpdate(k / 30, k % 30)).ok()) << "commit " << k;
    history.push_back(checkpointer.state());
    clock.Advance(25 * kNanosPerMilli);
    ASSERT_TRUE(checkpointer.Tick().ok());
  }
  ASSERT_GE(checkpointer.stats().snapshot.writes, 2u);
  SnapshotStore snapshots(disk, {.dir = "/state/snapshots"});
  const std::vector<SnapshotFile> files = *snapshots.List();
  ASSERT_EQ(files.size(), 2u);
  WalEnd end;
  ASSERT_TRUE(WalReader(disk, "/state/wal")
                  .Read(
                      0, [](const WalRecordView&) { return Status::Ok(); }, end)
                  .ok());
  ASSERT_GT(end.starts_after_seq, 0u) << "the checkpointer must have truncated the WAL";
  ASSERT_LE(end.starts_after_seq, files.front().state_seq);
  ASSERT_TRUE(disk.CorruptAtRest(files.back().path, faults::FaultKind::kZeroSector).ok());
  const Seq last = checkpointer.state().state_seq();
  auto rebuilt = RebuildAsOf(disk, snapshots, "/state/wal", last);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_EQ(rebuilt->snapshot_seq, files.front().state_seq);
  ASSERT_EQ(rebuilt->skipped.size(), 1u);
  EXPECT_EQ(rebuilt->state, history[last]);
}

TEST(CheckpointerMultiCrashTest, PowerLossThenPowerLossRecoversEveryAcknowledgedCommit) {
  SweepCheckpointer(CrashKind::kPowerLoss, CrashKind::kPowerLoss, {}, testing::kSecondCrashStride);
}

TEST(CheckpointerMultiCrashTest, ProcessCrashThenPowerLossRecoversEveryAcknowledgedCommit) {
  SweepCheckpointer(CrashKind::kProcessCrash, CrashKind::kPowerLoss, {},
                    testing::kSecondCrashStride);
}

TEST(CheckpointerMultiCrashTest, PowerLossThenProcessCrashRecoversEveryAcknowledgedCommit) {
  SweepCheckpointer(CrashKind::kPowerLoss, CrashKind::kProcessCrash, {},
                    testing::kSecondCrashStride);
}

// Both crashes keep the page cache: the second life recovers from copies and
// a WAL tail that no sync made durable, and goes on from them.
TEST(CheckpointerMultiCrashTest, ProcessCrashThenProcessCrashRecoversEveryAcknowledgedCommit) {
  SweepCheckpointer(CrashKind::kProcessCrash, CrashKind::kProcessCrash, {},
                    testing::kSecondCrashStride);
}

// A full disk in either life: the commit is refused, the live state is
// untouched, the same commit goes through once space is back, and crashes
// after it lose nothing acknowledged.
TEST(CheckpointerMultiCrashTest, RefusedCommitOnAFullDiskLeavesStateAndGoesOnAfterCrashes) {
  for (const uint64_t nth : {3u, 14u}) {
    const faults::FaultEntry no_space{
        faults::Trigger{.on = faults::TriggerOn::kWrite, .nth = nth, .path_glob = "/state/wal/*"},
        faults::Fault{.kind = faults::FaultKind::kShortWrite}};
    SweepCheckpointer(CrashKind::kPowerLoss, CrashKind::kPowerLoss, {no_space},
                      testing::kSecondCrashStride);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace crashdrill::system

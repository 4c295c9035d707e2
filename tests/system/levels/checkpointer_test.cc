#include "system/levels/checkpointer.h"

#include <gtest/gtest.h>

#include "faults/sim_clock.h"
#include "system/levels/point_in_time.h"
#include "tests/system/levels/crash_sweep.h"

namespace crashdrill::system {
namespace {

using faults::SimClock;
using faults::SimDisk;

Order BuyOrder(const std::string& id) {
  Order order;
  order.client_order_id = id;
  order.symbol = "ESZ6";
  order.venue = "SIMX";
  order.price_ticks = 1'000;
  order.quantity_lots = 1;
  return order;
}

CheckpointerOptions Options() {
  CheckpointerOptions options;
  options.state_dir = "/state";
  options.l1_slot_bytes = 64 << 10;
  options.wal_segment_bytes = 8 << 10;
  return options;
}

std::vector<WalRecord> WalRecords(Fs& fs) {
  std::vector<WalRecord> records;
  WalEnd end;
  EXPECT_TRUE(WalReader(fs, "/state/wal").Read(0, [&](const WalRecordView& r) {
    records.push_back(r.ToRecord());
    return Status::Ok();
  }, end).ok());
  return records;
}

class CountingArchive : public ArchiveSink {
 public:
  Status Archive(const EngineState& state) override {
    archived_seqs.push_back(state.state_seq());
    return Status::Ok();
  }
  std::vector<Seq> archived_seqs;
};

TEST(CheckpointerTest, CriticalUpdateIsInTheWalBeforeItIsLive) {
  SimDisk disk({});
  SimClock clock;
  MultiLevelCheckpointer checkpointer(disk, clock, Options());
  ASSERT_TRUE(checkpointer.Open({}).ok());
  ASSERT_TRUE(checkpointer.Commit(OrderSubmitted{BuyOrder("a")}).ok());
  EXPECT_TRUE(checkpointer.state().trading.pending_orders.contains("a"));
  const auto records = WalRecords(disk);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].type, RecordType::kOrderSubmit);
  EXPECT_EQ(records[0].state_seq, 1u);
}

StrategyState Strategy(const std::string& id, Minor pnl) {
  StrategyState strategy;
  strategy.strategy_id = id;
  strategy.pnl_minor = pnl;
  return strategy;
}

// The sequence rule (state_update.h): WAL seqs are exactly the critical updates, without gaps.
TEST(CheckpointerTest, StrategyUpdateTakesNoStateSeqAndStaysOutOfTheWal) {
  SimDisk disk({});
  SimClock clock;
  MultiLevelCheckpointer checkpointer(disk, clock, Options());
  ASSERT_TRUE(checkpointer.Open({}).ok());
  ASSERT_TRUE(checkpointer.Commit(StrategyUpdated{Strategy("mm-1", 1)}).ok());
  ASSERT_TRUE(checkpointer.Commit(OrderSubmitted{BuyOrder("a")}).ok());
  ASSERT_TRUE(checkpointer.Commit(StrategyUpdated{Strategy("mm-1", 2)}).ok());
  ASSERT_TRUE(checkpointer.Commit(StrategyUpdated{Strategy("trend-2", 3)}).ok());
  ASSERT_TRUE(checkpointer.Commit(OrderSubmitted{BuyOrder("b")}).ok());
  EXPECT_EQ(checkpointer.state().state_seq(), 2u);
  EXPECT_EQ(checkpointer.state().strategies.at("mm-1").pnl_minor, 2);
  const auto records = WalRecords(disk);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].state_seq, 1u);
  EXPECT_EQ(records[1].state_seq, 2u);
  EXPECT_EQ(records[1].type, RecordType::kOrderSubmit);
}

TEST(CheckpointerTest, UpdateThatDoesNotFitIsRefusedAndNothingIsLogged) {
  SimDisk disk({});
  SimClock clock;
  MultiLevelCheckpointer checkpointer(disk, clock, Options());
  ASSERT_TRUE(checkpointer.Open({}).ok());
  Status status = checkpointer.Commit(OrderAcknowledged{"nobody", 1, 1});
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("not committed"), std::string::npos) << status.ToString();
  EXPECT_EQ(checkpointer.state(), EngineState{});
  EXPECT_TRUE(WalRecords(disk).empty());
  EXPECT_EQ(checkpointer.stats().commits_refused, 1u);
}

TEST(CheckpointerTest, UpdateThatBreaksAnInvariantIsRefused) {
  SimDisk disk({});
  SimClock clock;
  MultiLevelCheckpointer checkpointer(disk, clock, Options());
  ASSERT_TRUE(checkpointer.Open({}).ok());
  Status status = checkpointer.Commit(BalanceSet{{"SIMX", "USD", 100, 200}});
  EXPECT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_EQ(status.field(), kInvariantBalance);
  EXPECT_TRUE(checkpointer.state().trading.balances.empty());
  EXPECT_TRUE(WalRecords(disk).empty());
}

TEST(CheckpointerTest, WalSyncFailureRefusesTheCommit) {
  faults::FaultPlan plan{1, {faults::FaultEntry{
                               faults::Trigger{.on = faults::TriggerOn::kSync, .nth = 1,
                                               .path_glob = "/state/wal/wal_*"},
                               faults::Fault{.kind = faults::FaultKind::kSyncFailure}}}};
  SimDisk disk({.plan = plan});
  SimClock clock;
  MultiLevelCheckpointer checkpointer(disk, clock, Options());
  ASSERT_TRUE(checkpointer.Open({}).ok());
  // The first sync of a segment is its creation; the record's own sync is the second.
  Status status = checkpointer.Commit(OrderSubmitted{BuyOrder("a")});
  for (int i = 0; i < 2 && status.ok(); ++i) {
    status = checkpointer.Commit(OrderSubmitted{BuyOrder("b" + std::to_string(i))});
  }
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(status.injected()) << status.ToString();
  const EngineState before = checkpointer.state();
  EXPECT_FALSE(checkpointer.Commit(OrderSubmitted{BuyOrder("c")}).ok())
      << "after a failed WAL sync nothing more may be acknowledged";
  EXPECT_EQ(checkpointer.state(), before);
}

TEST(CheckpointerTest, LevelsRunOnTheirMonotonicPeriodsWhateverTheWallClockDoes) {
  SimDisk disk({});
  SimClock clock;
  CountingArchive archive;
  CheckpointerOptions options = Options();
  options.snapshot_period_ns = 10 * kNanosPerSecond;
  options.archive_period_ns = 30 * kNanosPerSecond;
  MultiLevelCheckpointer checkpointer(disk, clock, options, &archive);
  ASSERT_TRUE(checkpointer.Open({}).ok());
  for (int ms = 0; ms < 60'000; ms += 50) {
    if (ms == 20'000) clock.StepWall(-3'600 * kNanosPerSecond);  // NTP steps back an hour
    if (ms % 500 == 0) {
      ASSERT_TRUE(checkpointer.Commit(OrderSubmitted{BuyOrder(std::to_string(ms))}).ok());
    }
    clock.Advance(50 * kNanosPerMilli);
    ASSERT_TRUE(checkpointer.Tick().ok());
  }
  const CheckpointerStats& stats = checkpointer.stats();
  EXPECT_EQ(stats.l1.writes, 600u);
  EXPECT_EQ(stats.l2.writes, 60u);
  EXPECT_EQ(stats.snapshot.writes, 6u);
  EXPECT_EQ(archive.archived_seqs.size(), 2u);
}

TEST(CheckpointerTest, EachCheckpointTypeKeepsItsOwnVersions) {
  SimDisk disk({});
  SimClock clock;
  MultiLevelCheckpointer checkpointer(disk, clock, Options());
  ASSERT_TRUE(checkpointer.Open({}).ok());
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(checkpointer.Checkpoint(CheckpointType::kManual).ok());
    ASSERT_TRUE(checkpointer.Checkpoint(CheckpointType::kEmergency).ok());
  }
  EXPECT_EQ(disk.List(checkpointer.L2Dir(CheckpointType::kManual))->size(), 10u);
  EXPECT_EQ(disk.List(checkpointer.L2Dir(CheckpointType::kEmergency))->size(), 5u);
  EXPECT_TRUE(disk.List(checkpointer.L2Dir(CheckpointType::kDaily))->empty());
}

TEST(CheckpointerTest, RefusesToOpenBehindItsOwnWal) {
  SimDisk disk({});
  SimClock clock;
  {
    MultiLevelCheckpointer checkpointer(disk, clock, Options());
    ASSERT_TRUE(checkpointer.Open({}).ok());
    ASSERT_TRUE(checkpointer.Commit(OrderSubmitted{BuyOrder("a")}).ok());
  }
  MultiLevelCheckpointer reopened(disk, clock, Options());
  EXPECT_EQ(reopened.Open({}).code(), StatusCode::kFailedPrecondition);
}

// A power loss at any operation of a trading session: the state rebuilt from
// snapshots + WAL is exactly the live state after some prefix of the updates,
// and that prefix holds every update Commit() acknowledged.
TEST(CheckpointerTest, PowerLossAtEveryOperationKeepsEveryAcknowledgedUpdate) {
  constexpr int kUpdates = 24;
  // history[k]: the reference state after the first k ATTEMPTED updates. An
  // update whose Commit failed may still be durable (the crash came after its
  // WAL write), so the recovered state may legitimately include it.
  std::vector<EngineState> history;
  const auto session = [&history](SimDisk& disk) {
    SimClock clock;
    CheckpointerOptions options = Options();
    options.snapshot_period_ns = 2 * kNanosPerSecond;
    options.wal_segment_bytes = 1024;
    MultiLevelCheckpointer checkpointer(disk, clock, options);
    Seq acknowledged = 0;
    history.assign(1, EngineState{});
    if (!checkpointer.Open({}).ok()) return acknowledged;
    for (int i = 0; i < kUpdates; ++i) {
      const std::string id = "o-" + std::to_string(i / 2);
      const StateUpdate update = i % 2 == 0 ? StateUpdate{OrderSubmitted{BuyOrder(id)}}
                                            : StateUpdate{OrderAcknowledged{id, 10u + i, 1u + i}};
      EngineState attempted = history.back();
      if (!ApplyStateUpdate(attempted, update, attempted.state_seq() + 1, clock.Wall()).ok()) {
        break;
      }
      history.push_back(std::move(attempted));
      if (!checkpointer.Commit(update).ok()) break;
      acknowledged = checkpointer.state().state_seq();
      if (checkpointer.state() != history.back()) {
        ADD_FAILURE() << "the live state differs from the reference after update " << i;
        break;
      }
      clock.Advance(300 * kNanosPerMilli);
      if (!checkpointer.Tick().ok()) break;
    }
    return acknowledged;
  };
  for (const auto& model : testing::SweepModels()) {
    const auto stats = testing::SweepEveryOperation<Seq>(
        model, 5, faults::CrashKind::kPowerLoss, session,
        [&history](SimDisk& disk, Seq acknowledged, uint64_t n) {
          if (acknowledged == 0) return;
          SnapshotStore snapshots(disk, {.dir = "/state/snapshots"});
          WalEnd end;
          ASSERT_TRUE(WalReader(disk, "/state/wal").Read(0, [](const WalRecordView&) {
            return Status::Ok();
          }, end).ok()) << "crash at op " << n;
          ASSERT_GE(end.last_seq, acknowledged) << "crash at op " << n << " lost an ack";
          auto rebuilt = RebuildAsOf(disk, snapshots, "/state/wal", end.last_seq);
          ASSERT_TRUE(rebuilt.ok()) << "crash at op " << n << ": " << rebuilt.status().ToString();
          ASSERT_LT(end.last_seq, history.size()) << "crash at op " << n << ": a record never attempted";
          ASSERT_EQ(rebuilt->state, history[end.last_seq]) << "crash at op " << n;
        });
    EXPECT_GT(stats.crash_points, 100u);
    testing::PrintSweep("checkpointer session", stats);
  }
}

}  // namespace
}  // namespace crashdrill::system

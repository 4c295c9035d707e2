#include "system/levels/checkpointer.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "faults/sim_clock.h"
#include "system/recovery/point_in_time.h"
#include "system/state/codec.h"
#include "tests/support/next_update_generator.h"
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
  EXPECT_TRUE(WalReader(fs, "/state/wal")
                  .Read(
                      0,
                      [&](const WalRecordView& r) {
                        records.push_back(r.ToRecord());
                        return Status::Ok();
                      },
                      end)
                  .ok());
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
  faults::FaultPlan plan{
      1,
      {faults::FaultEntry{
          faults::Trigger{
              .on = faults::TriggerOn::kSync, .nth = 2, .path_glob = "/state/wal/wal_*"},
          faults::Fault{.kind = faults::FaultKind::kSyncFailure}}}};
  SimDisk disk({.plan = plan});
  SimClock clock;
  MultiLevelCheckpointer checkpointer(disk, clock, Options());
  ASSERT_TRUE(checkpointer.Open({}).ok());
  // The first sync of a segment is its creation (a failure there fails only
  // that commit: the segment is made again); the record's own sync is the second.
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

Order OrderOf(const std::string& id, Lots lots) {
  Order order = BuyOrder(id);
  order.quantity_lots = lots;
  return order;
}

Fill FillOf(const std::string& id, Lots lots, Seq exchange_seq) {
  Fill fill;
  fill.client_order_id = id;
  fill.symbol = "ESZ6";
  fill.price_ticks = 1'000;
  fill.quantity_lots = lots;
  fill.exchange_seq = exchange_seq;
  return fill;
}

// A live state with an entry of every kind: a pending and a part-filled open
// order, a position, a balance, a recent fill, a strategy.
Status Populate(MultiLevelCheckpointer& checkpointer) {
  for (const StateUpdate& update : std::vector<StateUpdate>{
           OrderSubmitted{OrderOf("pending", 2)}, OrderSubmitted{OrderOf("open", 5)},
           OrderAcknowledged{"open", 77, 1}, FillReceived{FillOf("open", 2, 2), "USD"},
           BalanceSet{{"SIMX", "USD", 10'000, 8'000}}, StrategyUpdated{Strategy("mm-1", 1)}}) {
    CD_RETURN_IF_ERROR(checkpointer.Commit(update));
  }
  return Status::Ok();
}

// Entries of the live state a commit must not move unless it changes them.
struct EntryAddresses {
  const Order* pending;
  const Order* open;
  const Position* position;
  const Balance* balance;
  const Fill* fill;
  const StrategyState* strategy;
  bool operator==(const EntryAddresses&) const = default;
};

EntryAddresses AddressesOf(const EngineState& state) {
  const TradingState& t = state.trading;
  return {&t.pending_orders.at("pending"), &t.open_orders.at("open"), &t.positions.at("ESZ6"),
          &t.balances.at("SIMX/USD"),      &t.recent_fills.front(),   &state.strategies.at("mm-1")};
}

// No benchmark: a commit that copied the state would move every entry into
// new nodes, so entries it did not touch keep their addresses only in place.
TEST(CheckpointerTest, CommitChangesTheLiveStateInPlace) {
  SimDisk disk({});
  SimClock clock;
  MultiLevelCheckpointer checkpointer(disk, clock, Options());
  ASSERT_TRUE(checkpointer.Open({}).ok());
  ASSERT_TRUE(Populate(checkpointer).ok());
  const EntryAddresses before = AddressesOf(checkpointer.state());
  ASSERT_TRUE(checkpointer.Commit(OrderSubmitted{OrderOf("other", 1)}).ok());
  ASSERT_TRUE(checkpointer.Commit(RiskHalted{"operator"}).ok());
  ASSERT_TRUE(checkpointer.Commit(StrategyUpdated{Strategy("trend-2", 5)}).ok());
  ASSERT_FALSE(checkpointer.Commit(OrderAcknowledged{"nobody", 1, 9}).ok());
  ASSERT_FALSE(checkpointer.Commit(BalanceSet{{"SIMY", "USD", 1, 2}}).ok());
  EXPECT_TRUE(AddressesOf(checkpointer.state()) == before)
      << "an entry no commit touched moved: Commit copied the state";
}

// Refused after the apply — by validation — the commit is undone: the fill
// had filled the order, moved the position and the cash and appended itself.
TEST(CheckpointerTest, CommitRefusedByValidationLeavesTheLiveStateByteForByte) {
  SimDisk disk({});
  SimClock clock;
  MultiLevelCheckpointer checkpointer(disk, clock, Options());
  ASSERT_TRUE(checkpointer.Open({}).ok());
  ASSERT_TRUE(Populate(checkpointer).ok());
  const std::vector<std::byte> before = EncodeEngineState(checkpointer.state());
  // Its exchange_seq is not after the newest fill's: applies, then breaks sequence_monotonic.
  Status status = checkpointer.Commit(FillReceived{FillOf("open", 3, 2), "USD"});
  EXPECT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_EQ(status.field(), kInvariantSequence);
  status = checkpointer.Commit(BalanceSet{{"SIMX", "USD", 10'000, 10'001}});
  EXPECT_EQ(status.field(), kInvariantBalance) << status.ToString();
  // Byte for byte; not node for node: the undo may put back an entry the
  // update erased as a new node (glibc reuses the address, ASan does not).
  EXPECT_EQ(EncodeEngineState(checkpointer.state()), before);
  EXPECT_EQ(WalRecords(disk).size(), 5u) << "a refused update is not logged";
  ASSERT_TRUE(checkpointer.Commit(FillReceived{FillOf("open", 3, 3), "USD"}).ok());
  EXPECT_EQ(checkpointer.state().state_seq(), 6u);
}

// The WAL refuses the record (ENOSPC on its N-th write, for every N): the
// update was applied in place and is undone. (Each run stops at its first
// refusal: what the WAL accepts after a failed write is wal.h's contract.)
TEST(CheckpointerTest, CommitRefusedByTheWalLeavesTheLiveStateByteForByte) {
  const std::vector<StateUpdate> script = {
      OrderSubmitted{OrderOf("a", 4)},        OrderAcknowledged{"a", 5, 3},
      FillReceived{FillOf("a", 1, 4), "USD"}, RiskHalted{"operator"},
      FillReceived{FillOf("a", 3, 5), "USD"}, ConfigChanged{{.version = 2}}};
  size_t refused = 0, fills_refused = 0;
  for (uint64_t nth = 1; nth <= 12; ++nth) {
    faults::FaultPlan plan{
        nth,
        {faults::FaultEntry{
            faults::Trigger{
                .on = faults::TriggerOn::kWrite, .nth = nth, .path_glob = "/state/wal/wal_*"},
            faults::Fault{.kind = faults::FaultKind::kNoSpace}}}};
    SimDisk disk({.plan = plan});
    SimClock clock;
    MultiLevelCheckpointer checkpointer(disk, clock, Options());
    ASSERT_TRUE(checkpointer.Open({}).ok());
    if (!Populate(checkpointer).ok()) continue;  // the fault hit the setup
    for (const StateUpdate& update : script) {
      const std::vector<std::byte> before = EncodeEngineState(checkpointer.state());
      Status status = checkpointer.Commit(update);
      if (status.ok()) continue;
      ASSERT_TRUE(status.IsNoSpace()) << "write " << nth << ": " << status.ToString();
      ASSERT_EQ(EncodeEngineState(checkpointer.state()), before) << "write " << nth;
      ++refused;
      fills_refused += std::holds_alternative<FillReceived>(update);
      break;
    }
  }
  EXPECT_GE(refused, 4u);
  EXPECT_GE(fills_refused, 1u) << "no run refused a fill, the update that touches the most";
}

// A disk with no space left for the WAL's next segment: the commit that needs
// it is refused whole, and so is every critical commit after it.
TEST(CheckpointerTest, FullDiskRefusesCommitsWithoutTouchingTheLiveState) {
  SimDisk disk({.capacity_bytes = 1 << 20});
  SimClock clock;
  MultiLevelCheckpointer checkpointer(disk, clock, Options());
  ASSERT_TRUE(checkpointer.Open({}).ok());
  ASSERT_TRUE(Populate(checkpointer).ok());
  auto ballast = disk.Open("/ballast", OpenOptions::CreateOrOpen());
  ASSERT_TRUE(ballast.ok());
  ASSERT_TRUE((*ballast)->Truncate(*disk.FreeSpace("/")).ok());
  Status status;
  std::vector<std::byte> before;
  int refused = 0;
  for (int i = 0; status.ok() && i < 1'000; ++i) {
    before = EncodeEngineState(checkpointer.state());
    refused = i;
    status = checkpointer.Commit(OrderSubmitted{OrderOf("s-" + std::to_string(i), 1)});
  }
  ASSERT_TRUE(status.IsNoSpace()) << status.ToString();
  EXPECT_EQ(EncodeEngineState(checkpointer.state()), before);
  const StateUpdate again = OrderSubmitted{OrderOf("s-" + std::to_string(refused), 1)};
  EXPECT_TRUE(checkpointer.Commit(again).IsNoSpace()) << "the disk is still full";
  EXPECT_EQ(EncodeEngineState(checkpointer.state()), before);
  // Space returns: the same commit goes through, at the seq the refused one would have had.
  ballast->reset();
  ASSERT_TRUE(disk.Unlink("/ballast").ok());
  const Seq seq = checkpointer.state().state_seq() + 1;
  const Status resumed = checkpointer.Commit(again);
  ASSERT_TRUE(resumed.ok()) << resumed.ToString();
  EXPECT_EQ(checkpointer.state().state_seq(), seq);
}

// The commit as it was before it ran in place, kept as the reference: apply to
// a copy, validate all of it. OK and the copy when the update fits and keeps
// every invariant; else the status that refused it.
Status CopyApplyValidate(const EngineState& live, const StateUpdate& update, TimeNs time_ns,
                         EngineState& next) {
  next = live;
  const Seq seq = IsCritical(update) ? live.state_seq() + 1 : live.state_seq();
  CD_RETURN_IF_ERROR(ApplyStateUpdate(next, update, seq, time_ns));
  return Validate(next, {}, "update");
}

// Updates a live engine makes, and the ones a commit must refuse: updates
// that do not fit, a balance that breaks an invariant, a stale fill.
rc::Gen<StateUpdate> GenCommittedUpdate(const EngineState& live, int i) {
  const auto next = testing::GenNextUpdateOwning(live, i);
  return rc::gen::weightedOneOf<StateUpdate>(
      {{8, next},
       {2, testing::GenAnyUpdate()},
       {2, rc::gen::map(testing::GenStrategyState("trend-2"),
                        [](StrategyState s) -> StateUpdate { return StrategyUpdated{s}; })},
       {1, rc::gen::map(next, [](StateUpdate update) {
          if (auto* fill = std::get_if<FillReceived>(&update)) fill->fill.exchange_seq = 1;
          return update;
        })}});
}

// Random WAL faults: ENOSPC or EIO on some writes of the WAL, or a failed sync.
faults::FaultPlan GenWalFaults() {
  faults::FaultPlan plan{*rc::gen::arbitrary<uint64_t>(), {}};
  const int count = *rc::gen::inRange(0, 4);
  for (int i = 0; i < count; ++i) {
    const auto kind =
        *rc::gen::element(faults::FaultKind::kNoSpace, faults::FaultKind::kIoError,
                          faults::FaultKind::kShortWrite, faults::FaultKind::kSyncFailure);
    const auto on = kind == faults::FaultKind::kSyncFailure ? faults::TriggerOn::kSync
                                                            : faults::TriggerOn::kWrite;
    plan.entries.push_back(
        {faults::Trigger{
             .on = on, .nth = *rc::gen::inRange<uint64_t>(2, 60), .path_glob = "/state/wal/wal_*"},
         faults::Fault{.kind = kind}});
  }
  return plan;
}

// In place and O(touched) must change nothing observable: every update is
// accepted or refused as the copy-apply-validate commit would, with the same
// resulting state, and a refusal — by the apply, the validation or the WAL —
// leaves the live state byte for byte as it was.
RC_GTEST_PROP(CheckpointerProperty, CommittingInPlaceAgreesWithCopyApplyValidate, ()) {
  SimDisk disk({.plan = GenWalFaults()});
  SimClock clock;
  MultiLevelCheckpointer checkpointer(disk, clock, Options());
  RC_ASSERT(checkpointer.Open({}).ok());
  const int steps = *rc::gen::inRange(1, 150);
  size_t refused_by_wal = 0;
  for (int i = 0; i < steps; ++i) {
    const EngineState before = checkpointer.state();
    const StateUpdate update = *GenCommittedUpdate(before, i);
    EngineState expected;
    const Status reference = CopyApplyValidate(before, update, clock.Wall(), expected);
    const Status status = checkpointer.Commit(update);
    if (status.ok()) {
      RC_ASSERT(reference.ok());
      RC_ASSERT(checkpointer.state() == expected);
    } else {
      RC_ASSERT(EncodeEngineState(checkpointer.state()) == EncodeEngineState(before));
      if (reference.ok()) {  // only the WAL can refuse what the reference accepts
        RC_ASSERT(IsCritical(update));
        // An injected fault (or a log poisoned by one), never the seq of a
        // batch that failed: a failed batch frees its seq (issue 9, defect 2).
        RC_ASSERT(status.injected());
        ++refused_by_wal;
      } else {
        RC_ASSERT(status.code() == reference.code());
        RC_ASSERT(status.field() == reference.field());
      }
    }
    clock.Advance(*rc::gen::inRange<int64_t>(0, 50) * kNanosPerMilli);
  }
  RC_CLASSIFY(refused_by_wal > 0, "refused by the WAL");
  RC_CLASSIFY(checkpointer.stats().commits_refused > refused_by_wal, "refused before the WAL");
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

// Commit validates only the entries an update touches, so it must start valid.
TEST(CheckpointerTest, RefusesToOpenWithAnInitialStateThatBreaksAnInvariant) {
  SimDisk disk({});
  SimClock clock;
  MultiLevelCheckpointer checkpointer(disk, clock, Options());
  EngineState initial;
  initial.trading.risk.halted = true;  // without a reason
  Status status = checkpointer.Open(initial);
  EXPECT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_EQ(status.field(), kInvariantHaltReason);
  EXPECT_TRUE(disk.List("/")->empty()) << "nothing is created for a state that is refused";
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
          ASSERT_TRUE(WalReader(disk, "/state/wal")
                          .Read(
                              0, [](const WalRecordView&) { return Status::Ok(); }, end)
                          .ok())
              << "crash at op " << n;
          ASSERT_GE(end.last_seq, acknowledged) << "crash at op " << n << " lost an ack";
          auto rebuilt = RebuildAsOf(disk, snapshots, "/state/wal", end.last_seq);
          ASSERT_TRUE(rebuilt.ok()) << "crash at op " << n << ": " << rebuilt.status().ToString();
          ASSERT_LT(end.last_seq, history.size())
              << "crash at op " << n << ": a record never attempted";
          ASSERT_EQ(rebuilt->state, history[end.last_seq]) << "crash at op " << n;
        });
    EXPECT_GT(stats.crash_points, 100u);
    testing::PrintSweep("checkpointer session", stats);
  }
}

}  // namespace
}  // namespace crashdrill::system

namespace crashdrill::system {
namespace {

// After Checkpoint() returns OK its L2 version survives a power loss on a
// strict file system: the checkpoint type's directory entry is durable too
// (Open makes every type directory and syncs their parent once).
TEST(CheckpointerTest, AnL2VersionSurvivesPowerLossWithItsDirectory) {
  for (uint64_t seed = 1; seed <= 16; ++seed) {
    SCOPED_TRACE(seed);
    faults::SimDiskOptions options;
    options.model.dir_sync = faults::DirSyncMode::kStrict;
    options.plan.seed = seed;
    SimDisk disk(options);
    SimClock clock;
    {
      MultiLevelCheckpointer checkpointer(disk, clock, Options());
      ASSERT_TRUE(checkpointer.Open(EngineState{}).ok());
      ASSERT_TRUE(checkpointer.Checkpoint(CheckpointType::kManual).ok());
    }
    disk.Crash(faults::CrashKind::kPowerLoss);
    auto names = disk.List(JoinPath(Options().state_dir, "l2/manual"));
    ASSERT_TRUE(names.ok()) << names.status().ToString();
    EXPECT_EQ(names->size(), 1u);
  }
}

}  // namespace
}  // namespace crashdrill::system

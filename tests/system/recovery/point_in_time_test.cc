// Snapshots plus WAL rebuild the state at any covered seq, and no crash point
// of snapshotting and WAL truncation leaves a state that cannot be rebuilt.
#include "system/recovery/point_in_time.h"

#include <gtest/gtest.h>

#include "system/levels/wal.h"
#include "system/state/state_update.h"
#include "tests/system/levels/crash_sweep.h"

namespace crashdrill::system {
namespace {

using faults::CrashKind;
using faults::SimDisk;

// A fixed trading script: submit, acknowledge, then fill each order.
StateUpdate ScriptedUpdate(Seq seq) {
  const std::string id = "o-" + std::to_string((seq - 1) / 3);
  switch (seq % 3) {
    case 1: {
      Order order;
      order.client_order_id = id;
      order.symbol = seq % 2 == 0 ? "ESZ6" : "NQZ6";
      order.venue = "SIMX";
      order.side = seq % 4 == 1 ? Side::kBuy : Side::kSell;
      order.price_ticks = 1'000 + static_cast<Ticks>(seq);
      order.quantity_lots = 2;
      return OrderSubmitted{order};
    }
    case 2:
      return OrderAcknowledged{id, 500 + seq, seq};
    default: {
      Fill fill;
      fill.client_order_id = id;
      fill.exchange_seq = seq;
      fill.symbol = (seq - 2) % 2 == 0 ? "ESZ6" : "NQZ6";
      fill.side = (seq - 2) % 4 == 1 ? Side::kBuy : Side::kSell;
      fill.price_ticks = 1'000 + static_cast<Ticks>(seq);
      fill.quantity_lots = 2;
      return FillReceived{fill, "USD"};
    }
  }
}

// history[k] is the state after records 1..k.
std::vector<EngineState> ScriptedHistory(Seq last) {
  std::vector<EngineState> history(1);
  for (Seq seq = 1; seq <= last; ++seq) {
    EngineState next = history.back();
    EXPECT_TRUE(ApplyStateUpdate(next, ScriptedUpdate(seq), seq, static_cast<TimeNs>(seq)).ok());
    history.push_back(std::move(next));
  }
  return history;
}

constexpr Seq kRecords = 36;
constexpr Seq kSnapshotEvery = 8;

// Appends the script, snapshotting every kSnapshotEvery records and dropping
// the WAL segments the oldest retained snapshot covers (so any retained
// snapshot can still be replayed forward). Returns the newest acknowledged seq.
Seq RunScript(SimDisk& disk, const std::vector<EngineState>& history) {
  if (!disk.MakeDir("/state").ok() || !disk.SyncDir("/").ok()) return 0;
  Wal wal(disk, {.dir = "/state/wal", .segment_bytes = 1024});
  SnapshotStore snapshots(disk, {.dir = "/state/snapshots", .snapshots_kept = 2});
  if (!wal.Open().ok() || !snapshots.Open().ok()) return 0;
  Seq acknowledged = 0;
  for (Seq seq = 1; seq <= kRecords; ++seq) {
    const StateUpdate update = ScriptedUpdate(seq);
    if (!wal.Append({TypeOf(update), seq, static_cast<TimeNs>(seq), EncodeStateUpdate(update)})
             .ok()) {
      break;
    }
    acknowledged = seq;
    if (seq % kSnapshotEvery == 0) {
      if (!snapshots.Write(history[seq]).ok()) break;
      auto retained = snapshots.List();
      if (!retained.ok() || !wal.DropSegmentsCoveredBy(retained->front().state_seq).ok()) break;
    }
  }
  return acknowledged;
}

TEST(PointInTimeTest, RebuildsEveryCoveredSeqExactly) {
  const auto history = ScriptedHistory(kRecords);
  SimDisk disk({});
  ASSERT_EQ(RunScript(disk, history), kRecords);
  SnapshotStore snapshots(disk, {.dir = "/state/snapshots"});
  WalEnd end;
  ASSERT_TRUE(WalReader(disk, "/state/wal")
                  .Read(
                      0, [](const WalRecordView&) { return Status::Ok(); }, end)
                  .ok());
  ASSERT_GT(end.starts_after_seq, 0u) << "the script must have dropped covered segments";
  const Seq oldest_snapshot = snapshots.List()->front().state_seq;
  for (Seq target = oldest_snapshot; target <= kRecords; ++target) {
    auto rebuilt = RebuildAsOf(disk, snapshots, "/state/wal", target);
    ASSERT_TRUE(rebuilt.ok()) << "seq " << target << ": " << rebuilt.status().ToString();
    EXPECT_EQ(rebuilt->state, history[target]) << "seq " << target;
  }
  auto too_old = RebuildAsOf(disk, snapshots, "/state/wal", oldest_snapshot - 1);
  EXPECT_TRUE(too_old.status().IsNotFound()) << too_old.status().ToString();
  auto beyond = RebuildAsOf(disk, snapshots, "/state/wal", kRecords + 1);
  EXPECT_TRUE(beyond.status().IsNotFound());
}

TEST(PointInTimeTest, CorruptSnapshotIsSkippedForAnOlderOne) {
  const auto history = ScriptedHistory(kRecords);
  SimDisk disk({});
  ASSERT_EQ(RunScript(disk, history), kRecords);
  SnapshotStore snapshots(disk, {.dir = "/state/snapshots"});
  const auto files = *snapshots.List();
  ASSERT_EQ(files.size(), 2u);
  ASSERT_TRUE(disk.CorruptAtRest(files.back().path, faults::FaultKind::kBitFlip).ok());
  auto rebuilt = RebuildAsOf(disk, snapshots, "/state/wal", kRecords);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_EQ(rebuilt->state, history[kRecords]);
  EXPECT_EQ(rebuilt->snapshot_seq, files.front().state_seq);
  ASSERT_EQ(rebuilt->skipped.size(), 1u);
  EXPECT_EQ(rebuilt->skipped.front().path(), files.back().path);
}

// A rebuild stops at its target: damage in records after it does not matter.
TEST(PointInTimeTest, DamageAfterTheTargetDoesNotStopTheRebuild) {
  const auto history = ScriptedHistory(kRecords);
  SimDisk disk({});
  ASSERT_TRUE(disk.MakeDir("/state").ok());
  Wal wal(disk, {.dir = "/state/wal", .segment_bytes = 512});
  ASSERT_TRUE(wal.Open().ok());
  for (Seq seq = 1; seq <= kRecords; ++seq) {
    const StateUpdate update = ScriptedUpdate(seq);
    ASSERT_TRUE(
        wal.Append({TypeOf(update), seq, static_cast<TimeNs>(seq), EncodeStateUpdate(update)})
            .ok());
  }
  SnapshotStore snapshots(disk, {.dir = "/state/snapshots"});
  ASSERT_TRUE(snapshots.Open().ok());
  constexpr Seq kTarget = 5;
  auto segments = WalReader(disk, "/state/wal").Segments();
  ASSERT_TRUE(segments.ok());
  ASSERT_GE(segments->size(), 4u);
  const WalSegment& damaged = (*segments)[segments->size() - 2];  // not the last: corruption
  ASSERT_GT(damaged.first_seq, kTarget + 1) << "the damage must lie after the target";
  ASSERT_TRUE(disk.CorruptAtRest(damaged.path, faults::FaultKind::kZeroSector).ok());
  ASSERT_TRUE(disk.CorruptAtRest(damaged.path, faults::FaultKind::kBitFlip).ok());
  WalEnd end;
  ASSERT_TRUE(WalReader(disk, "/state/wal")
                  .Read(
                      0, [](const WalRecordView&) { return Status::Ok(); }, end)
                  .IsCorruption())
      << "the damage must be visible to a whole read";
  auto rebuilt = RebuildAsOf(disk, snapshots, "/state/wal", kTarget);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_EQ(rebuilt->state, history[kTarget]);
  EXPECT_EQ(rebuilt->records_replayed, kTarget);
}

TEST(PointInTimeTest, NoCrashPointOfSnapshottingAndTruncationLosesTheState) {
  const auto history = ScriptedHistory(kRecords);
  for (const auto& model : testing::SweepModels()) {
    for (uint64_t seed : {1, 2, 3, 4}) {
      const auto stats = testing::SweepEveryOperation<Seq>(
          model, seed, CrashKind::kPowerLoss,
          [&](SimDisk& disk) { return RunScript(disk, history); },
          [&](SimDisk& disk, Seq acknowledged, uint64_t n) {
            if (acknowledged == 0) return;
            SnapshotStore snapshots(disk, {.dir = "/state/snapshots"});
            WalEnd end;
            Status read = WalReader(disk, "/state/wal")
                              .Read(
                                  0, [](const WalRecordView&) { return Status::Ok(); }, end);
            ASSERT_TRUE(read.ok()) << "crash at op " << n << ": " << read.ToString();
            ASSERT_GE(end.last_seq, acknowledged) << "crash at op " << n;
            auto rebuilt = RebuildAsOf(disk, snapshots, "/state/wal", end.last_seq);
            ASSERT_TRUE(rebuilt.ok()) << "crash at op " << n << ": " << rebuilt.status().ToString();
            ASSERT_EQ(rebuilt->state, history[end.last_seq]) << "crash at op " << n;
          });
      EXPECT_GT(stats.crash_points, 100u);
      testing::PrintSweep("snapshot + WAL truncation", stats);
    }
  }
}

}  // namespace
}  // namespace crashdrill::system

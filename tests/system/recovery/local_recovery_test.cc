// Local recovery chooses the base by state_seq across every level, never by
// level order or wall time, skips and names a corrupt copy, completes an L1
// base from the newest whole copy below it, and stops replay at a gap.
#include "system/recovery/local_recovery.h"

#include <gtest/gtest.h>

#include "faults/sim_clock.h"
#include "faults/sim_disk.h"
#include "system/levels/checkpointer.h"
#include "system/levels/durable_file.h"
#include "system/levels/mmap_checkpoint.h"
#include "system/levels/snapshot_store.h"
#include "system/levels/wal.h"
#include "system/levels/wal_reader.h"
#include "system/state/state_update.h"
#include "tests/system/recovery/fake_archive.h"

namespace crashdrill::system {
namespace {

constexpr char kDir[] = "/state";
constexpr size_t kSlotBytes = 64 << 10;

// A script of critical updates: update n (1-based) submits order "o<n>",
// except every 5th, which changes the configuration (version n).
StateUpdate Update(Seq n) {
  if (n % 5 == 0) {
    ConfigurationState config;
    config.system.instance_id = "cd1";
    config.version = n;
    return ConfigChanged{config};
  }
  Order order;
  order.client_order_id = "o" + std::to_string(n);
  order.symbol = "ACME";
  order.venue = "crashdrill-sim";
  order.side = Side::kBuy;
  order.price_ticks = 100 + static_cast<Ticks>(n);
  order.quantity_lots = 1;
  return OrderSubmitted{order};
}

// The state after updates 1..n, with a strategy whose state says `n`.
EngineState StateAt(Seq n) {
  EngineState state;
  for (Seq i = 1; i <= n; ++i) {
    EXPECT_TRUE(ApplyStateUpdate(state, Update(i), i, faults::SimClock::kDefaultWallStartNs).ok());
  }
  StrategyState strategy;
  strategy.strategy_id = "mm1";
  strategy.parameters["at"] = static_cast<int64_t>(n);
  EXPECT_TRUE(ApplyStateUpdate(state, StrategyUpdated{strategy}, n, 0).ok());
  return state;
}

class LocalRecoveryTest : public ::testing::Test {
 protected:
  LocalRecoveryTest() : disk_(faults::SimDiskOptions{}) {
    EXPECT_TRUE(disk_.MakeDir(kDir).ok());
    EXPECT_TRUE(disk_.MakeDir(JoinPath(kDir, "l2")).ok());
  }

  void WriteWal(Seq first, Seq last) {
    Wal wal(disk_, {WalDir(kDir), 4096});
    ASSERT_TRUE(wal.Open().ok());
    for (Seq n = first; n <= last; ++n) {
      ASSERT_TRUE(wal.Append({TypeOf(Update(n)), n, faults::SimClock::kDefaultWallStartNs,
                              EncodeStateUpdate(Update(n))})
                      .ok());
    }
  }
  void WriteL1(Seq n) {
    MmapCheckpoint l1(disk_, {L1Path(kDir), kSlotBytes});
    ASSERT_TRUE(l1.Open().ok());
    ASSERT_TRUE(l1.Write(StateAt(n).trading).ok());
  }
  void WriteSnapshot(Seq n) {
    SnapshotStore store(disk_, {SnapshotDir(kDir), 5});
    ASSERT_TRUE(store.Open().ok());
    ASSERT_TRUE(store.Write(StateAt(n)).ok());
  }
  void WriteL2(Seq n, std::string_view type = "automatic") {
    DurableFile l2(disk_, {L2TypeDir(kDir, type), 5});
    ASSERT_TRUE(l2.Open().ok());
    ASSERT_TRUE(l2.Write(StateAt(n)).ok());
  }
  LocalRecovery Recover(int64_t wall_step_ns = 0, std::vector<CopySource*> sources = {},
                        bool examine_every_copy = true) {
    faults::SimClock clock;
    clock.StepWall(wall_step_ns);
    LocalRecoveryOptions options;
    options.state_dir = kDir;
    options.l1_slot_bytes = kSlotBytes;
    options.examine_every_copy = examine_every_copy;
    options.copy_sources = std::move(sources);
    auto recovered = RecoverLocal(disk_, clock, options);
    EXPECT_TRUE(recovered.ok()) << recovered.status().ToString();
    return std::move(recovered).value();
  }
  const CandidateCopy& Base(const LocalRecovery& r) {
    EXPECT_TRUE(r.report.base.has_value()) << r.report.base_reason;
    return r.report.candidates.at(*r.report.base);
  }

  faults::SimDisk disk_;
};

// The state directory is gone: the archive's newest valid copy is the base,
// and its corrupt newer copy is named, not loaded (DESIGN §5, P5).
TEST_F(LocalRecoveryTest, WithTheStateDirectoryLostTheNewestValidArchivedCopyIsTheBase) {
  FakeArchive archive;
  archive.Add(StateAt(6));
  archive.Add(StateAt(9));
  archive.Add(StateAt(12), /*corrupt=*/true);
  const LocalRecovery r = Recover(0, {&archive}, /*examine_every_copy=*/false);
  EXPECT_EQ(Base(r).level, CopyLevel::kL4);
  EXPECT_EQ(r.report.source, "l4");
  EXPECT_EQ(r.report.base_seq, 9u);
  EXPECT_EQ(r.state, StateAt(9));
  EXPECT_TRUE(r.report.HistoryMayBeLost());
  ASSERT_EQ(r.report.candidates.size(), 3u);
  EXPECT_TRUE(r.report.candidates[0].verdict.IsCorruption());
  EXPECT_FALSE(r.report.candidates[2].examined) << "older than a valid archived copy";
  EXPECT_EQ(archive.read_, (std::vector<uint64_t>{0, 1}));
}

// Local copies newer than the archive win, and the archive is not even read
// in recover mode (its copies could not be chosen: RTO).
TEST_F(LocalRecoveryTest, ANewerLocalCopyWinsOverTheArchiveWhichIsNotRead) {
  WriteL2(10);
  WriteWal(1, 13);
  FakeArchive archive;
  archive.Add(StateAt(8));
  archive.Add(StateAt(10));
  const LocalRecovery r = Recover(0, {&archive}, /*examine_every_copy=*/false);
  EXPECT_EQ(Base(r).level, CopyLevel::kL2);
  EXPECT_EQ(r.state.trading, StateAt(13).trading);
  EXPECT_FALSE(r.report.HistoryMayBeLost());
  EXPECT_TRUE(archive.read_.empty());
  // inspect reads and validates every copy, and still chooses by state_seq.
  const LocalRecovery inspected = Recover(0, {&archive}, /*examine_every_copy=*/true);
  EXPECT_EQ(Base(inspected).level, CopyLevel::kL2);
  EXPECT_EQ(archive.read_.size(), 2u);
}

// An archive newer than every local copy (the local levels were damaged) is
// the base, and the local log after it is replayed onto it.
TEST_F(LocalRecoveryTest, AnArchivedCopyNewerThanEveryLocalOneIsTheBaseAndTheLogGoesOnFromIt) {
  WriteL2(4);
  WriteWal(1, 14);
  FakeArchive archive;
  archive.Add(StateAt(11));
  const LocalRecovery r = Recover(0, {&archive}, /*examine_every_copy=*/false);
  EXPECT_EQ(Base(r).level, CopyLevel::kL4);
  EXPECT_EQ(r.report.records_replayed, 3u);
  EXPECT_EQ(r.state.trading, StateAt(14).trading);
}

// An archive that cannot be listed (database down) is reported; recovery
// goes on from the local levels.
TEST_F(LocalRecoveryTest, AnArchiveThatCannotBeListedIsReportedAndSkipped) {
  WriteL2(5);
  FakeArchive archive;
  archive.Add(StateAt(9));
  archive.FailListing();
  const LocalRecovery r = Recover(0, {&archive}, /*examine_every_copy=*/false);
  EXPECT_EQ(Base(r).level, CopyLevel::kL2);
  // Only the archive: a level that does not exist yet (no snapshot) is not unreadable.
  ASSERT_EQ(r.report.unreadable.size(), 1u);
  EXPECT_NE(r.report.unreadable[0].ToString().find("database is down"), std::string::npos)
      << r.report.unreadable[0].ToString();
}

// A base from the archive is written into the state directory before the
// log goes on after it, so a crash right after recovery finds it locally.
TEST_F(LocalRecoveryTest, AnArchivedBaseIsSavedLocallyBeforeTheLogGoesOn) {
  FakeArchive archive;
  archive.Add(StateAt(9));
  LocalRecovery r = Recover(0, {&archive}, /*examine_every_copy=*/false);
  ASSERT_EQ(r.report.source, "l4");
  ASSERT_TRUE(PrepareForAppend(disk_, r, 2).ok());
  const LocalRecovery again = Recover();
  EXPECT_EQ(Base(again).level, CopyLevel::kL2);
  EXPECT_EQ(Base(again).kind, CheckpointTypeName(CheckpointType::kEmergency));
  EXPECT_EQ(again.state, StateAt(9));
}

TEST_F(LocalRecoveryTest, NewDirectoryFindsNothing) {
  const LocalRecovery r = Recover();
  EXPECT_TRUE(r.found_nothing);
  EXPECT_FALSE(r.report.base);
  EXPECT_EQ(r.report.source, "empty");
  EXPECT_EQ(r.state, EngineState{});
}

TEST_F(LocalRecoveryTest, ANewerSnapshotBeatsAStaleL1) {
  WriteWal(1, 14);
  WriteL1(4);  // stale: the process wrote L1 at 4 and nothing since
  WriteSnapshot(10);
  const LocalRecovery r = Recover();
  EXPECT_EQ(Base(r).level, CopyLevel::kSnapshot);
  EXPECT_EQ(r.report.base_seq, 10u);
  EXPECT_EQ(r.report.records_replayed, 4u);
  EXPECT_EQ(r.state.trading, StateAt(14).trading);
  EXPECT_EQ(r.state.config, StateAt(14).config);
}

TEST_F(LocalRecoveryTest, ANewerL1BeatsAnOlderWholeCopyAndTakesConfigurationFromTheLog) {
  WriteWal(1, 14);
  WriteSnapshot(3);
  WriteL1(12);
  const LocalRecovery r = Recover();
  EXPECT_EQ(Base(r).level, CopyLevel::kL1);
  EXPECT_EQ(r.report.base_seq, 12u);
  EXPECT_EQ(r.report.records_replayed, 2u);  // 13 and 14; 4..12 only for their config
  const EngineState expected = StateAt(14);
  EXPECT_EQ(r.state.trading, expected.trading);
  EXPECT_EQ(r.state.config, expected.config);  // version 10, from the log below the L1 base
  EXPECT_EQ(r.state.strategies.at("mm1").parameters.at("at"), 3);  // the snapshot's
}

TEST_F(LocalRecoveryTest, ACorruptNewestCopyIsNamedAndTheNextValidOneIsUsed) {
  WriteWal(1, 14);
  WriteL2(8);
  WriteL2(12);
  const std::string newest = JoinPath(L2TypeDir(kDir, "automatic"), DurableFile::FileName(2));
  ASSERT_TRUE(disk_.CorruptAtRest(newest, faults::FaultKind::kBitFlip).ok());
  const LocalRecovery r = Recover();
  EXPECT_EQ(Base(r).location, JoinPath(L2TypeDir(kDir, "automatic"), DurableFile::FileName(1)));
  EXPECT_EQ(r.report.base_seq, 8u);
  EXPECT_EQ(r.state.trading, StateAt(14).trading);
  bool named = false;
  for (const CandidateCopy& c : r.report.candidates) {
    if (c.location == newest) {
      named = true;
      EXPECT_FALSE(c.verdict.ok());
      EXPECT_NE(c.verdict.ToString().find(newest), std::string::npos) << c.verdict.ToString();
    }
  }
  EXPECT_TRUE(named);
}

TEST_F(LocalRecoveryTest, WallClockSkewOfAnHourChangesNeitherTheChoiceNorTheState) {
  WriteWal(1, 14);
  WriteSnapshot(6);
  WriteL1(9);
  WriteL2(11);
  const LocalRecovery plain = Recover();
  for (const int64_t skew : {3600 * kNanosPerSecond, -3600 * kNanosPerSecond}) {
    const LocalRecovery skewed = Recover(skew);
    EXPECT_EQ(skewed.report.base, plain.report.base) << skew;
    EXPECT_EQ(skewed.state, plain.state) << skew;
  }
  EXPECT_EQ(plain.report.base_seq, 11u);
}

TEST_F(LocalRecoveryTest, AGapInTheLogStopsReplayAndIsQuarantinedAfterAnEmergencyCopy) {
  WriteWal(1, 6);
  WriteSnapshot(4);
  // Then a segment starting at 9: 7 and 8 are gone.
  const std::string gap_segment = JoinPath(WalDir(kDir), WalSegmentName(9));
  {
    // A lone segment whose first record is 9, made by a WAL in another directory.
    Wal other(disk_, {"/elsewhere", 4096});
    ASSERT_TRUE(disk_.MakeDir("/elsewhere").ok());
    ASSERT_TRUE(other.Open().ok());
    for (Seq n = 9; n <= 10; ++n) {
      ASSERT_TRUE(other.Append({TypeOf(Update(n)), n, 0, EncodeStateUpdate(Update(n))}).ok());
    }
  }
  auto names = disk_.List("/elsewhere");
  ASSERT_TRUE(names.ok());
  ASSERT_EQ(names->size(), 1u);
  ASSERT_TRUE(disk_.Rename(JoinPath("/elsewhere", names->front()), gap_segment).ok());

  LocalRecovery r = Recover();
  EXPECT_EQ(r.report.recovered_seq, 6u);
  EXPECT_TRUE(r.report.wal_stop.IsCorruption()) << r.report.wal_stop.ToString();
  EXPECT_EQ(r.report.wal_stop.path(), gap_segment) << r.report.wal_stop.ToString();
  ASSERT_TRUE(PrepareForAppend(disk_, r, 3).ok());
  // The damaged segment is kept, not deleted, and the log now ends at 6.
  EXPECT_TRUE(
      *disk_.Exists(JoinPath(JoinPath(QuarantineDir(kDir), "wal-after-6"), WalSegmentName(9))));
  EXPECT_FALSE(*disk_.Exists(gap_segment));
  const LocalRecovery again = Recover();
  EXPECT_EQ(again.report.recovered_seq, 6u);
  EXPECT_TRUE(again.report.wal_stop.ok()) << again.report.wal_stop.ToString();
  EXPECT_EQ(again.state.trading, r.state.trading);
}

// A log whose oldest segments were dropped past the base (e.g. the snapshot
// that covered them was lost): the reader sees a well-formed log starting at a
// later seq; replay must not apply it across the hole.
TEST_F(LocalRecoveryTest, ALogThatStartsAfterTheBaseIsNotReplayedAcrossTheHole) {
  {
    Wal wal(disk_, {WalDir(kDir), 1024});  // small segments: several of them
    ASSERT_TRUE(wal.Open().ok());
    for (Seq n = 1; n <= 20; ++n) {
      ASSERT_TRUE(wal.Append({TypeOf(Update(n)), n, 0, EncodeStateUpdate(Update(n))}).ok());
    }
    ASSERT_TRUE(wal.DropSegmentsCoveredBy(10).ok());
  }
  WriteSnapshot(2);
  LocalRecovery r = Recover();
  EXPECT_EQ(r.report.base_seq, 2u);
  EXPECT_EQ(r.report.recovered_seq, 2u) << "replayed across the hole";
  EXPECT_TRUE(r.report.wal_stop.IsCorruption()) << r.report.wal_stop.ToString();
  EXPECT_NE(r.report.wal_stop.ToString().find("expected state_seq 3"), std::string::npos)
      << r.report.wal_stop.ToString();
  EXPECT_EQ(r.state, StateAt(2));
}

// Damage inside the only segment: replay stops before it; making the log
// appendable moves that segment (good records included) into quarantine, so
// the recovered state must first be a copy of its own: recovering again
// reaches the same state.
TEST_F(LocalRecoveryTest, DamageInsideASegmentIsQuarantinedOnlyAfterTheRecoveredStateIsSaved) {
  WriteWal(1, 20);
  WriteSnapshot(2);
  const std::string segment = JoinPath(WalDir(kDir), WalSegmentName(1));
  uint64_t log_end = 0;
  {
    WalReader reader(disk_, WalDir(kDir));
    WalEnd end;
    ASSERT_TRUE(reader
                    .Read(
                        0, [](const WalRecordView&) { return Status::Ok(); }, end)
                    .ok());
    log_end = end.offset;
  }
  {
    auto file = disk_.Open(segment, OpenOptions::ReadWrite());
    ASSERT_TRUE(file.ok());
    const std::byte garbage[4] = {std::byte{0xde}, std::byte{0xad}, std::byte{0xbe},
                                  std::byte{0xef}};
    ASSERT_TRUE((*file)->WriteAt(log_end / 2, garbage).ok());
    ASSERT_TRUE((*file)->Sync().ok());
  }
  LocalRecovery r = Recover();
  const Seq reached = r.report.recovered_seq;
  ASSERT_GT(reached, 2u);
  ASSERT_LT(reached, 20u);
  ASSERT_TRUE(r.report.wal_stop.IsCorruption()) << r.report.wal_stop.ToString();
  ASSERT_TRUE(PrepareForAppend(disk_, r, 3).ok());
  EXPECT_FALSE(*disk_.Exists(segment));
  const LocalRecovery after = Recover();
  EXPECT_EQ(after.report.recovered_seq, reached) << "the quarantine lost recovered records";
  EXPECT_TRUE(after.report.wal_stop.ok()) << after.report.wal_stop.ToString();
  EXPECT_EQ(after.state.trading, r.state.trading);
  EXPECT_EQ(after.state.trading, StateAt(reached).trading);
}

}  // namespace
}  // namespace crashdrill::system

// A full disk during each level's write: a clear no_space status, the previous
// copy intact, and the level working again once space is freed.
#include <gtest/gtest.h>

#include "faults/sim_disk.h"
#include "system/levels/durable_file.h"
#include "system/levels/mmap_checkpoint.h"
#include "system/levels/snapshot_store.h"
#include "system/levels/wal.h"
#include "tests/system/state/golden_state.h"

namespace crashdrill::system {
namespace {

using faults::SimDisk;

constexpr uint64_t kCapacity = 512 << 10;

EngineState StateWithSeq(Seq seq) {
  EngineState state = testing::GoldenState();
  state.trading.state_seq = seq;
  return state;
}

// Takes all but `leave_bytes` of the free space with one file.
void Fill(SimDisk& disk, uint64_t leave_bytes) {
  auto ballast = disk.Open("/ballast", OpenOptions::CreateOrOpen());
  ASSERT_TRUE(ballast.ok());
  const uint64_t free = *disk.FreeSpace("/");
  ASSERT_GT(free, leave_bytes);
  ASSERT_TRUE((*ballast)->Truncate(*(*ballast)->Size() + free - leave_bytes).ok());
  ASSERT_EQ(*disk.FreeSpace("/"), leave_bytes);
}

void FreeBallast(SimDisk& disk) { ASSERT_TRUE(disk.Unlink("/ballast").ok()); }

TEST(LevelsNoSpaceTest, L2WriteFailsCleanlyAndWorksAfterSpaceIsFreed) {
  SimDisk disk({.capacity_bytes = kCapacity});
  DurableFile l2(disk, {.dir = "/l2"});
  ASSERT_TRUE(l2.Open().ok());
  ASSERT_TRUE(l2.Write(StateWithSeq(1)).ok());
  Fill(disk, 100);
  auto failed = l2.Write(StateWithSeq(2));
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(failed.status().IsNoSpace()) << failed.status().ToString();
  EXPECT_NE(failed.status().message().find("write temp file"), std::string::npos);
  EXPECT_EQ(*disk.FreeSpace("/"), 100u) << "the partial temp file must be removed";
  ASSERT_EQ(l2.ListVersions()->size(), 1u);
  EXPECT_EQ(*l2.Read(1), StateWithSeq(1));
  FreeBallast(disk);
  auto retried = l2.Write(StateWithSeq(3));
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(*l2.Read(*retried), StateWithSeq(3));
}

TEST(LevelsNoSpaceTest, SnapshotWriteFailsCleanlyAndWorksAfterSpaceIsFreed) {
  SimDisk disk({.capacity_bytes = kCapacity});
  SnapshotStore snapshots(disk, {.dir = "/snapshots"});
  ASSERT_TRUE(snapshots.Open().ok());
  ASSERT_TRUE(snapshots.Write(StateWithSeq(1)).ok());
  Fill(disk, 50);
  Status failed = snapshots.Write(StateWithSeq(2));
  EXPECT_TRUE(failed.IsNoSpace()) << failed.ToString();
  auto files = snapshots.List();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ(*snapshots.Read(files->front()), StateWithSeq(1));
  FreeBallast(disk);
  EXPECT_TRUE(snapshots.Write(StateWithSeq(3)).ok());
}

TEST(LevelsNoSpaceTest, WalRotationFailsCleanlyAndWorksAfterSpaceIsFreed) {
  SimDisk disk({.capacity_bytes = kCapacity});
  Wal wal(disk, {.dir = "/wal", .segment_bytes = 16 << 10});
  ASSERT_TRUE(wal.Open().ok());
  const std::string payload(1000, 'p');
  Seq seq = 0;
  while (wal.stats().segments_created < 2) {
    ASSERT_TRUE(wal.Append({RecordType::kFillReceived, ++seq, 0, payload}).ok());
  }
  Fill(disk, 1000);  // the next rotation cannot preallocate a segment
  Status failed = Status::Ok();
  while (failed.ok()) failed = wal.Append({RecordType::kFillReceived, ++seq, 0, payload});
  EXPECT_TRUE(failed.IsNoSpace()) << failed.ToString();
  const Seq last_acknowledged = seq - 1;
  FreeBallast(disk);
  ASSERT_TRUE(wal.Append({RecordType::kFillReceived, ++seq, 0, payload}).ok())
      << "a full disk must not poison the WAL";
  std::vector<Seq> seqs;
  WalEnd end;
  ASSERT_TRUE(WalReader(disk, "/wal").Read(0, [&](const WalRecordView& r) {
    seqs.push_back(r.state_seq);
    return Status::Ok();
  }, end).ok());
  EXPECT_EQ(end.kind, WalEnd::Kind::kClean);
  ASSERT_GE(seqs.size(), 2u);
  EXPECT_EQ(seqs[seqs.size() - 2], last_acknowledged);
  EXPECT_EQ(seqs.back(), seq);
}

TEST(LevelsNoSpaceTest, L1ReservesItsSpaceAtOpenSoWritesCannotRunOutLater) {
  SimDisk disk({.capacity_bytes = kCapacity});
  Fill(disk, 1000);
  MmapCheckpoint l1(disk, {.path = "/l1", .slot_bytes = 64 << 10});
  Status failed = l1.Open();
  EXPECT_TRUE(failed.IsNoSpace()) << failed.ToString();
  FreeBallast(disk);
  ASSERT_TRUE(disk.Unlink("/l1").ok());
  MmapCheckpoint reopened(disk, {.path = "/l1", .slot_bytes = 64 << 10});
  ASSERT_TRUE(reopened.Open().ok());
  Fill(disk, 0);
  EXPECT_TRUE(reopened.Write(StateWithSeq(5).trading).ok()) << "L1 writes use reserved space";
  EXPECT_EQ(reopened.ReadNewest()->state_seq, 5u);
}

}  // namespace
}  // namespace crashdrill::system

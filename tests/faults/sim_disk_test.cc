// SimDisk unit tests: each fault, observed through the Fs API only.
#include "faults/sim_disk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tests/faults/test_util.h"

namespace crashdrill::faults {
namespace {

using system::OpenOptions;
using system::StatusCode;
using testing::ReadText;
using testing::WriteText;

// The first offset from `from` on where `text` differs from `expected` (which it must be a
// prefix of), or npos: a short failure message instead of two 3000-byte strings.
size_t FirstMismatch(const std::string& text, size_t from, const std::string& expected) {
  for (size_t i = from; i < text.size(); ++i) {
    if (i - from >= expected.size() || text[i] != expected[i - from]) return i;
  }
  return std::string::npos;
}

class SimDiskTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (disk_) testing::Tally(disk_->trace());
  }
  // A fresh disk; the previous one (and every handle it gave out) must be gone.
  SimDisk& Disk(SimDiskOptions options = {}) {
    if (disk_) testing::Tally(disk_->trace());
    disk_ = std::make_unique<SimDisk>(std::move(options));
    return *disk_;
  }
  static FaultEntry Entry(TriggerOn on, uint64_t nth, FaultKind kind, uint32_t repeat = 1,
                          std::string glob = "") {
    return FaultEntry{
        .trigger = {.on = on, .nth = nth, .repeat = repeat, .path_glob = std::move(glob)},
        .fault = {.kind = kind}};
  }
  std::unique_ptr<SimDisk> disk_;
};

TEST_F(SimDiskTest, WriteBeyondCapacityIsShortThenNoSpace) {
  SimDisk& disk = Disk({.capacity_bytes = 100});
  auto file = disk.Open("/f", OpenOptions::CreateNew());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->WriteAt(0, system::AsBytes(std::string(60, 'a'))).ok());
  const system::Status short_write = (*file)->Append(system::AsBytes(std::string(60, 'b')));
  EXPECT_EQ(short_write.code(), StatusCode::kNoSpace);
  EXPECT_TRUE(short_write.injected());
  EXPECT_EQ(short_write.offset(), 100);
  EXPECT_EQ(ReadText(disk, "/f"), std::string(60, 'a') + std::string(40, 'b'));
  const system::Status full = (*file)->Append(system::AsBytes("c"));
  EXPECT_EQ(full.code(), StatusCode::kNoSpace);
  EXPECT_EQ(*disk.FreeSpace("/"), 0u);
  EXPECT_EQ(disk.trace().count(Probe::kShortWrite), 1u);
  EXPECT_EQ(disk.trace().count(Probe::kNoSpace), 1u);
}

TEST_F(SimDiskTest, UnlinkAndTruncateMakeRoomAgain) {
  SimDisk& disk = Disk({.capacity_bytes = 100});
  ASSERT_TRUE(WriteText(disk, "/a", std::string(70, 'a'), true).ok());
  ASSERT_TRUE(WriteText(disk, "/b", std::string(30, 'b'), true).ok());
  EXPECT_EQ(*disk.FreeSpace("/"), 0u);
  auto b = disk.Open("/b", OpenOptions::ReadWrite());
  ASSERT_TRUE((*b)->Truncate(10).ok());
  EXPECT_EQ(*disk.FreeSpace("/"), 20u);
  ASSERT_TRUE(disk.Unlink("/a").ok());
  EXPECT_EQ(*disk.FreeSpace("/"), 90u);
  EXPECT_TRUE((*b)->Append(system::AsBytes(std::string(90, 'c'))).ok());
}

TEST_F(SimDiskTest, PlanNoSpaceFailsTheWriteWithNothingWritten) {
  SimDisk& disk = Disk({.plan = {.entries = {Entry(TriggerOn::kWrite, 2, FaultKind::kNoSpace)}}});
  auto file = disk.Open("/f", OpenOptions::CreateNew());
  ASSERT_TRUE((*file)->Append(system::AsBytes("one")).ok());
  const system::Status status = (*file)->Append(system::AsBytes("two"));
  EXPECT_TRUE(status.IsNoSpace());
  EXPECT_TRUE(status.injected());
  EXPECT_EQ(ReadText(disk, "/f"), "one");
  EXPECT_TRUE((*file)->Append(system::AsBytes("three")).ok());
}

TEST_F(SimDiskTest, PlanShortWriteLandsHalfThenNoSpace) {
  SimDisk& disk =
      Disk({.plan = {.entries = {Entry(TriggerOn::kWrite, 1, FaultKind::kShortWrite)}}});
  auto file = disk.Open("/f", OpenOptions::CreateNew());
  const system::Status status = (*file)->WriteAt(0, system::AsBytes("abcdefgh"));
  EXPECT_TRUE(status.IsNoSpace());
  EXPECT_EQ(ReadText(disk, "/f"), "abcd");
}

TEST_F(SimDiskTest, TransientReadErrorFailsOnce) {
  SimDisk& disk =
      Disk({.plan = {.entries = {Entry(TriggerOn::kRead, 1, FaultKind::kIoError, 1, "/data/*")}}});
  ASSERT_TRUE(disk.MakeDir("/data").ok());
  ASSERT_TRUE(WriteText(disk, "/data/f", "payload", true).ok());
  auto file = disk.Open("/data/f", OpenOptions::Read());
  std::vector<std::byte> out(7);
  auto first = (*file)->ReadAt(0, out);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), StatusCode::kIoError);
  EXPECT_EQ(first.status().error_number(), EIO);
  EXPECT_TRUE(first.status().injected());
  EXPECT_EQ(ReadText(disk, "/data/f"), "payload");
}

TEST_F(SimDiskTest, PersistentWriteErrorOnARangeKeepsFailing) {
  FaultEntry entry = Entry(TriggerOn::kWrite, 1, FaultKind::kIoError, /*repeat=*/0);
  entry.trigger.offset_begin = 4096;
  entry.trigger.offset_end = 8192;
  SimDisk& disk = Disk({.plan = {.entries = {entry}}});
  auto file = disk.Open("/f", OpenOptions::CreateNew());
  EXPECT_TRUE((*file)->WriteAt(0, system::AsBytes("outside")).ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*file)->WriteAt(5000, system::AsBytes("inside")).code(), StatusCode::kIoError);
  }
  EXPECT_EQ(disk.trace().count(Probe::kWriteError), 3u);
}

TEST_F(SimDiskTest, FailedSyncDropsDirtyDataAndReportsOnce) {
  SimDisk& disk =
      Disk({.plan = {.entries = {Entry(TriggerOn::kSync, 2, FaultKind::kSyncFailure, 1, "/f")}}});
  auto file = disk.Open("/f", OpenOptions::CreateNew());
  ASSERT_TRUE(disk.SyncDir("/").ok());
  ASSERT_TRUE((*file)->Append(system::AsBytes("durable|")).ok());
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE((*file)->Append(system::AsBytes("dirty")).ok());
  const system::Status failed = (*file)->Sync();
  EXPECT_EQ(failed.code(), StatusCode::kIoError);
  EXPECT_TRUE(failed.injected());
  EXPECT_TRUE((*file)->Sync().ok()) << "the error is reported once";
  EXPECT_EQ(ReadText(disk, "/f"), "durable|") << "the dirty data is gone, not retried";
  disk.Crash(CrashKind::kPowerLoss);
  EXPECT_EQ(ReadText(disk, "/f"), "durable|");
}

TEST_F(SimDiskTest, BitFlipCorruptsDurableDataSilently) {
  SimDisk& disk = Disk({.plan = {.seed = 3}});
  const std::string original(1000, 'x');
  ASSERT_TRUE(WriteText(disk, "/f", original, true).ok());
  ASSERT_TRUE(disk.CorruptAtRest("/f", FaultKind::kBitFlip).ok());
  const std::string now = ReadText(disk, "/f");
  ASSERT_EQ(now.size(), original.size());
  int bits = 0;
  for (size_t i = 0; i < now.size(); ++i) bits += __builtin_popcount((now[i] ^ original[i]) & 0xff);
  EXPECT_EQ(bits, 1);
}

TEST_F(SimDiskTest, PlannedZeroSectorZeroesOneAlignedSector) {
  SimDisk& disk =
      Disk({.plan = {.seed = 5, .entries = {Entry(TriggerOn::kRead, 1, FaultKind::kZeroSector)}}});
  ASSERT_TRUE(WriteText(disk, "/f", std::string(2048, 'x'), true).ok());
  const std::string now = ReadText(disk, "/f");
  const size_t first = now.find('\0');
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(first % 512, 0u);
  EXPECT_EQ(now.substr(first, 512), std::string(512, '\0'));
  EXPECT_EQ(std::count(now.begin(), now.end(), '\0'), 512);
}

TEST_F(SimDiskTest, MisdirectedWriteLandsAtAnotherOffset) {
  SimDisk& disk =
      Disk({.plan = {.seed = 11,
                     .entries = {Entry(TriggerOn::kWrite, 2, FaultKind::kMisdirectedWrite)}}});
  auto file = disk.Open("/f", OpenOptions::CreateNew());
  ASSERT_TRUE((*file)->WriteAt(0, system::AsBytes(std::string(4096, '.'))).ok());
  EXPECT_TRUE((*file)->WriteAt(1024, system::AsBytes("HERE")).ok()) << "the device lies";
  const std::string now = ReadText(disk, "/f");
  EXPECT_EQ(now.substr(1024, 4), "....");
  const size_t landed = now.find("HERE");
  ASSERT_NE(landed, std::string::npos);
  EXPECT_NE(landed, 1024u);
  EXPECT_EQ(landed % 512, 0u);
}

TEST_F(SimDiskTest, HandlesFromBeforeACrashFail) {
  SimDisk& disk = Disk();
  auto file = disk.Open("/f", OpenOptions::CreateNew());
  ASSERT_TRUE((*file)->Append(system::AsBytes("a")).ok());
  disk.Crash(CrashKind::kProcessCrash);
  EXPECT_EQ((*file)->Append(system::AsBytes("b")).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*file)->Sync().code(), StatusCode::kFailedPrecondition);
  auto again = disk.Open("/f", OpenOptions::ReadWrite());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->Append(system::AsBytes("c")).ok());
  EXPECT_EQ(ReadText(disk, "/f"), "ac");
}

TEST_F(SimDiskTest, MappedStoresSurviveProcessCrashButOnlySyncedRangeSurvivesPowerLoss) {
  SimDisk& disk = Disk({.model = {.reorder_unsynced_writes = false}});
  ASSERT_TRUE(WriteText(disk, "/m", std::string(8192, '0'), true).ok());
  auto file = disk.Open("/m", OpenOptions::ReadWrite());
  auto map = (*file)->Map(0, 8192);
  ASSERT_TRUE(map.ok());
  std::memset((*map)->data().data(), 'A', 4096);
  std::memset((*map)->data().data() + 4096, 'B', 4096);
  ASSERT_TRUE((*map)->Sync(0, 4096).ok());
  const std::string stored = std::string(4096, 'A') + std::string(4096, 'B');
  EXPECT_TRUE(ReadText(disk, "/m") == stored) << "stores are visible to readers at once";
  disk.Crash(CrashKind::kProcessCrash);
  EXPECT_TRUE(ReadText(disk, "/m") == stored) << "stores survive a process crash";
  EXPECT_EQ((*map)->Sync(0, 1).code(), StatusCode::kFailedPrecondition);
  // Power loss keeps the msync'd half for certain; the rest may or may not have landed.
  bool lost_unsynced = false;
  for (int i = 0; i < 20 && !lost_unsynced; ++i) {
    SimDisk again({.model = {.reorder_unsynced_writes = false},
                   .plan = {.seed = static_cast<uint64_t>(i)}});  // outlives f and m
    ASSERT_TRUE(WriteText(again, "/m", std::string(8192, '0'), true).ok());
    ASSERT_TRUE(again.SyncDir("/").ok());
    auto f = again.Open("/m", OpenOptions::ReadWrite());
    auto m = (*f)->Map(0, 8192);
    std::memset((*m)->data().data(), 'A', 8192);
    ASSERT_TRUE((*m)->Sync(0, 4096).ok());
    again.Crash(CrashKind::kPowerLoss);
    const std::string now = ReadText(again, "/m");
    ASSERT_TRUE(now.substr(0, 4096) == std::string(4096, 'A')) << "seed " << i;
    lost_unsynced = now.substr(4096) != std::string(4096, 'A');
    testing::Tally(again.trace());
  }
  EXPECT_TRUE(lost_unsynced) << "20 power losses never dropped an unsynced mapped store";
}

TEST_F(SimDiskTest, CreateWithoutSyncDirCanVanishOnPowerLoss) {
  bool vanished = false;
  for (uint64_t seed = 0; seed < 20 && !vanished; ++seed) {
    SimDisk& disk = Disk({.plan = {.seed = seed}});
    ASSERT_TRUE(WriteText(disk, "/f", "data", /*sync=*/true).ok());
    disk.Crash(CrashKind::kPowerLoss);
    vanished = !*disk.Exists("/f");
  }
  EXPECT_TRUE(vanished) << "strict model: a file whose directory was never synced may vanish";
}

TEST_F(SimDiskTest, JournaledModelCommitsTheCreateWithTheFileSync) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    SimDisk& disk = Disk({.model = {.dir_sync = DirSyncMode::kJournaled}, .plan = {.seed = seed}});
    ASSERT_TRUE(WriteText(disk, "/f", "data", /*sync=*/true).ok());
    disk.Crash(CrashKind::kPowerLoss);
    ASSERT_EQ(ReadText(disk, "/f"), "data") << "seed " << seed;
  }
}

TEST_F(SimDiskTest, CrashOnTheNthSyncHaltsTheDiskUntilResolved) {
  SimDisk& disk =
      Disk({.plan = {.entries = {{.trigger = {.on = TriggerOn::kSync, .nth = 2},
                                  .fault = {.kind = FaultKind::kCrash,
                                            .crash_kind = CrashKind::kProcessCrash}}}}});
  auto file = disk.Open("/f", OpenOptions::CreateNew());
  ASSERT_TRUE((*file)->Sync().ok());
  const system::Status crashed = (*file)->Sync();
  EXPECT_EQ(crashed.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(crashed.injected());
  EXPECT_TRUE(disk.halted());
  EXPECT_EQ(disk.Open("/g", OpenOptions::CreateNew()).status().code(), StatusCode::kUnavailable);
  disk.Crash(disk.halted_crash_kind());
  EXPECT_FALSE(disk.halted());
  EXPECT_TRUE(disk.Open("/g", OpenOptions::CreateNew()).ok());
}

TEST_F(SimDiskTest, ListShowsEntriesOfOneDirectorySorted) {
  SimDisk& disk = Disk();
  ASSERT_TRUE(disk.MakeDir("/d").ok());
  ASSERT_TRUE(disk.MakeDir("/d/sub").ok());
  ASSERT_TRUE(WriteText(disk, "/d/b", "", false).ok());
  ASSERT_TRUE(WriteText(disk, "/d/a", "", false).ok());
  ASSERT_TRUE(WriteText(disk, "/d/sub/c", "", false).ok());
  EXPECT_EQ(*disk.List("/d"), (std::vector<std::string>{"a", "b", "sub"}));
  EXPECT_EQ(disk.Open("/nodir/x", OpenOptions::CreateNew()).status().code(), StatusCode::kNotFound);
}

TEST_F(SimDiskTest, CrashOnTheNthOpTouchingAPathPatternIgnoresOtherPaths) {
  SimDisk& disk = Disk(
      {.plan = {.entries = {{.trigger = {.on = TriggerOn::kAnyOp, .nth = 3, .path_glob = "/wal/*"},
                             .fault = {.kind = FaultKind::kCrash}}}}});
  ASSERT_TRUE(disk.MakeDir("/wal").ok());  // "/wal" itself does not match "/wal/*"
  auto wal = disk.Open("/wal/1", OpenOptions::CreateNew());  // 1st
  ASSERT_TRUE(wal.ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(WriteText(disk, "/other", "x", true).ok());
  ASSERT_TRUE((*wal)->Append(system::AsBytes("record")).ok());  // 2nd
  EXPECT_EQ((*wal)->Sync().code(), StatusCode::kUnavailable);   // 3rd
  EXPECT_TRUE(disk.halted());
  EXPECT_EQ(disk.halted_crash_kind(), CrashKind::kPowerLoss);
}

// safe_append (ALICE's append atomicity): a power loss may keep a prefix of an append, torn
// at any sectors, but the file never grows over a sector that did not land — every byte past
// the old end is appended data.
TEST_F(SimDiskTest, SafeAppendGrowsOnlyByAPrefixOfTheAppendedData) {
  uint64_t arbitrary_tears = 0;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    SimDisk& disk = Disk(
        {.model = {.safe_append = true, .reorder_unsynced_writes = true}, .plan = {.seed = seed}});
    ASSERT_TRUE(WriteText(disk, "/f", "synced", true).ok());
    ASSERT_TRUE(disk.SyncDir("/").ok());
    auto file = disk.Open("/f", OpenOptions::ReadWrite());
    ASSERT_TRUE((*file)->Append(system::AsBytes(std::string(3000, 'n'))).ok());
    disk.Crash(CrashKind::kPowerLoss);
    const std::string now = ReadText(disk, "/f");
    ASSERT_EQ(now.substr(0, 6), "synced");
    EXPECT_EQ(FirstMismatch(now, 6, std::string(3000, 'n')), std::string::npos)
        << "seed " << seed << ": the file grew over a sector that never landed (size " << now.size()
        << ")";
    EXPECT_EQ(disk.trace().count(Probe::kGrewWithoutData), 0u);
    arbitrary_tears += disk.trace().count(Probe::kTornArbitrary);
  }
  EXPECT_GT(arbitrary_tears, 0u) << "no seed tore the append at arbitrary sectors";
}

// With reordering, a later append may land while an earlier one is lost; the size must not
// then reach past the lost one (its range would read as zeros).
TEST_F(SimDiskTest, SafeAppendNeverShowsALostAppendBehindOneThatLanded) {
  const std::string appended = std::string(1000, 'a') + std::string(1000, 'b');
  uint64_t first_lost = 0;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    SimDisk& disk = Disk(
        {.model = {.safe_append = true, .reorder_unsynced_writes = true}, .plan = {.seed = seed}});
    ASSERT_TRUE(WriteText(disk, "/f", "synced", true).ok());
    ASSERT_TRUE(disk.SyncDir("/").ok());
    auto file = disk.Open("/f", OpenOptions::ReadWrite());
    ASSERT_TRUE((*file)->Append(system::AsBytes(std::string(1000, 'a'))).ok());
    ASSERT_TRUE((*file)->Append(system::AsBytes(std::string(1000, 'b'))).ok());
    disk.Crash(CrashKind::kPowerLoss);
    const std::string now = ReadText(disk, "/f");
    ASSERT_EQ(now.substr(0, 6), "synced");
    EXPECT_EQ(FirstMismatch(now, 6, appended), std::string::npos)
        << "seed " << seed << ": the file grew past an append that did not land (size "
        << now.size() << ")";
    for (const FaultEvent& event : disk.trace().events()) {
      first_lost += event.probe == Probe::kWriteLost && event.offset == 6 ? 1 : 0;
    }
  }
  EXPECT_GT(first_lost, 0u) << "no seed lost the first append";
}

// After an unsynced truncate that survives, the file regrows from the truncated size: the
// same rule holds from there (only when the truncate is undone may old content show).
TEST_F(SimDiskTest, SafeAppendAfterASurvivingTruncateGrowsOnlyWithDataThatLanded) {
  uint64_t truncates_kept = 0;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    SimDisk& disk = Disk(
        {.model = {.safe_append = true, .reorder_unsynced_writes = true}, .plan = {.seed = seed}});
    ASSERT_TRUE(WriteText(disk, "/f", "synced" + std::string(3000, 'o'), true).ok());
    ASSERT_TRUE(disk.SyncDir("/").ok());
    auto file = disk.Open("/f", OpenOptions::ReadWrite());
    ASSERT_TRUE((*file)->Truncate(6).ok());
    ASSERT_TRUE((*file)->Append(system::AsBytes(std::string(3000, 'n'))).ok());
    disk.Crash(CrashKind::kPowerLoss);
    if (disk.trace().count(Probe::kTruncateDropped) != 0) continue;
    ++truncates_kept;
    const std::string now = ReadText(disk, "/f");
    ASSERT_EQ(now.substr(0, 6), "synced");
    EXPECT_EQ(FirstMismatch(now, 6, std::string(3000, 'n')), std::string::npos)
        << "seed " << seed << ": the file regrew over a sector that never landed (size "
        << now.size() << ")";
  }
  EXPECT_GT(truncates_kept, 0u) << "no seed kept the truncate";
}

// Found by SafeAppendGrowsAFileOnlyWithDataThatLanded: a write past the end tears (garbage),
// an unsynced truncate below it is undone, and a later write past the truncated size lands.
// Where the page cache had that write's hole, the disk still holds the torn garbage: it
// must never be seen. Every byte must be a value the page cache held at that offset.
TEST_F(SimDiskTest, SafeAppendNeverShowsTornGarbageThatAnUndoneTruncateLeftUnderAHole) {
  uint64_t truncates_undone = 0;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    SimDisk& disk = Disk(
        {.model = {.safe_append = true, .reorder_unsynced_writes = true}, .plan = {.seed = seed}});
    ASSERT_TRUE(WriteText(disk, "/f", "", true).ok());
    ASSERT_TRUE(disk.SyncDir("/").ok());
    auto file = disk.Open("/f", OpenOptions::ReadWrite());
    ASSERT_TRUE((*file)->WriteAt(1017, system::AsBytes(std::string(2377, 'a'))).ok());
    ASSERT_TRUE((*file)->Truncate(518).ok());
    ASSERT_TRUE((*file)->WriteAt(1400, system::AsBytes(std::string(2009, 'c'))).ok());
    disk.Crash(CrashKind::kPowerLoss);
    truncates_undone += disk.trace().count(Probe::kTruncateDropped);
    const std::string now = ReadText(disk, "/f");
    for (size_t i = 0; i < now.size(); ++i) {
      const bool held = (now[i] == '\0' && i < 1400) || (now[i] == 'a' && i >= 1017 && i < 3394) ||
                        (now[i] == 'c' && i >= 1400);
      ASSERT_TRUE(held) << "seed " << seed << ": byte " << int{now[i]} << " at " << i << " (size "
                        << now.size() << ")";
    }
  }
  EXPECT_GT(truncates_undone, 0u);
}

// A write past the end opens a hole; with safe_append the hole shows only together with data
// of the write that landed behind it, never on its own.
TEST_F(SimDiskTest, SafeAppendNeverGrowsOverAHoleWithoutTheDataBehindIt) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    SimDisk& disk = Disk(
        {.model = {.safe_append = true, .reorder_unsynced_writes = true}, .plan = {.seed = seed}});
    ASSERT_TRUE(WriteText(disk, "/f", "synced", true).ok());
    ASSERT_TRUE(disk.SyncDir("/").ok());
    auto file = disk.Open("/f", OpenOptions::ReadWrite());
    ASSERT_TRUE((*file)->WriteAt(2048, system::AsBytes(std::string(3000, 'n'))).ok());
    disk.Crash(CrashKind::kPowerLoss);
    const std::string now = ReadText(disk, "/f");
    ASSERT_EQ(now.substr(0, 6), "synced");
    if (now.size() == 6) continue;
    ASSERT_GT(now.size(), 2048u) << "seed " << seed << ": the hole grew in without its data";
    EXPECT_EQ(FirstMismatch(now, 6, std::string(2042, '\0') + std::string(3000, 'n')),
              std::string::npos)
        << "seed " << seed << ": size " << now.size();
  }
}

}  // namespace
}  // namespace crashdrill::faults

namespace crashdrill::faults {
namespace {

// The disk cost model charges simulated time per operation: reads by their
// bytes, a sync by its latency plus the dirty bytes it writes back, metadata
// by a fixed cost. The same operations cost the same time, every run.
TEST(SimDiskCostTest, ChargesReadsSyncsAndDirtyBytesDeterministically) {
  const auto run = [] {
    int64_t charged = 0;
    SimDiskOptions options;
    options.cost = {.sync_ns = 1'000'000,
                    .meta_op_ns = 10'000,
                    .read_bytes_per_second = 1'000'000'000,
                    .write_bytes_per_second = 100'000'000,
                    .cache_bytes_per_second = 1'000'000'000};
    options.charge = [&charged](int64_t ns) { charged += ns; };
    SimDisk disk(options);
    auto file = disk.Open("/f", system::OpenOptions::CreateOrOpen());  // meta: 10 us
    EXPECT_TRUE(file.ok());
    const std::vector<std::byte> data(100'000, std::byte{1});
    const int64_t before_write = charged;
    EXPECT_TRUE((*file)->WriteAt(0, data).ok());  // into the cache: 100 us
    EXPECT_EQ(charged - before_write, 100'000);
    const int64_t before_sync = charged;
    EXPECT_TRUE((*file)->Sync().ok());  // 1 ms + 100 KB at 100 MB/s = 2 ms
    EXPECT_EQ(charged - before_sync, 2'000'000);
    const int64_t before_read = charged;
    std::vector<std::byte> out(50'000);
    EXPECT_TRUE((*file)->ReadAt(0, out).ok());  // 50 KB at 1 GB/s = 50 us
    EXPECT_EQ(charged - before_read, 50'000);
    const int64_t before_clean_sync = charged;
    EXPECT_TRUE((*file)->Sync().ok());  // nothing dirty: the latency only
    EXPECT_EQ(charged - before_clean_sync, 1'000'000);
    return charged;
  };
  EXPECT_EQ(run(), run());
}

}  // namespace
}  // namespace crashdrill::faults

// Every level against a power loss (and a process crash) at every operation of
// a workload, on SimDisk under each crash model of crash_sweep.h.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "system/levels/durable_file.h"
#include "system/levels/mmap_checkpoint.h"
#include "system/levels/wal.h"
#include "tests/system/levels/crash_sweep.h"
#include "tests/system/levels/serialized_fs.h"
#include "tests/system/state/golden_state.h"

namespace crashdrill::system {
namespace {

using faults::CrashKind;
using faults::SimDisk;
using testing::SweepEveryOperation;

// Each seed resolves every crash point differently (which writes survive, how
// they tear); the sweeps are fast enough for many.
constexpr uint64_t kSeeds[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

EngineState EngineStateWithSeq(Seq seq) {
  EngineState state = testing::GoldenState();
  state.trading.state_seq = seq;
  state.trading.realized_pnl_minor = static_cast<Minor>(seq) * 7;  // content differs per version
  return state;
}

// L2: after Write() returns OK the version survives; any crash leaves the old
// or the new version, never neither, never a mix.
TEST(LevelsCrashTest, L2KeepsEveryAcknowledgedVersionAcrossPowerLossAtEveryOperation) {
  for (const auto& model : testing::SweepModels()) {
    for (uint64_t seed : kSeeds) {
      const auto stats = SweepEveryOperation<Seq>(
          model, seed, CrashKind::kPowerLoss,
          [](SimDisk& disk) {
            Seq acknowledged = 0;
            if (!disk.MakeDir("/state").ok() || !disk.SyncDir("/").ok()) return acknowledged;
            DurableFile l2(disk, {.dir = "/state/l2", .versions_kept = 2});
            if (!l2.Open().ok()) return acknowledged;
            for (Seq seq = 10; seq <= 40; seq += 10) {
              if (!l2.Write(EngineStateWithSeq(seq)).ok()) break;
              acknowledged = seq;
            }
            return acknowledged;
          },
          [](SimDisk& disk, Seq acknowledged, uint64_t n) {
            DurableFile l2(disk, {.dir = "/state/l2", .versions_kept = 2});
            Status opened = l2.Open();
            if (acknowledged == 0 && !opened.ok()) return;  // nothing promised yet
            ASSERT_TRUE(opened.ok()) << "crash at op " << n << ": " << opened.ToString();
            Seq newest = 0;
            auto versions = l2.ListVersions();
            ASSERT_TRUE(versions.ok()) << versions.status().ToString();
            for (const L2Version& version : *versions) {
              auto state = l2.Read(version.version);
              if (!state.ok()) {
                ASSERT_TRUE(state.status().IsCorruption()) << state.status().ToString();
                continue;
              }
              ASSERT_EQ(*state, EngineStateWithSeq(state->state_seq()))
                  << "crash at op " << n << ": a version mixes two states";
              newest = std::max(newest, state->state_seq());
            }
            ASSERT_GE(newest, acknowledged) << "crash at op " << n << " lost an acknowledged version";
          });
      EXPECT_GT(stats.crash_points, 20u);
      testing::PrintSweep("L2 power loss", stats);
    }
  }
}

// Writes states 1..6 to L1 until the disk halts; returns the newest acknowledged.
// After each write the engine does its other I/O (here a write to another
// file), as it does between L1 periods: stores into the map are no disk
// operation, so without it no crash point would follow an acknowledged write
// unless the write itself msyncs, and a sweep could not see a missing msync.
Seq WriteL1States(SimDisk& disk, bool sync_each_write) {
  Seq acknowledged = 0;
  MmapCheckpoint l1(disk, {.path = "/l1", .slot_bytes = 8192, .sync_each_write = sync_each_write});
  if (!l1.Open().ok()) return acknowledged;
  auto other = disk.Open("/other", OpenOptions::CreateOrOpen());
  if (!other.ok()) return acknowledged;
  for (Seq seq = 1; seq <= 6; ++seq) {
    if (!l1.Write(EngineStateWithSeq(seq).trading).ok()) break;
    acknowledged = seq;
    if (!(*other)->WriteAt(seq * 64, AsBytes("the engine's other I/O")).ok()) break;
  }
  return acknowledged;
}

// After a crash at operation n: L1 opens whatever the crash left (even in the
// middle of its own initialisation — the engine must be able to restart), its
// newest valid slot is at least `acknowledged` and exactly a state written.
void CheckL1AfterCrash(SimDisk& disk, bool sync_each_write, Seq acknowledged, uint64_t n) {
  MmapCheckpoint l1(disk, {.path = "/l1", .slot_bytes = 8192, .sync_each_write = sync_each_write});
  const Status opened = l1.Open();
  ASSERT_TRUE(opened.ok()) << "crash at op " << n << ": " << opened.ToString();
  const auto newest = l1.ReadNewest();
  const Seq newest_seq = newest.ok() ? newest->state_seq : 0;
  ASSERT_GE(newest_seq, acknowledged) << "crash at op " << n << " lost an acknowledged state";
  if (newest.ok()) {
    ASSERT_EQ(*newest, EngineStateWithSeq(newest_seq).trading) << "crash at op " << n;
  }
  ASSERT_TRUE(l1.Write(EngineStateWithSeq(newest_seq + 1).trading).ok()) << "crash at op " << n;
}

// L1 with msync: an acknowledged write survives a power loss; a torn slot is
// detected and the other slot used.
TEST(LevelsCrashTest, L1WithSyncKeepsTheNewestAcknowledgedStateAcrossPowerLoss) {
  for (const auto& model : testing::SweepModels()) {
    for (uint64_t seed : kSeeds) {
      const auto stats = SweepEveryOperation<Seq>(
          model, seed, CrashKind::kPowerLoss,
          [](SimDisk& disk) { return WriteL1States(disk, /*sync_each_write=*/true); },
          [](SimDisk& disk, Seq acknowledged, uint64_t n) {
            CheckL1AfterCrash(disk, /*sync_each_write=*/true, acknowledged, n);
          });
      EXPECT_GT(stats.crash_points, 10u);
      testing::PrintSweep("L1 power loss", stats);
      if (HasFatalFailure()) return;
    }
  }
}

// L1 without msync: a process crash keeps every store made through the map.
TEST(LevelsCrashTest, L1KeepsEveryWriteAcrossProcessCrash) {
  for (const auto& model : testing::SweepModels()) {
    const auto stats = SweepEveryOperation<Seq>(
        model, 7, CrashKind::kProcessCrash,
        [](SimDisk& disk) { return WriteL1States(disk, /*sync_each_write=*/false); },
        [](SimDisk& disk, Seq acknowledged, uint64_t n) {
          CheckL1AfterCrash(disk, /*sync_each_write=*/false, acknowledged, n);
        });
    EXPECT_GT(stats.crash_points, 10u);
    if (HasFatalFailure()) return;
  }
}

WalRecord WalRecordWithSeq(Seq seq) {
  return {RecordType::kFillReceived, seq, static_cast<TimeNs>(seq),
          std::string(static_cast<size_t>(seq % 97) + 1, static_cast<char>('a' + seq % 26))};
}

// WAL: after a power loss at any operation the log reads back as exactly
// records 1..k with k >= the newest acknowledged, and it accepts appends again.
TEST(LevelsCrashTest, WalKeepsAnAcknowledgedPrefixAcrossPowerLossAtEveryOperation) {
  for (const auto& model : testing::SweepModels()) {
    for (uint64_t seed : kSeeds) {
      const auto stats = SweepEveryOperation<Seq>(
          model, seed, CrashKind::kPowerLoss,
          [](SimDisk& disk) {
            Seq acknowledged = 0;
            if (!disk.MakeDir("/state").ok() || !disk.SyncDir("/").ok()) return acknowledged;
            Wal wal(disk, {.dir = "/state/wal", .segment_bytes = 2048});
            if (!wal.Open().ok()) return acknowledged;
            for (Seq seq = 1; seq <= 40; ++seq) {
              if (!wal.Append(WalRecordWithSeq(seq)).ok()) break;
              acknowledged = seq;
            }
            return acknowledged;
          },
          [](SimDisk& disk, Seq acknowledged, uint64_t n) {
            if (!*disk.Exists("/state/wal")) {
              ASSERT_EQ(acknowledged, 0u) << "crash at op " << n << " lost the WAL directory";
              return;
            }
            std::vector<WalRecord> records;
            WalEnd end;
            Status read = WalReader(disk, "/state/wal").Read(0, [&](const WalRecordView& r) {
              records.push_back(r.ToRecord());
              return Status::Ok();
            }, end);
            ASSERT_TRUE(read.ok()) << "crash at op " << n << ": " << read.ToString();
            ASSERT_GE(records.size(), acknowledged) << "crash at op " << n;
            for (size_t i = 0; i < records.size(); ++i) {
              ASSERT_EQ(records[i], WalRecordWithSeq(i + 1)) << "crash at op " << n;
            }
            Wal wal(disk, {.dir = "/state/wal", .segment_bytes = 2048});
            ASSERT_TRUE(wal.Open().ok()) << "crash at op " << n;
            ASSERT_TRUE(wal.Append(WalRecordWithSeq(records.size() + 1)).ok());
          });
      EXPECT_GT(stats.crash_points, 50u);
      testing::PrintSweep("WAL power loss", stats);
    }
  }
}

}  // namespace
}  // namespace crashdrill::system

namespace crashdrill::system {
namespace {

// Group commit under real concurrency: four appenders share syncs while the
// disk loses power at operation n. Whatever the interleaving, every record
// any appender saw acknowledged is in the log afterwards.
TEST(LevelsCrashTest, GroupCommitNeverAcknowledgesARecordAPowerLossCanLose) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 15;
  size_t crash_points = 0;
  uint64_t shared_batches = 0;
  for (uint64_t n = 1; n < 400; ++n) {
    faults::FaultPlan plan{n, {faults::FaultEntry{
                                  faults::Trigger{.on = faults::TriggerOn::kAnyOp, .nth = n},
                                  faults::Fault{.kind = faults::FaultKind::kCrash}}}};
    SimDisk disk({.model = testing::SweepModels().front(), .plan = plan});
    std::vector<Seq> acknowledged;
    std::mutex acknowledged_mu;
    {
      testing::SerializedFs fs(&disk);
      Wal wal(fs, {.dir = "/wal", .segment_bytes = 4096});
      if (wal.Open().ok()) {
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
          threads.emplace_back([&] {
            for (int i = 0; i < kPerThread; ++i) {
              auto seq = wal.AppendNext(RecordType::kFillReceived, 0, "group");
              if (!seq.ok()) continue;
              std::lock_guard lock(acknowledged_mu);
              acknowledged.push_back(*seq);
            }
          });
        }
        for (auto& thread : threads) thread.join();
        const WalStats stats = wal.stats();
        shared_batches += stats.records > stats.syncs ? stats.records - stats.syncs : 0;
      }
    }
    if (!disk.halted()) break;
    ++crash_points;
    faults::Rng rng(faults::Mix64(n));
    disk.Crash(faults::CrashKind::kPowerLoss, rng);
    if (!*disk.Exists("/wal")) {
      ASSERT_TRUE(acknowledged.empty()) << "crash at op " << n << " lost the WAL directory";
      continue;
    }
    std::set<Seq> present;
    WalEnd end;
    Status read = WalReader(disk, "/wal").Read(0, [&](const WalRecordView& r) {
      present.insert(r.state_seq);
      return Status::Ok();
    }, end);
    ASSERT_TRUE(read.ok()) << "crash at op " << n << ": " << read.ToString();
    for (Seq seq : acknowledged) {
      ASSERT_TRUE(present.contains(seq)) << "crash at op " << n << " lost acknowledged " << seq;
    }
  }
  std::printf("[ sweep ] group commit: %zu crash points, %llu records rode another's sync\n",
              crash_points, static_cast<unsigned long long>(shared_batches));
  EXPECT_GT(crash_points, 20u);
  EXPECT_GT(shared_batches, 0u) << "no run ever shared a sync: not a group-commit test";
}

}  // namespace
}  // namespace crashdrill::system

// The L4 archive crashes like every other level: SimDisk under SQLite through
// SqliteVfs, a crash at every operation (process crash and power loss, both
// crash models), then a reopen. After each crash the archive opens, every
// copy whose Archive() returned OK is there and reads back equal, and every
// copy there is one that was archived whole (nothing half-written). The
// two-crash form goes on after the restart with new copies and crashes again.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "faults/sim_clock.h"
#include "faults/sim_disk.h"
#include "system/archive/sqlite_archive.h"
#include "tests/system/archive/archive_states.h"
#include "tests/system/levels/crash_sweep.h"

namespace crashdrill::system {
namespace {

using faults::CrashKind;
using faults::SimClock;
using faults::SimDisk;
using testing::CrashPoints;

constexpr char kPath[] = "/archive/archive.db";
constexpr int kCopiesPerLife = 2;

// A checkpoint every few WAL pages, so every life checkpoints into the
// database file and restarts the WAL over old frames (the writes a device
// promise such as safe append or powersafe overwrite would let SQLite skip
// syncing), not only appends to a fresh WAL.
SqliteArchiveOptions Options() { return {.path = kPath, .wal_autocheckpoint_pages = 4}; }

// The states each life archives; the second life's continue the first's, so
// every state of the case has its own state_seq.
const std::array<std::vector<EngineState>, 2>& LifeStates() {
  static const std::array<std::vector<EngineState>, 2> states = [] {
    std::array<std::vector<EngineState>, 2> out;
    out[0] = testing::ArchiveStates(0, kCopiesPerLife, 3);
    out[1] = testing::ArchiveStates(1, kCopiesPerLife, 3, out[0].back());
    return out;
  }();
  return states;
}

struct Life {
  Status problem;  // the life could not go on though the disk had not crashed
  std::vector<Seq> acknowledged;
};

// Opens the archive and archives the life's states until the disk halts.
Life RunLife(SimDisk& disk, int life) {
  Life out;
  SimClock clock(SimClock::kDefaultWallStartNs + life * 24 * 3600 * kNanosPerSecond);
  SqliteArchive archive(disk, clock, Options());
  Status opened = archive.Open();
  if (!opened.ok()) {
    if (!disk.halted()) out.problem = opened.Annotate("open");
    return out;
  }
  for (const EngineState& state : LifeStates()[life]) {
    Status archived = archive.Archive(state);
    if (!archived.ok()) {
      if (!disk.halted()) out.problem = archived.Annotate("archive");
      return out;
    }
    out.acknowledged.push_back(state.state_seq());
    clock.Advance(3600 * kNanosPerSecond);
  }
  return out;
}

// What the disk holds after the crash: the archive opens, every copy is a
// whole state some life archived, every acknowledged one is there, and the
// archive takes a new copy.
void CheckArchive(SimDisk& disk, const std::vector<Seq>& acknowledged, const std::string& where) {
  std::map<Seq, const EngineState*> archived;
  for (const auto& states : LifeStates()) {
    for (const EngineState& state : states) archived[state.state_seq()] = &state;
  }
  SimClock clock(SimClock::kDefaultWallStartNs + 10 * 24 * 3600 * kNanosPerSecond);
  SqliteArchive archive(disk, clock, Options());
  const Status opened = archive.Open();
  ASSERT_TRUE(opened.ok()) << where << ": " << opened.ToString();
  const Result<std::vector<ArchivedCopyInfo>> copies = archive.List();
  ASSERT_TRUE(copies.ok()) << where << ": " << copies.status().ToString();
  std::map<Seq, int> present;
  for (const ArchivedCopyInfo& copy : *copies) {
    ++present[copy.state_seq];
    ASSERT_TRUE(archived.count(copy.state_seq))
        << where << ": copy " << copy.id << " has state_seq " << copy.state_seq
        << " that no life archived";
    const Result<EngineState> read = archive.Read(copy.id);
    ASSERT_TRUE(read.ok()) << where << ": " << read.status().ToString();
    ASSERT_EQ(*read, *archived[copy.state_seq]) << where << ": copy " << copy.id;
  }
  for (const Seq seq : acknowledged) {
    ASSERT_EQ(present[seq], 1) << where << ": acknowledged state_seq " << seq << " is lost";
  }
  const Result<std::vector<ArchiveLogEntry>> log = archive.Log();
  ASSERT_TRUE(log.ok()) << where << ": " << log.status().ToString();
  for (const ArchiveLogEntry& entry : *log) {
    if (entry.ok) {
      ASSERT_EQ(present[entry.state_seq], 1) << where << ": an ok log row without its copy";
    }
  }
  EngineState next = LifeStates()[1].back();
  next.trading.state_seq += 100;
  const Status archived_next = archive.Archive(next);
  ASSERT_TRUE(archived_next.ok()) << where << ": " << archived_next.ToString();
  ASSERT_EQ(*archive.Read(archive.List()->front().id), next) << where;
}

std::string ModelName(const faults::CrashModel& model) {
  return "sector " + std::to_string(model.sector_bytes) + ", " +
         faults::DirSyncModeName(model.dir_sync);
}

TEST(SqliteArchiveCrashTest, CrashAtEveryOperationKeepsEveryAcknowledgedCopyWhole) {
  const auto started = std::chrono::steady_clock::now();
  size_t total = 0;
  for (const CrashKind kind : {CrashKind::kProcessCrash, CrashKind::kPowerLoss}) {
    for (const faults::CrashModel& model : testing::SweepModels()) {
      const std::string what = "archive, " + faults::CrashKindName(kind) + ", " + ModelName(model);
      const testing::SweepStats stats = testing::SweepEveryOperation<Life>(
          model, 7, kind, [](SimDisk& disk) { return RunLife(disk, 0); },
          [&what](SimDisk& disk, const Life& life, uint64_t n) {
            const std::string where = what + ", crash at op " + std::to_string(n);
            ASSERT_TRUE(life.problem.ok()) << where << ": " << life.problem.ToString();
            CheckArchive(disk, life.acknowledged, where);
          });
      testing::PrintSweep(what.c_str(), stats);
      EXPECT_GT(stats.crash_points, 50u) << what;
      if (kind == CrashKind::kPowerLoss) {
        EXPECT_GT(stats.lost_writes + stats.torn_writes, 0u) << what;
      }
      total += stats.crash_points;
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  std::printf("[ sweep ] archive, one crash: %zu crash points in %.1f s\n", total,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

// The first crash at every operation, the second at every 48th of the
// second life (every 96th under ASan, which runs these ~2x slower: SQLite
// itself is not instrumented): a life that opens the archive and archives
// two copies, checkpointing after each, makes ~200 operations, and every case
// replays both lives, so every operation twice over would take minutes (the
// whole file stays under ~15 s in the release tree).
constexpr uint64_t kSecondCrashStride = testing::kSecondCrashStride == 1 ? 48 : 96;

void SweepArchiveTwice(CrashKind first, CrashKind second) {
  const auto started = std::chrono::steady_clock::now();
  for (const faults::CrashModel& model : testing::SweepModels()) {
    const std::string what = "archive, " + faults::CrashKindName(first) + " then " +
                             faults::CrashKindName(second) + ", " + ModelName(model);
    const testing::SweepStats stats = testing::SweepTwoCrashes<Life>(
        model, 11, first, second, RunLife,
        [](SimDisk& disk, const std::array<Life, 2>& lives, const CrashPoints& points) {
          const std::string where = points.Describe();
          std::vector<Seq> acknowledged;
          for (const Life& life : lives) {
            ASSERT_TRUE(life.problem.ok()) << where << ": " << life.problem.ToString();
            acknowledged.insert(acknowledged.end(), life.acknowledged.begin(),
                                life.acknowledged.end());
          }
          CheckArchive(disk, acknowledged, where);
        },
        {}, kSecondCrashStride);
    testing::PrintSweep(what.c_str(), stats);
    EXPECT_GT(stats.crash_points, 300u) << what;
    if (::testing::Test::HasFatalFailure()) return;
  }
  std::printf("[ sweep ] %s then %s: %.1f s\n", faults::CrashKindName(first).c_str(),
              faults::CrashKindName(second).c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

TEST(SqliteArchiveCrashTest, PowerLossThenPowerLossKeepsEveryAcknowledgedCopyOfBothLives) {
  SweepArchiveTwice(CrashKind::kPowerLoss, CrashKind::kPowerLoss);
}

TEST(SqliteArchiveCrashTest, ProcessCrashThenPowerLossKeepsEveryAcknowledgedCopyOfBothLives) {
  SweepArchiveTwice(CrashKind::kProcessCrash, CrashKind::kPowerLoss);
}

}  // namespace
}  // namespace crashdrill::system

// SqliteArchive on SimDisk through SqliteVfs: round trips, the schema's
// migrations, corruption that must never load, retention that must never
// delete the newest valid copy, and a full disk.
#include "system/archive/sqlite_archive.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "faults/sim_clock.h"
#include "faults/sim_disk.h"
#include "system/archive/archive_schema.h"
#include "system/archive/archive_copy_source.h"
#include "system/archive/sqlite_db.h"
#include "system/io/posix_fs.h"
#include "system/levels/checkpointer.h"
#include "system/recovery/local_recovery.h"
#include "tests/support/temp_dir.h"
#include "tests/system/archive/archive_states.h"
#include "tests/system/archive/archive_recovery_check.h"

namespace crashdrill::system {
namespace {

using faults::SimClock;
using faults::SimDisk;
using testing::ArchiveStates;

constexpr char kPath[] = "/archive/archive.db";
constexpr int64_t kHourNs = 3600 * kNanosPerSecond;
constexpr int64_t kDayNs = 24 * kHourNs;

#define ASSERT_OK(expr)                             \
  do {                                              \
    const ::crashdrill::system::Status s_ = (expr); \
    ASSERT_TRUE(s_.ok()) << s_.ToString();          \
  } while (0)

SqliteArchiveOptions Options() { return {.path = kPath}; }

// Archives every state, one hour of wall time apart.
void ArchiveAll(SqliteArchive& archive, SimClock& clock, const std::vector<EngineState>& states,
                int64_t apart_ns = kHourNs) {
  for (const EngineState& state : states) {
    const Status archived = archive.Archive(state);
    ASSERT_TRUE(archived.ok()) << archived.ToString();
    clock.Advance(apart_ns);
  }
}

// Runs SQL on the archive's database directly, as an operator (or a bug) could.
void ExecDirectly(SimDisk& disk, const std::string& sql) {
  SqliteVfs vfs(disk);
  Result<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(vfs, kPath);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)->Exec("PRAGMA locking_mode=EXCLUSIVE", "pragma").ok());
  const Status done = (*db)->Exec(sql, "test SQL");
  ASSERT_TRUE(done.ok()) << done.ToString();
}

TEST(SqliteArchiveTest, ArchivedStatesReadBackEqualWithTheirRowsAndListNewestFirst) {
  SimDisk disk({});
  SimClock clock;
  const std::vector<EngineState> states = ArchiveStates(0, 5, 4);
  {
    SqliteArchive archive(disk, clock, Options());
    ASSERT_OK(archive.Open());
    EXPECT_EQ(archive.schema_version(), kArchiveSchemaCurrent);
    ArchiveAll(archive, clock, states);
  }
  SqliteArchive archive(disk, clock, Options());  // a new connection reads what is durable
  ASSERT_OK(archive.Open());
  const Result<std::vector<ArchivedCopyInfo>> copies = archive.List();
  ASSERT_TRUE(copies.ok()) << copies.status().ToString();
  ASSERT_EQ(copies->size(), states.size());
  for (size_t i = 0; i < copies->size(); ++i) {
    const ArchivedCopyInfo& copy = (*copies)[i];
    const EngineState& expected = states[states.size() - 1 - i];  // newest first
    EXPECT_EQ(copy.state_seq, expected.state_seq());
    EXPECT_EQ(copy.created_at_ns, SimClock::kDefaultWallStartNs +
                                      static_cast<int64_t>(states.size() - 1 - i) * kHourNs);
    EXPECT_EQ(copy.created_at_utc, SqliteArchive::UtcLabel(copy.created_at_ns));
    EXPECT_EQ(copy.checksum, Checksum64(EncodeEngineState(expected)));
    EXPECT_EQ(copy.document_bytes, EncodeEngineState(expected).size());
    const Result<EngineState> read = archive.Read(copy.id);
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    EXPECT_EQ(*read, expected);
    std::vector<Position> positions;
    for (const auto& entry : expected.trading.positions) positions.push_back(entry.second);
    EXPECT_EQ(*archive.Positions(copy.id), positions);
    std::vector<Balance> balances;
    for (const auto& entry : expected.trading.balances) balances.push_back(entry.second);
    std::sort(balances.begin(), balances.end(), [](const Balance& a, const Balance& b) {
      return std::tie(a.venue, a.currency) < std::tie(b.venue, b.currency);
    });
    EXPECT_EQ(*archive.Balances(copy.id), balances);
  }
  EXPECT_FALSE(archive.Positions(copies->front().id)->empty());
  EXPECT_EQ(archive.Balances(copies->front().id)->size(), 2u);
  testing::ExpectEveryAttemptLoggedOk(archive, states.size());
}

// A statement left holding a read transaction keeps every checkpoint from
// completing, and the WAL then grows for as long as the archive is open.
TEST(SqliteArchiveTest, WalIsCheckpointedIntoTheDatabaseWhileTheArchiveIsOpen) {
  SimDisk disk({});
  SimClock clock;
  SqliteArchiveOptions options = Options();
  options.wal_autocheckpoint_pages = 4;
  SqliteArchive archive(disk, clock, options);
  ASSERT_OK(archive.Open());
  const uint64_t database_bytes = *disk.FileSize(kPath);
  ArchiveAll(archive, clock, ArchiveStates(0, 8, 3));
  EXPECT_GT(*disk.FileSize(kPath), database_bytes) << "nothing was checkpointed";
  const uint64_t wal_bytes = *disk.FileSize(std::string(kPath) + "-wal");
  ArchiveAll(archive, clock, ArchiveStates(1, 8, 3));
  EXPECT_EQ(*disk.FileSize(std::string(kPath) + "-wal"), wal_bytes)
      << "the WAL restarts from its start after each checkpoint instead of growing";
}

TEST(SqliteArchiveTest, UtcLabelIsIso8601WithNanoseconds) {
  EXPECT_EQ(SqliteArchive::UtcLabel(SimClock::kDefaultWallStartNs + 1),
            "2026-01-01T00:00:00.000000001Z");
  EXPECT_EQ(SqliteArchive::UtcLabel(-1), "1969-12-31T23:59:59.999999999Z");
}

TEST(SqliteArchiveTest, ListOrdersByStateSeqNotByArrival) {
  SimDisk disk({});
  SimClock clock;
  const std::vector<EngineState> states = ArchiveStates(0, 3, 3);
  SqliteArchive archive(disk, clock, Options());
  ASSERT_OK(archive.Open());
  ArchiveAll(archive, clock, {states[2], states[0], states[1]});
  const std::vector<ArchivedCopyInfo> copies = *archive.List();
  ASSERT_EQ(copies.size(), 3u);
  EXPECT_EQ(copies[0].state_seq, states[2].state_seq());
  EXPECT_EQ(copies[1].state_seq, states[1].state_seq());
  EXPECT_EQ(copies[2].state_seq, states[0].state_seq());
  const Result<ArchivedState> newest = archive.NewestValid();
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(newest->state, states[2]);
}

TEST(SqliteArchiveTest, SecondOpenOfTheSameArchiveInOneProcessIsRefused) {
  SimDisk disk({});
  SimClock clock;
  SqliteArchive first(disk, clock, Options());
  ASSERT_OK(first.Open());
  SqliteArchive second(disk, clock, Options());
  const Status refused = second.Open();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.ToString().find("already open"), std::string::npos) << refused.ToString();
}

TEST(SqliteArchiveTest, ArchiveOfAnOlderSchemaIsMigratedOnOpen) {
  SimDisk disk({});
  SimClock clock;
  {
    SqliteArchiveOptions options = Options();
    options.archive_schema_max = 1;
    SqliteArchive old(disk, clock, options);
    ASSERT_OK(old.Open());
    EXPECT_EQ(old.schema_version(), 1);
    EXPECT_FALSE(old.Archive(ArchiveStates(0, 1, 3)[0]).ok())
        << "a version 1 archive has no notes column to write";
  }
  SqliteArchive archive(disk, clock, Options());
  const Status opened = archive.Open();
  ASSERT_TRUE(opened.ok()) << opened.ToString();
  EXPECT_EQ(archive.schema_version(), kArchiveSchemaCurrent);
  const EngineState state = ArchiveStates(0, 1, 3)[0];
  ASSERT_TRUE(archive.Archive(state).ok());
  const std::vector<ArchiveLogEntry> log = *archive.Log();
  ASSERT_FALSE(log.empty());
  EXPECT_TRUE(log.back().ok);
  EXPECT_FALSE(log.back().notes.empty());
  EXPECT_EQ(*archive.Read(log.back().copy_id), state);
}

TEST(SqliteArchiveTest, ArchiveOfANewerSchemaIsRefusedNamingTheFile) {
  SimDisk disk({});
  SimClock clock;
  {
    SqliteArchive archive(disk, clock, Options());
    ASSERT_OK(archive.Open());
  }
  ExecDirectly(disk, "INSERT INTO schema_version (version, description) VALUES (" +
                         std::to_string(kArchiveSchemaCurrent + 1) + ", 'from the future')");
  SqliteArchive archive(disk, clock, Options());
  const Status refused = archive.Open();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.path(), kPath);
  EXPECT_NE(refused.ToString().find("newer than this build"), std::string::npos)
      << refused.ToString();
  EXPECT_FALSE(archive.Archive(ArchiveStates(0, 1, 3)[0]).ok()) << "nothing is written to it";
}

TEST(SqliteArchiveTest, AFileThatIsNotADatabaseIsRefused) {
  SimDisk disk({});
  SimClock clock;
  ASSERT_TRUE(disk.MakeDir("/archive").ok());
  auto file = disk.Open(kPath, OpenOptions::CreateNew());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append(AsBytes(std::string(8192, 'x'))).ok());
  SqliteArchive archive(disk, clock, Options());
  const Status refused = archive.Open();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), StatusCode::kCorruption) << refused.ToString();
  EXPECT_EQ(refused.path(), kPath);
}

TEST(SqliteArchiveTest, ChecksumMismatchIsReportedNamingTheCopyAndSkipped) {
  SimDisk disk({});
  SimClock clock;
  const std::vector<EngineState> states = ArchiveStates(0, 3, 3);
  {
    SqliteArchive archive(disk, clock, Options());
    ASSERT_OK(archive.Open());
    ArchiveAll(archive, clock, states);
  }
  ExecDirectly(disk, "UPDATE archived_copies SET checksum_xxh3 = checksum_xxh3 + 1 WHERE id = 3");
  SqliteArchive archive(disk, clock, Options());
  ASSERT_OK(archive.Open());
  const Result<EngineState> read = archive.Read(3);
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(read.status().IsCorruption());
  EXPECT_EQ(read.status().field(), "checksum_xxh3");
  EXPECT_NE(read.status().path().find("copy 3"), std::string::npos) << read.status().ToString();
  const Result<ArchivedState> newest = archive.NewestValid();
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(newest->id, 2);
  EXPECT_EQ(newest->state, states[1]);
  ASSERT_EQ(newest->skipped.size(), 1u);
}

TEST(SqliteArchiveTest, RowsThatDisagreeWithTheDocumentAreReported) {
  SimDisk disk({});
  SimClock clock;
  {
    SqliteArchive archive(disk, clock, Options());
    ASSERT_OK(archive.Open());
    ArchiveAll(archive, clock, ArchiveStates(0, 1, 6));
  }
  ExecDirectly(disk, "UPDATE positions SET quantity_lots = quantity_lots + 1 WHERE copy_id = 1");
  SqliteArchive archive(disk, clock, Options());
  ASSERT_OK(archive.Open());
  const Result<EngineState> read = archive.Read(1);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().field(), "positions");
}

// A copy whose checksum holds but whose state breaks an invariant (written by
// a buggy engine) is reported naming the invariant, never loaded.
TEST(SqliteArchiveTest, CopyThatBreaksAnInvariantIsReportedNamingIt) {
  SimDisk disk({});
  SimClock clock;
  SqliteArchive archive(disk, clock, Options());
  ASSERT_OK(archive.Open());
  EngineState state = ArchiveStates(0, 1, 3)[0];
  state.trading.risk.halted = true;  // halted without a reason
  ASSERT_OK(archive.Archive(state));
  const Result<EngineState> read = archive.Read(1);
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(read.status().IsCorruption());
  EXPECT_EQ(read.status().field(), kInvariantHaltReason);
  EXPECT_NE(read.status().path().find("copy 1"), std::string::npos) << read.status().ToString();
  EXPECT_FALSE(archive.NewestValid().ok());
}

// Latent corruption of the database file: whatever SQLite or the checksum
// says, a copy that reads OK must be exactly the state archived under it.
TEST(SqliteArchiveTest, CorruptionAtRestIsReportedNeverLoadedAsAnotherState) {
  const std::vector<EngineState> states = ArchiveStates(0, 3, 8);
  for (const faults::FaultKind kind :
       {faults::FaultKind::kBitFlip, faults::FaultKind::kZeroSector}) {
    size_t detected = 0, harmless = 0;
    for (uint64_t seed = 1; seed <= 40; ++seed) {
      SimDisk disk({.plan = {seed, {}}});
      SimClock clock;
      {
        SqliteArchive archive(disk, clock, Options());
        ASSERT_OK(archive.Open());
        ArchiveAll(archive, clock, states);
      }  // closed: the WAL is checkpointed into the database file and removed
      ASSERT_FALSE(*disk.Exists(std::string(kPath) + "-wal"));
      ASSERT_TRUE(disk.CorruptAtRest(kPath, kind).ok());
      SqliteArchive archive(disk, clock, Options());
      bool any_error = !archive.Open().ok();
      for (int64_t id = 1; id <= 3 && !any_error; ++id) {
        const Result<EngineState> read = archive.Read(id);
        if (!read.ok()) {
          any_error = true;
          EXPECT_FALSE(read.status().path().empty()) << read.status().ToString();
          continue;
        }
        ASSERT_EQ(*read, states[id - 1])
            << "seed " << seed << ": copy " << id << " loaded as a state that was never archived";
      }
      any_error ? ++detected : ++harmless;
    }
    std::printf("[ corrupt ] %s: %zu of 40 detected, %zu landed where nothing reads\n",
                faults::FaultKindName(kind).c_str(), detected, harmless);
    EXPECT_GT(detected, 0u) << "a corruption test that never corrupts anything read tests nothing";
  }
}

TEST(SqliteArchiveTest, PruneKeepsTheOnlyCopyEvenWhenItIsOld) {
  SimDisk disk({});
  SimClock clock;
  SqliteArchive archive(disk, clock, Options());
  ASSERT_OK(archive.Open());
  ArchiveAll(archive, clock, ArchiveStates(0, 1, 3));
  clock.Advance(400 * kDayNs);
  const Result<ArchivePruneResult> pruned = archive.Prune({});
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->newest_valid_id, 1);
  EXPECT_TRUE(pruned->deleted_ids.empty());
  EXPECT_EQ(archive.List()->size(), 1u);
}

TEST(SqliteArchiveTest, PruneKeepsTheNewestValidCopyWhenEveryOtherIsOld) {
  SimDisk disk({});
  SimClock clock;
  SqliteArchive archive(disk, clock, Options());
  ASSERT_OK(archive.Open());
  const std::vector<EngineState> states = ArchiveStates(0, 6, 3);
  ArchiveAll(archive, clock, states, kDayNs);
  clock.Advance(200 * kDayNs);
  const Result<ArchivePruneResult> pruned = archive.Prune({});
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->deleted_ids.size(), 5u);
  const std::vector<ArchivedCopyInfo> copies = *archive.List();
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(*archive.Read(copies[0].id), states.back());
}

TEST(SqliteArchiveTest, PruneKeepsTheNewestValidCopyWhenTheNewestCopyIsCorrupt) {
  SimDisk disk({});
  SimClock clock;
  const std::vector<EngineState> states = ArchiveStates(0, 6, 3);
  {
    SqliteArchive archive(disk, clock, Options());
    ASSERT_OK(archive.Open());
    ArchiveAll(archive, clock, states, kDayNs);
  }
  ExecDirectly(disk, "UPDATE archived_copies SET checksum_xxh3 = checksum_xxh3 + 1 WHERE id = 6");
  clock.Advance(200 * kDayNs);
  SqliteArchive archive(disk, clock, Options());
  ASSERT_OK(archive.Open());
  const Result<ArchivePruneResult> pruned = archive.Prune({});
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->newest_valid_id, 5);
  const Result<ArchivedState> newest = archive.NewestValid();
  ASSERT_TRUE(newest.ok()) << newest.status().ToString();
  EXPECT_EQ(newest->id, 5);
  EXPECT_EQ(newest->state, states[4]);
}

TEST(SqliteArchiveTest, PruneKeepsHourlyForAWeekAndDailyForNinetyDays) {
  SimDisk disk({});
  SimClock clock;
  SqliteArchive archive(disk, clock, Options());
  ASSERT_OK(archive.Open());
  const std::vector<EngineState> states = ArchiveStates(0, 200, 1);  // every 12 h, 100 days
  ArchiveAll(archive, clock, states, 12 * kHourNs);
  const int64_t now_ns = clock.Wall();
  const std::vector<ArchivedCopyInfo> before = *archive.List();
  const Result<ArchivePruneResult> pruned = archive.Prune({});
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  std::set<int64_t> kept_ids;
  const Result<std::vector<ArchivedCopyInfo>> after = archive.List();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  for (const ArchivedCopyInfo& copy : *after) kept_ids.insert(copy.id);

  EXPECT_EQ(kept_ids.size() + pruned->deleted_ids.size(), before.size());
  std::map<int64_t, int> kept_per_day;
  for (const ArchivedCopyInfo& copy : before) {
    const int64_t age = now_ns - copy.created_at_ns;
    const bool kept = kept_ids.count(copy.id) > 0;
    if (age <= 7 * kDayNs) {
      EXPECT_TRUE(kept) << "copy " << copy.id << " is within the hourly window";
    } else if (age > 90 * kDayNs) {
      EXPECT_FALSE(kept) << "copy " << copy.id << " is past every window";
    } else if (kept) {
      ++kept_per_day[copy.created_at_ns / kDayNs];
    }
  }
  EXPECT_GE(kept_per_day.size(), 80u);
  for (const auto& [day, kept] : kept_per_day) EXPECT_EQ(kept, 1) << "day " << day;
  EXPECT_TRUE(kept_ids.count(pruned->newest_valid_id));
}

// A full disk: the attempt fails naming the archive and the step, nothing
// claims it succeeded, and once space is back the next attempt succeeds.
TEST(SqliteArchiveTest, FullDiskFailsTheAttemptAndTheNextOneAfterSpaceReturnsSucceeds) {
  SimDisk disk({});
  SimClock clock;
  const std::vector<EngineState> states = ArchiveStates(0, 4, 3);
  SqliteArchive archive(disk, clock, Options());
  ASSERT_OK(archive.Open());
  ArchiveAll(archive, clock, {states[0], states[1]});
  disk.SetCapacity(disk.used_bytes());
  const Status full = archive.Archive(states[2]);
  ASSERT_FALSE(full.ok());
  EXPECT_TRUE(full.IsNoSpace()) << full.ToString();
  EXPECT_EQ(full.path(), kPath);
  EXPECT_FALSE(full.operation().empty());
  disk.SetCapacity(1ull << 30);
  const std::vector<ArchivedCopyInfo> copies = *archive.List();
  for (const ArchivedCopyInfo& copy : copies) {
    EXPECT_NE(copy.state_seq, states[2].state_seq()) << "a failed attempt left a copy";
  }
  const std::vector<ArchiveLogEntry> log = *archive.Log();
  for (const ArchiveLogEntry& entry : log) {
    EXPECT_FALSE(entry.ok && entry.state_seq == states[2].state_seq()) << "logged as ok";
  }
  const Status again = archive.Archive(states[2]);
  ASSERT_TRUE(again.ok()) << again.ToString();
  EXPECT_EQ(archive.List()->front().state_seq, states[2].state_seq());
  EXPECT_EQ(*archive.Read(archive.List()->front().id), states[2]);
}

TEST(SqliteArchiveTest, ShortWriteOnTheWalFailsTheAttemptAndLogsItAsFailed) {
  SimDisk disk({});
  SimClock clock;
  const std::vector<EngineState> states = ArchiveStates(0, 3, 3);
  SqliteArchive archive(disk, clock, Options());
  ASSERT_OK(archive.Open());
  ArchiveAll(archive, clock, {states[0]});
  disk.AddFault(
      {faults::Trigger{
           .on = faults::TriggerOn::kWrite, .nth = 1, .path_glob = std::string(kPath) + "-wal"},
       faults::Fault{.kind = faults::FaultKind::kShortWrite}});
  const Status failed = archive.Archive(states[1]);
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(failed.IsNoSpace()) << failed.ToString();
  EXPECT_TRUE(failed.injected());
  EXPECT_NE(failed.ToString().find("-wal"), std::string::npos) << "names the file that failed";
  const std::vector<ArchiveLogEntry> log = *archive.Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_FALSE(log.back().ok);
  EXPECT_EQ(log.back().state_seq, states[1].state_seq());
  EXPECT_EQ(log.back().copy_id, 0);
  EXPECT_NE(log.back().error.find("no_space"), std::string::npos) << log.back().error;
  EXPECT_EQ(archive.List()->size(), 1u);
  ASSERT_TRUE(archive.Archive(states[1]).ok());
  ASSERT_TRUE(archive.Archive(states[2]).ok());
  EXPECT_EQ(archive.List()->size(), 3u);
  EXPECT_EQ(*archive.Read(archive.List()->front().id), states[2]);
}

// Production runs the same VFS over PosixFs: real files, real fdatasync.
TEST(SqliteArchiveTest, RoundTripOnPosixFsInARealDirectory) {
  testing::TempDir temp;
  PosixFs fs;
  SimClock clock;
  const std::vector<EngineState> states = ArchiveStates(0, 3, 4);
  const SqliteArchiveOptions options{.path = temp.Join("l4/archive.db")};
  {
    SqliteArchive archive(fs, clock, options);
    ASSERT_OK(archive.Open());
    ArchiveAll(archive, clock, states);
  }
  EXPECT_FALSE(*fs.Exists(options.path + "-wal")) << "a clean close checkpoints the WAL away";
  SqliteArchive archive(fs, clock, options);
  ASSERT_OK(archive.Open());
  const Result<ArchivedState> newest = archive.NewestValid();
  ASSERT_TRUE(newest.ok()) << newest.status().ToString();
  EXPECT_EQ(newest->state, states.back());
  EXPECT_EQ(archive.List()->size(), states.size());
}

// Plugged into the checkpointer: a copy on each archive period, and a full
// disk at archive time is counted as an archive failure, never fatal.
TEST(SqliteArchiveTest, CheckpointerArchivesOnItsPeriodAndCountsAFailureWithoutStopping) {
  SimDisk disk({});
  SimClock clock;
  SqliteArchive archive(disk, clock, Options());
  CheckpointerOptions options;
  options.state_dir = "/state";
  options.archive_period_ns = kHourNs;
  options.l1_slot_bytes = 64 << 10;
  MultiLevelCheckpointer checkpointer(disk, clock, options, &archive);
  ASSERT_OK(checkpointer.Open({}));
  std::vector<EngineState> archived;
  for (int k = 0; k < 8; ++k) {
    ASSERT_OK(checkpointer.Commit(testing::ArchiveScriptUpdate(0, k)));
    clock.Advance(kHourNs);
    if (k == 5) disk.SetCapacity(disk.used_bytes());
    const Status ticked = checkpointer.Tick();
    if (k == 5) {
      EXPECT_FALSE(ticked.ok());
      disk.SetCapacity(1ull << 30);
    } else {
      ASSERT_OK(ticked);
      archived.push_back(checkpointer.state());
    }
  }
  EXPECT_EQ(checkpointer.stats().archive.writes, 7u);
  EXPECT_GE(checkpointer.stats().archive.failures, 1u);
  const std::vector<ArchivedCopyInfo> copies = *archive.List();
  ASSERT_EQ(copies.size(), archived.size());
  EXPECT_EQ(archive.NewestValid()->state, archived.back());
}

// The state directory is lost (the archive lives elsewhere): recovery finds
// the archive's newest valid copy as a kL4 candidate and recovers from it;
// with the directory intact, its newer local copies win and the archive is
// not read.
TEST(SqliteArchiveTest, RecoveryChoosesTheArchivedCopyOnlyWhenItIsTheNewestValid) {
  SimDisk disk({});
  SimClock clock;
  SqliteArchiveOptions archive_options = Options();
  archive_options.path = "/archive/l4.db";
  SqliteArchive archive(disk, clock, archive_options);
  testing::CheckRecoveryChoosesTheArchiveOnlyWhenItIsTheNewestValid(disk, clock, archive);
}

}  // namespace
}  // namespace crashdrill::system

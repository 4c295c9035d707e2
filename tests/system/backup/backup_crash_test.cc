// A crash at every operation of CreateBackup (an incremental onto a DirTarget
// that already holds a full set), with both crash kinds and both sweep crash
// models: afterwards the full still restores to the same state, the new set is
// either listed and restores to the state of its point or not listed at all,
// and a new backup taken after the restart restores too.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "system/backup/backup.h"
#include "system/backup/prune.h"
#include "system/recovery/local_recovery.h"
#include "tests/system/backup/backup_world.h"
#include "tests/system/levels/crash_sweep.h"

namespace crashdrill::system {
namespace {

using faults::CrashKind;
using faults::SimDisk;
using testing::kStateDir;
using testing::kTargetDir;
using testing::StateWriter;

struct Reference {
  EngineState full;         // recovered from the restored full set
  EngineState incremental;  // recovered from the restored incremental
};

// The state dir and the full set are made uncounted (no crash there); the
// incremental runs counted, so the sweep crashes each of its operations.
bool TakeIncremental(SimDisk& disk, const BackupKey& key, bool count_the_incremental = true) {
  disk.SetUncounted(true);
  StateWriter writer(disk);
  DirTarget target(disk, kTargetDir);
  const bool ready =
      writer.Open().ok() && writer.Commit(12).ok() && target.Open().ok() &&
      CreateBackup(disk, writer.clock(), kStateDir, target, key, BackupKind::kFull).ok() &&
      writer.Commit(7).ok();
  EXPECT_TRUE(ready) << "the state directory or the full set could not be made";
  disk.SetUncounted(!count_the_incremental);
  const bool taken =
      CreateBackup(disk, writer.clock(), kStateDir, target, key, BackupKind::kIncremental).ok();
  disk.SetUncounted(false);
  return taken;
}

Result<EngineState> RestoreAndRecover(SimDisk& disk, BackupTarget& target, const BackupKey& key,
                                      const std::string& set_id, const std::string& out_dir) {
  CD_RETURN_IF_ERROR(RestoreBackup(target, key, set_id, disk, out_dir).status());
  return testing::RecoverState(disk, out_dir);
}

Reference MakeReference(const BackupKey& key) {
  SimDisk disk = testing::MakeDisk();
  EXPECT_TRUE(TakeIncremental(disk, key));
  DirTarget target(disk, kTargetDir);
  Result<EngineState> full = RestoreAndRecover(disk, target, key, SetId(1), "/r1");
  Result<EngineState> incremental = RestoreAndRecover(disk, target, key, SetId(2), "/r2");
  EXPECT_TRUE(full.ok() && incremental.ok());
  EXPECT_LT(full->state_seq(), incremental->state_seq());
  return {*full, *incremental};
}

// `listed`: whether the interrupted set was listed (complete).
void CheckAfterCrashInto(SimDisk& disk, const BackupKey& key, const Reference& reference,
                         uint64_t n, bool& listed) {
  SCOPED_TRACE("crash at operation " + std::to_string(n));
  DirTarget target(disk, kTargetDir);
  ASSERT_TRUE(target.Open().ok());
  Result<std::vector<Manifest>> sets = ListBackups(target, key);
  ASSERT_TRUE(sets.ok()) << sets.status().ToString();
  ASSERT_GE(sets->size(), 1u);
  ASSERT_LE(sets->size(), 2u);
  Result<EngineState> full = RestoreAndRecover(disk, target, key, SetId(1), "/r1");
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_TRUE(*full == reference.full) << "the full set no longer restores its point";
  listed = sets->size() == 2;
  if (listed) {
    Result<EngineState> incremental = RestoreAndRecover(disk, target, key, SetId(2), "/r2");
    ASSERT_TRUE(incremental.ok()) << "a listed set does not restore: "
                                  << incremental.status().ToString();
    EXPECT_TRUE(*incremental == reference.incremental);
  }
  // The restart goes on: another incremental, over whatever the crash left.
  faults::SimClock clock;
  Result<BackupStats> next =
      CreateBackup(disk, clock, kStateDir, target, key, BackupKind::kIncremental);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  Result<EngineState> again = RestoreAndRecover(disk, target, key, next->set_id, "/r3");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
}

bool CheckAfterCrash(SimDisk& disk, const BackupKey& key, const Reference& reference, uint64_t n) {
  bool listed = false;
  CheckAfterCrashInto(disk, key, reference, n, listed);
  return listed;
}

TEST(BackupCrashTest, CrashAtEveryOperationOfCreateBackupKeepsThePreviousChainAndNoHalfSet) {
  const BackupKey key = BackupKey::Generate();
  const Reference reference = MakeReference(key);
  size_t total = 0, listed = 0;
  for (const faults::CrashModel& model : testing::SweepModels()) {
    for (const CrashKind kind : {CrashKind::kProcessCrash, CrashKind::kPowerLoss}) {
      const testing::SweepStats stats = testing::SweepEveryOperation<bool>(
          model, 0xBAC0, kind, [&](SimDisk& disk) { return TakeIncremental(disk, key); },
          [&](SimDisk& disk, bool, uint64_t n) {
            listed += CheckAfterCrash(disk, key, reference, n) ? 1 : 0;
          });
      const std::string what = std::string("CreateBackup, ") +
                               (kind == CrashKind::kPowerLoss ? "power loss" : "process crash") +
                               ", sector " + std::to_string(model.sector_bytes);
      testing::PrintSweep(what.c_str(), stats);
      EXPECT_GE(stats.crash_points, 40u) << what;
      total += stats.crash_points;
      if (HasFailure()) return;
    }
  }
  std::printf("[ sweep ] CreateBackup: %zu crash points in all, the new set listed after %zu\n",
              total, listed);
  // Both outcomes happen: crashes before the manifest was durable, and after.
  EXPECT_GT(listed, 0u);
  EXPECT_LT(listed, total);
}

// --- RestoreBackup ----------------------------------------------------------------

// The state directory and its incremental chain are made uncounted; the
// restore of the incremental into /restored runs counted.
bool TakeChainAndRestore(SimDisk& disk, const BackupKey& key) {
  const bool taken = TakeIncremental(disk, key, /*count_the_incremental=*/false);
  EXPECT_TRUE(taken);
  DirTarget target(disk, kTargetDir);
  disk.SetUncounted(true);
  const bool opened = target.Open().ok();
  disk.SetUncounted(false);
  return taken && opened && RestoreBackup(target, key, SetId(2), disk, "/restored").ok();
}

// After a crash anywhere in the restore, recovery of the directory gives the
// set's state, or refuses the directory naming the unfinished restore, or
// finds nothing at all: never an older state from the part that landed. A
// restore after the restart into a new directory gives the set's state.
void CheckAfterRestoreCrash(SimDisk& disk, const BackupKey& key, const Reference& reference,
                            uint64_t n, std::map<std::string, size_t>& outcomes) {
  SCOPED_TRACE("crash at operation " + std::to_string(n));
  faults::SimClock clock;
  Result<LocalRecovery> recovery =
      RecoverLocal(disk, clock, {.state_dir = "/restored", .l1_slot_bytes = testing::kL1SlotBytes});
  if (!recovery.ok()) {
    EXPECT_EQ(recovery.status().code(), StatusCode::kFailedPrecondition)
        << recovery.status().ToString();
    EXPECT_NE(recovery.status().ToString().find("RESTORE-IN-PROGRESS"), std::string::npos)
        << recovery.status().ToString();
    ++outcomes["refused"];
  } else if (!recovery->report.base && recovery->report.recovered_seq == 0) {
    ++outcomes["nothing"];
  } else {
    EXPECT_TRUE(recovery->state == reference.incremental)
        << "recovered state_seq " << recovery->state.state_seq() << " from a restore cut short; "
        << "the set's is " << reference.incremental.state_seq();
    ++outcomes["whole"];
  }
  DirTarget target(disk, kTargetDir);
  ASSERT_TRUE(target.Open().ok());
  Result<EngineState> again = RestoreAndRecover(disk, target, key, SetId(2), "/restored-again");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(*again == reference.incremental);
}

TEST(BackupCrashTest, CrashAtEveryOperationOfRestoreNeverRecoversAnOlderState) {
  const BackupKey key = BackupKey::Generate();
  const Reference reference = MakeReference(key);
  std::map<std::string, size_t> outcomes;
  for (const faults::CrashModel& model : testing::SweepModels()) {
    for (const CrashKind kind : {CrashKind::kProcessCrash, CrashKind::kPowerLoss}) {
      const testing::SweepStats stats = testing::SweepEveryOperation<bool>(
          model, 0x4E57, kind, [&](SimDisk& disk) { return TakeChainAndRestore(disk, key); },
          [&](SimDisk& disk, bool, uint64_t n) {
            CheckAfterRestoreCrash(disk, key, reference, n, outcomes);
          });
      const std::string what = std::string("RestoreBackup, ") +
                               (kind == CrashKind::kPowerLoss ? "power loss" : "process crash") +
                               ", sector " + std::to_string(model.sector_bytes);
      testing::PrintSweep(what.c_str(), stats);
      EXPECT_GE(stats.crash_points, 20u) << what;
      if (HasFailure()) return;
    }
  }
  std::printf(
      "[ sweep ] RestoreBackup: recovery refused %zu half-restored directories, found "
      "nothing in %zu, the set's state in %zu\n",
      outcomes["refused"], outcomes["nothing"], outcomes["whole"]);
  EXPECT_GT(outcomes["refused"], 0u);
  EXPECT_GT(outcomes["whole"], 0u);
}

// --- PruneBackups ----------------------------------------------------------------

constexpr int64_t kDayNs = int64_t{86'400} * kNanosPerSecond;
// Keeps the newest day's set and its chain: the older chain goes.
constexpr PrunePolicy kPrunePolicy{.keep_daily = 1, .keep_weekly = 0, .keep_monthly = 0};

// Two chains: full, incremental, incremental on days 0-2; full, differential,
// incremental on days 10-12.
bool TakeChains(SimDisk& disk, DirTarget& target, const BackupKey& key) {
  StateWriter writer(disk);
  bool ready = writer.Open().ok() && target.Open().ok();
  const std::pair<BackupKind, int64_t> sets[] = {
      {BackupKind::kFull, 0},  {BackupKind::kIncremental, 1},   {BackupKind::kIncremental, 2},
      {BackupKind::kFull, 10}, {BackupKind::kDifferential, 11}, {BackupKind::kIncremental, 12}};
  for (const auto& [kind, day] : sets) {
    faults::SimClock clock(faults::SimClock::kDefaultWallStartNs + day * kDayNs);
    ready = ready && writer.Commit(4).ok() &&
            CreateBackup(disk, clock, kStateDir, target, key, kind).ok();
  }
  EXPECT_TRUE(ready) << "the state directory or the sets could not be made";
  return ready;
}

// The chains uncounted, then a counted prune.
bool TakeChainsAndPrune(SimDisk& disk, const BackupKey& key) {
  disk.SetUncounted(true);
  DirTarget target(disk, kTargetDir);
  const bool ready = TakeChains(disk, target, key);
  disk.SetUncounted(false);
  return ready && PruneBackups(target, key, kPrunePolicy).ok();
}

struct PruneReference {
  std::vector<std::string> kept;                // what a whole prune keeps
  std::map<std::string, EngineState> restored;  // every set's state, before the prune
};

std::vector<std::string> ListedIds(BackupTarget& target, const BackupKey& key) {
  std::vector<std::string> ids;
  Result<std::vector<Manifest>> sets = ListBackups(target, key);
  EXPECT_TRUE(sets.ok()) << sets.status().ToString();
  if (sets.ok()) {
    for (const Manifest& set : *sets) ids.push_back(set.set_id);
  }
  return ids;
}

PruneReference MakePruneReference(const BackupKey& key) {
  PruneReference reference;
  SimDisk before = testing::MakeDisk();
  {
    // The same sets, unpruned: what each restores to.
    SimDisk& disk = before;
    DirTarget target(disk, kTargetDir);
    TakeChains(disk, target, key);
    int n = 0;
    for (const std::string& id : ListedIds(target, key)) {
      Result<EngineState> state =
          RestoreAndRecover(disk, target, key, id, "/ref" + std::to_string(n++));
      EXPECT_TRUE(state.ok()) << id << ": " << state.status().ToString();
      if (state.ok()) reference.restored.emplace(id, *state);
    }
  }
  SimDisk disk = testing::MakeDisk();
  EXPECT_TRUE(TakeChainsAndPrune(disk, key));
  DirTarget target(disk, kTargetDir);
  EXPECT_TRUE(target.Open().ok());
  reference.kept = ListedIds(target, key);
  EXPECT_EQ(reference.restored.size(), 6u);
  EXPECT_EQ(reference.kept.size(), 3u) << "the newest chain (full, differential, incremental)";
  return reference;
}

// After a crash anywhere in the prune: every set still listed restores, to
// the state it restored to before (no listed set lost an object it needs);
// every set a whole prune keeps is listed; and a prune after the restart
// leaves exactly what a whole prune leaves.
void CheckAfterPruneCrash(SimDisk& disk, const BackupKey& key, const PruneReference& reference,
                          uint64_t n, size_t& partly_pruned) {
  SCOPED_TRACE("crash at operation " + std::to_string(n));
  DirTarget target(disk, kTargetDir);
  ASSERT_TRUE(target.Open().ok());
  const std::vector<std::string> listed = ListedIds(target, key);
  for (const std::string& id : reference.kept) {
    EXPECT_NE(std::find(listed.begin(), listed.end(), id), listed.end())
        << "set " << id << ", which the prune keeps, is no longer listed";
  }
  int k = 0;
  for (const std::string& id : listed) {
    Result<EngineState> state =
        RestoreAndRecover(disk, target, key, id, "/r" + std::to_string(k++));
    ASSERT_TRUE(state.ok()) << "listed set " << id
                            << " does not restore: " << state.status().ToString();
    EXPECT_TRUE(*state == reference.restored.at(id)) << "set " << id;
  }
  if (listed.size() != 6 && listed.size() != reference.kept.size()) ++partly_pruned;
  Result<PruneResult> again = PruneBackups(target, key, kPrunePolicy);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ListedIds(target, key), reference.kept);
  // Nothing of the deleted sets is left behind on the target.
  Result<std::vector<std::string>> objects = target.List();
  ASSERT_TRUE(objects.ok());
  for (const std::string& object : *objects) {
    bool of_a_kept_set = false;
    for (const std::string& id : reference.kept)
      of_a_kept_set |= object.find(id) != std::string::npos;
    EXPECT_TRUE(of_a_kept_set) << "left behind: " << object;
  }
}

TEST(BackupCrashTest, CrashAtEveryOperationOfPruneKeepsEveryListedSetRestorable) {
  const BackupKey key = BackupKey::Generate();
  const PruneReference reference = MakePruneReference(key);
  ASSERT_FALSE(HasFailure());
  size_t total = 0, partly = 0;
  for (const faults::CrashModel& model : testing::SweepModels()) {
    for (const CrashKind kind : {CrashKind::kProcessCrash, CrashKind::kPowerLoss}) {
      const testing::SweepStats stats = testing::SweepEveryOperation<bool>(
          model, 0x9A0E, kind, [&](SimDisk& disk) { return TakeChainsAndPrune(disk, key); },
          [&](SimDisk& disk, bool, uint64_t n) {
            CheckAfterPruneCrash(disk, key, reference, n, partly);
          });
      const std::string what = std::string("PruneBackups, ") +
                               (kind == CrashKind::kPowerLoss ? "power loss" : "process crash") +
                               ", sector " + std::to_string(model.sector_bytes);
      testing::PrintSweep(what.c_str(), stats);
      EXPECT_GE(stats.crash_points, 10u) << what;
      total += stats.crash_points;
      if (HasFailure()) return;
    }
  }
  std::printf(
      "[ sweep ] PruneBackups: %zu crash points in all, %zu left some sets deleted and "
      "some not\n",
      total, partly);
  EXPECT_GT(partly, 0u) << "no crash fell between two sets' deletions";
}

}  // namespace
}  // namespace crashdrill::system

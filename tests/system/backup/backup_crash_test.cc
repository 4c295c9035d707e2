// A crash at every operation of CreateBackup (an incremental onto a DirTarget
// that already holds a full set), with both crash kinds and both sweep crash
// models: afterwards the full still restores to the same state, the new set is
// either listed and restores to the state of its point or not listed at all,
// and a new backup taken after the restart restores too.
#include <gtest/gtest.h>

#include "system/backup/backup.h"
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
bool TakeIncremental(SimDisk& disk, const BackupKey& key) {
  disk.SetUncounted(true);
  StateWriter writer(disk);
  DirTarget target(disk, kTargetDir);
  const bool ready =
      writer.Open().ok() && writer.Commit(12).ok() && target.Open().ok() &&
      CreateBackup(disk, writer.clock(), kStateDir, target, key, BackupKind::kFull).ok() &&
      writer.Commit(7).ok();
  EXPECT_TRUE(ready) << "the state directory or the full set could not be made";
  disk.SetUncounted(false);
  return CreateBackup(disk, writer.clock(), kStateDir, target, key, BackupKind::kIncremental).ok();
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

}  // namespace
}  // namespace crashdrill::system

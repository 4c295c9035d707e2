// Retention keeps every set a kept set needs: an incremental keeps the chain
// back to its full, a differential its full, and the newest chain always.
#include "system/backup/prune.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "system/backup/backup.h"
#include "tests/system/backup/backup_world.h"

namespace crashdrill::system {
namespace {

using testing::kStateDir;
using testing::kTargetDir;

constexpr int64_t kDayNs = int64_t{86'400} * kNanosPerSecond;

class PruneTest : public ::testing::TestWithParam<testing::TargetKind> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(writer_.Open().ok());
    CD_OPEN_TEST_TARGET(holder_, GetParam());
  }
  // A set of `kind` taken `day` days after the first (a few commits before each).
  std::string Take(BackupKind kind, int64_t day) {
    EXPECT_TRUE(writer_.Commit(3).ok());
    faults::SimClock clock(faults::SimClock::kDefaultWallStartNs + day * kDayNs);
    Result<BackupStats> stats = CreateBackup(disk_, clock, kStateDir, target_, key_, kind);
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    return stats.ok() ? stats->set_id : "";
  }
  PruneResult Prune(PrunePolicy policy) {
    Result<PruneResult> result = PruneBackups(target_, key_, policy);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : PruneResult{};
  }
  bool Restores(const std::string& set_id) {
    static int n = 0;
    return RestoreBackup(target_, key_, set_id, disk_, "/restore-" + std::to_string(n++)).ok();
  }
  std::vector<std::string> Listed() {
    std::vector<std::string> ids;
    Result<std::vector<Manifest>> sets = ListBackups(target_, key_);
    EXPECT_TRUE(sets.ok());
    for (const Manifest& set : *sets) ids.push_back(set.set_id);
    return ids;
  }

  faults::SimDisk disk_ = testing::MakeDisk();
  testing::StateWriter writer_{disk_};
  testing::TestTarget holder_{disk_, GetParam()};
  BackupTarget& target_ = holder_.target();
  BackupKey key_ = BackupKey::Generate();
};

TEST_P(PruneTest, AKeptIncrementalKeepsEveryAncestorBackToAnOldFull) {
  std::vector<std::string> ids = {Take(BackupKind::kFull, 0)};
  for (int day = 40; day < 44; ++day) ids.push_back(Take(BackupKind::kIncremental, day));
  // Only the newest day is kept by policy; its chain reaches 40 days back.
  const PruneResult result = Prune({.keep_daily = 1, .keep_weekly = 0, .keep_monthly = 0});
  EXPECT_TRUE(result.deleted_sets.empty());
  EXPECT_EQ(Listed(), ids);
  EXPECT_TRUE(Restores(ids.back()));
}

TEST_P(PruneTest, AKeptDifferentialKeepsItsFullButNotTheSetsBetween) {
  const std::string full = Take(BackupKind::kFull, 0);
  const std::string incremental = Take(BackupKind::kIncremental, 1);
  const std::string differential = Take(BackupKind::kDifferential, 60);
  const PruneResult result = Prune({.keep_daily = 1, .keep_weekly = 0, .keep_monthly = 0});
  EXPECT_EQ(result.deleted_sets, std::vector<std::string>{incremental});
  EXPECT_EQ(Listed(), (std::vector<std::string>{full, differential}));
  EXPECT_TRUE(Restores(differential));
  EXPECT_TRUE(Restores(full));
}

TEST_P(PruneTest, AnOldChainGoesOnceANewerFullAndPolicyNoLongerNeedIt) {
  const std::string old_full = Take(BackupKind::kFull, 0);
  const std::string old_incremental = Take(BackupKind::kIncremental, 1);
  const std::string full = Take(BackupKind::kFull, 50);
  const std::string incremental = Take(BackupKind::kIncremental, 51);
  const PruneResult result = Prune({.keep_daily = 2, .keep_weekly = 0, .keep_monthly = 0});
  EXPECT_EQ(result.deleted_sets, (std::vector<std::string>{old_full, old_incremental}));
  EXPECT_EQ(Listed(), (std::vector<std::string>{full, incremental}));
  EXPECT_TRUE(Restores(incremental));
  // Their objects went too: only the kept sets' objects remain.
  Result<std::vector<std::string>> names = target_.List();
  ASSERT_TRUE(names.ok());
  for (const std::string& name : *names) {
    EXPECT_NE(SetIdOfObject(name), old_full) << name;
    EXPECT_NE(SetIdOfObject(name), old_incremental) << name;
  }
}

TEST_P(PruneTest, ThePolicyKeepsOnePerDayWeekAndMonth) {
  std::vector<std::string> fulls;
  for (int day = 0; day < 100; day += 3) fulls.push_back(Take(BackupKind::kFull, day));
  const PruneResult result = Prune({.keep_daily = 2, .keep_weekly = 2, .keep_monthly = 2});
  // Days 99 and 96; weeks: 99, and the newest of the week before; months: the
  // newest of April (99) and of March (88 = 2026-03-30).
  EXPECT_LE(result.kept.size(), 6u);
  EXPECT_GE(result.kept.size(), 3u);
  EXPECT_EQ(result.kept.back(), fulls.back());
  for (const std::string& id : result.kept) EXPECT_TRUE(Restores(id)) << id;
}

TEST_P(PruneTest, LeftoversOfAnInterruptedSetGoButThoseOfOneInProgressStay) {
  Take(BackupKind::kFull, 0);
  // Set 2 was interrupted before its manifest; set 4 is being written now.
  const std::string interrupted = FileObjectName(SetId(2), 0);
  ASSERT_TRUE(target_.Put(interrupted, AsBytes("partial")).ok());
  const std::string newest = Take(BackupKind::kFull, 1);  // set 3: numbers skip set 2
  EXPECT_EQ(newest, SetId(3));
  const std::string in_progress = FileObjectName(SetId(4), 0);
  ASSERT_TRUE(target_.Put(in_progress, AsBytes("being written")).ok());
  Prune({.keep_daily = 2, .keep_weekly = 0, .keep_monthly = 0});
  Result<std::vector<std::string>> names = target_.List();
  ASSERT_TRUE(names.ok());
  EXPECT_FALSE(std::count(names->begin(), names->end(), interrupted));
  EXPECT_TRUE(std::count(names->begin(), names->end(), in_progress));
  EXPECT_TRUE(Restores(newest));
}

TEST_P(PruneTest, WhenTheNewestChainIsBrokenTheNewestWholeChainIsKept) {
  const std::string old_full = Take(BackupKind::kFull, 0);
  const std::string full = Take(BackupKind::kFull, 1);
  const std::string incremental = Take(BackupKind::kIncremental, 2);
  ASSERT_TRUE(target_.Delete(ManifestObjectName(full)).ok());  // the newest chain breaks
  const PruneResult result = Prune({.keep_daily = 0, .keep_weekly = 0, .keep_monthly = 0});
  EXPECT_EQ(result.kept, (std::vector<std::string>{old_full, incremental}));
  EXPECT_TRUE(Restores(old_full));
}

TEST_P(PruneTest, NothingToPruneIsNotAnError) {
  const PruneResult result = Prune({});
  EXPECT_TRUE(result.kept.empty());
  EXPECT_TRUE(result.deleted_sets.empty());
}

TEST_P(PruneTest, TheNewestSetIsKeptEvenWhenThePolicyKeepsNothing) {
  Take(BackupKind::kFull, 0);
  const std::string newest = Take(BackupKind::kFull, 1);
  const PruneResult result = Prune({.keep_daily = 0, .keep_weekly = 0, .keep_monthly = 0});
  EXPECT_EQ(result.kept, std::vector<std::string>{newest});
}

INSTANTIATE_TEST_SUITE_P(Targets, PruneTest,
                         ::testing::Values(testing::TargetKind::kDir, testing::TargetKind::kS3),
                         testing::TargetKindName);

}  // namespace
}  // namespace crashdrill::system

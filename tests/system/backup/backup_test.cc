// Backups of a live state directory: a chain of full, incremental and
// differential sets restores each point exactly (byte-equal files, the same
// recovered state), and any damaged, missing or foreign object refuses the
// restore, naming the object, before anything is written.
#include "system/backup/backup.h"

#include <gtest/gtest.h>

#include "system/backup/object_codec.h"
#include "system/levels/atomic_file.h"
#include "system/levels/snapshot_store.h"
#include "tests/system/backup/backup_world.h"

namespace crashdrill::system {
namespace {

using testing::DirFiles;
using testing::FilesOf;
using testing::kStateDir;
using testing::kTargetDir;
using testing::RecoverState;
using testing::StateWriter;

struct Point {
  BackupStats stats;
  DirFiles files;         // the state directory when the set was taken
  EngineState recovered;  // what recovery made of it then
};

class BackupChainTest : public ::testing::TestWithParam<testing::TargetKind> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(writer_.Open().ok());
    CD_OPEN_TEST_TARGET(holder_, GetParam());
  }
  void CommitAndBackUp(int commits, BackupKind kind) {
    ASSERT_TRUE(writer_.Commit(commits).ok());
    Result<BackupStats> stats =
        CreateBackup(disk_, writer_.clock(), kStateDir, target_, key_, kind);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    Result<EngineState> recovered = RecoverState(disk_, kStateDir);
    ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
    points_.push_back({*stats, FilesOf(disk_, kStateDir), *recovered});
  }
  // full, +commits incremental, +commits incremental, +commits differential
  // A manual L2 version first: a file no later set changes.
  void MakeChain() {
    ASSERT_TRUE(writer_.Commit(3).ok());
    ASSERT_TRUE(writer_.Checkpoint(CheckpointType::kManual).ok());
    CommitAndBackUp(12, BackupKind::kFull);
    CommitAndBackUp(7, BackupKind::kIncremental);
    CommitAndBackUp(9, BackupKind::kIncremental);
    CommitAndBackUp(8, BackupKind::kDifferential);
  }
  std::string RestoreDir(size_t i) { return "/restore-" + std::to_string(i); }

  faults::SimDisk disk_ = testing::MakeDisk();
  StateWriter writer_{disk_};
  testing::TestTarget holder_{disk_, GetParam()};
  BackupTarget& target_ = holder_.target();
  BackupKey key_ = BackupKey::Generate();
  std::vector<Point> points_;
};

TEST_P(BackupChainTest, EverySetRestoresItsPointByteForByteAndRecoversTheSameState) {
  MakeChain();
  ASSERT_EQ(points_.size(), 4u);
  EXPECT_EQ(points_[1].stats.parent_id, points_[0].stats.set_id);
  EXPECT_EQ(points_[2].stats.parent_id, points_[1].stats.set_id);
  EXPECT_EQ(points_[3].stats.parent_id, points_[0].stats.set_id);  // differential: the full
  EXPECT_EQ(points_[0].stats.snapshot_seq, 0u);  // before the first snapshot: the whole WAL
  EXPECT_GT(points_[3].stats.snapshot_seq, 0u);
  for (size_t i = 0; i < points_.size(); ++i) {
    const Point& point = points_[i];
    SCOPED_TRACE(point.stats.set_id);
    Result<RestoreStats> restored =
        RestoreBackup(target_, key_, point.stats.set_id, disk_, RestoreDir(i));
    ASSERT_TRUE(restored.ok()) << restored.status().ToString();
    EXPECT_EQ(restored->files, point.stats.files);
    const DirFiles files = FilesOf(disk_, RestoreDir(i));
    ASSERT_EQ(files.size(), point.stats.files);
    for (const auto& [path, bytes] : files) {
      ASSERT_TRUE(point.files.contains(path)) << path;
      EXPECT_TRUE(point.files.at(path) == bytes) << path << " differs from the original";
    }
    // Everything but older snapshots and retired WAL segments is in the set.
    for (const auto& [path, bytes] : point.files) {
      if (!path.starts_with("snapshots/") && !path.starts_with("wal/")) {
        EXPECT_TRUE(files.contains(path)) << path << " is missing from the set";
      }
    }
    if (point.stats.snapshot_seq > 0) {
      EXPECT_TRUE(files.contains("snapshots/" + SnapshotStore::FileName(point.stats.snapshot_seq)));
    }
    Result<EngineState> recovered = RecoverState(disk_, RestoreDir(i));
    ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
    EXPECT_EQ(recovered->state_seq(), point.recovered.state_seq());
    EXPECT_TRUE(*recovered == point.recovered);
  }
}

TEST_P(BackupChainTest, IncrementalStoresOnlyChangedFilesAndRecordsDeletions) {
  MakeChain();
  EXPECT_EQ(points_[0].stats.files_stored, points_[0].stats.files);
  for (size_t i = 1; i < points_.size(); ++i) {
    EXPECT_LT(points_[i].stats.files_stored, points_[i].stats.files) << i;
  }
  // Snapshots and WAL segments were retired between sets: recorded as deleted.
  Result<Manifest> manifest = ReadManifest(target_, key_, points_[2].stats.set_id);
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  EXPECT_FALSE(manifest->deleted.empty());
  Result<std::vector<Manifest>> sets = ListBackups(target_, key_);
  ASSERT_TRUE(sets.ok());
  ASSERT_EQ(sets->size(), 4u);
  EXPECT_EQ((*sets)[3].kind, BackupKind::kDifferential);
}

// Every failed restore must leave nothing at the final place.
void ExpectRefused(Fs& fs, const Result<RestoreStats>& restored, const std::string& out_dir,
                   const std::vector<std::string>& named) {
  ASSERT_FALSE(restored.ok());
  const std::string text = restored.status().ToString();
  for (const std::string& part : named) EXPECT_NE(text.find(part), std::string::npos) << text;
  Result<bool> exists = fs.Exists(out_dir);
  ASSERT_TRUE(exists.ok());
  EXPECT_FALSE(*exists) << out_dir << " was created by a refused restore: " << text;
}

// The objects a restore of `set_id` reads that set `owner` stored, with their
// paths (object name -> path).
std::map<std::string, std::string> ObjectsOf(BackupTarget& target, const BackupKey& key,
                                             const std::string& set_id, const std::string& owner) {
  std::map<std::string, std::string> paths;
  Result<Manifest> manifest = ReadManifest(target, key, set_id);
  EXPECT_TRUE(manifest.ok());
  for (const ManifestEntry& entry : manifest->files) {
    if (SetIdOfObject(entry.object) == owner) paths[entry.object] = entry.path;
  }
  return paths;
}

TEST_P(BackupChainTest, AByteFlippedInAnyObjectOfTheChainRefusesTheRestoreNamingIt) {
  MakeChain();
  const std::string set_id = points_[2].stats.set_id;  // full + two incrementals
  size_t tried = 0;
  for (const Point& point : {points_[0], points_[1], points_[2]}) {
    std::map<std::string, std::string> objects =
        ObjectsOf(target_, key_, set_id, point.stats.set_id);
    objects[ManifestObjectName(point.stats.set_id)] = "";
    for (const auto& [object, path] : objects) {
      Result<std::vector<std::byte>> original = target_.Get(object);
      ASSERT_TRUE(original.ok());
      for (size_t at : {size_t{3}, size_t{30}, original->size() / 2, original->size() - 1}) {
        std::vector<std::byte> damaged = *original;
        damaged[at] ^= std::byte{0x20};
        ASSERT_TRUE(target_.Put(object, damaged).ok());
        const Result<RestoreStats> restored =
            RestoreBackup(target_, key_, set_id, disk_, "/tampered");
        std::vector<std::string> named = {object};
        if (!path.empty()) named.push_back(path);
        ExpectRefused(disk_, restored, "/tampered", named);
        ++tried;
      }
      ASSERT_TRUE(target_.Put(object, *original).ok());
    }
  }
  EXPECT_GT(tried, 20u);
  ASSERT_TRUE(RestoreBackup(target_, key_, set_id, disk_, "/tampered").ok());
}

TEST_P(BackupChainTest, ATruncatedObjectRefusesTheRestoreNamingIt) {
  MakeChain();
  const std::string set_id = points_[1].stats.set_id;
  for (const auto& [object, path] : ObjectsOf(target_, key_, set_id, set_id)) {
    Result<std::vector<std::byte>> original = target_.Get(object);
    ASSERT_TRUE(original.ok());
    for (size_t cut : {size_t{1}, size_t{17}, original->size() / 2}) {
      std::vector<std::byte> truncated(original->begin(), original->end() - cut);
      ASSERT_TRUE(target_.Put(object, truncated).ok());
      ExpectRefused(disk_, RestoreBackup(target_, key_, set_id, disk_, "/truncated"), "/truncated",
                    {object, set_id, path});
    }
    ASSERT_TRUE(target_.Put(object, *original).ok());
  }
}

TEST_P(BackupChainTest, AMissingObjectOfAnAncestorRefusesTheRestoreNamingIt) {
  MakeChain();
  const std::string full = points_[0].stats.set_id;
  const auto objects = ObjectsOf(target_, key_, points_[3].stats.set_id, full);
  ASSERT_FALSE(objects.empty());
  const std::string object = objects.begin()->first;
  ASSERT_TRUE(target_.Delete(object).ok());
  const Result<RestoreStats> restored =
      RestoreBackup(target_, key_, points_[3].stats.set_id, disk_, "/missing");
  ExpectRefused(disk_, restored, "/missing", {object, full, objects.begin()->second});
  EXPECT_TRUE(restored.status().IsNotFound()) << restored.status().ToString();
}

TEST_P(BackupChainTest, AMissingParentManifestRefusesTheRestoreNamingTheSet) {
  MakeChain();
  ASSERT_TRUE(target_.Delete(ManifestObjectName(points_[1].stats.set_id)).ok());
  ExpectRefused(disk_, RestoreBackup(target_, key_, points_[2].stats.set_id, disk_, "/orphan"),
                "/orphan", {points_[1].stats.set_id});
}

TEST_P(BackupChainTest, AWrongKeyIsRefusedAsAWrongKey) {
  MakeChain();
  const BackupKey other = BackupKey::Generate();
  const Result<RestoreStats> restored =
      RestoreBackup(target_, other, points_[1].stats.set_id, disk_, "/wrong-key");
  ExpectRefused(disk_, restored, "/wrong-key",
                {ManifestObjectName(points_[1].stats.set_id), "different key"});
  EXPECT_FALSE(ListBackups(target_, other).ok());
}

TEST_P(BackupChainTest, AnObjectMovedToAnotherPathOrSetFailsAuthentication) {
  MakeChain();
  // Two objects of the full set swapped: each is authentic, for another path.
  const auto objects = ObjectsOf(target_, key_, points_[0].stats.set_id, points_[0].stats.set_id);
  ASSERT_GE(objects.size(), 2u);
  const std::string a = objects.begin()->first, b = std::next(objects.begin())->first;
  Result<std::vector<std::byte>> bytes_a = target_.Get(a), bytes_b = target_.Get(b);
  ASSERT_TRUE(bytes_a.ok() && bytes_b.ok());
  ASSERT_TRUE(target_.Put(a, *bytes_b).ok());
  ASSERT_TRUE(target_.Put(b, *bytes_a).ok());
  const Result<RestoreStats> swapped =
      RestoreBackup(target_, key_, points_[0].stats.set_id, disk_, "/swapped");
  ExpectRefused(disk_, swapped, "/swapped", {"authentication failed"});
  const std::string text = swapped.status().ToString();
  EXPECT_TRUE(text.find(a) != std::string::npos || text.find(b) != std::string::npos) << text;
  ASSERT_TRUE(target_.Put(a, *bytes_a).ok());
  ASSERT_TRUE(target_.Put(b, *bytes_b).ok());
  // The incremental's manifest under the full's name: authentic, for another set.
  Result<std::vector<std::byte>> manifest =
      target_.Get(ManifestObjectName(points_[1].stats.set_id));
  ASSERT_TRUE(manifest.ok());
  ASSERT_TRUE(target_.Put(ManifestObjectName(points_[0].stats.set_id), *manifest).ok());
  ExpectRefused(disk_, RestoreBackup(target_, key_, points_[0].stats.set_id, disk_, "/swapped"),
                "/swapped", {ManifestObjectName(points_[0].stats.set_id), "authentication failed"});
}

TEST_P(BackupChainTest, RestoreRefusesADirectoryThatIsNotEmpty) {
  MakeChain();
  ASSERT_TRUE(disk_.MakeDir("/busy").ok());
  ASSERT_TRUE(WriteFileAtomically(disk_, "/busy", "x", AsBytes("x"), "test").ok());
  const Result<RestoreStats> restored =
      RestoreBackup(target_, key_, points_[0].stats.set_id, disk_, "/busy");
  ASSERT_FALSE(restored.ok());
  EXPECT_EQ(restored.status().code(), StatusCode::kFailedPrecondition);
}

INSTANTIATE_TEST_SUITE_P(Targets, BackupChainTest,
                         ::testing::Values(testing::TargetKind::kDir, testing::TargetKind::kS3),
                         testing::TargetKindName);

TEST(BackupCreateTest, AnIncrementalWithoutAFullIsRefused) {
  faults::SimDisk disk = testing::MakeDisk();
  StateWriter writer(disk);
  ASSERT_TRUE(writer.Open().ok());
  DirTarget target(disk, kTargetDir);
  ASSERT_TRUE(target.Open().ok());
  const BackupKey key = BackupKey::Generate();
  for (BackupKind kind : {BackupKind::kIncremental, BackupKind::kDifferential}) {
    const Result<BackupStats> stats =
        CreateBackup(disk, writer.clock(), kStateDir, target, key, kind);
    ASSERT_FALSE(stats.ok());
    EXPECT_EQ(stats.status().code(), StatusCode::kFailedPrecondition);
  }
}

}  // namespace
}  // namespace crashdrill::system

#include "system/levels/durable_file.h"

#include <fiu-control.h>

#include <cerrno>
#include <cstdint>

#include <gtest/gtest.h>

#include "system/io/posix_fs.h"
#include "tests/support/temp_dir.h"
#include "tests/system/state/golden_state.h"

namespace crashdrill::system {
namespace {

class DurableFileTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* point : {"crashdrill/fs/write", "crashdrill/fs/sync", "crashdrill/fs/rename"}) {
      fiu_disable(point);
    }
  }
  EngineState StateWithSeq(Seq seq) const {
    EngineState state = testing::GoldenState();
    state.trading.state_seq = seq;
    return state;
  }

  testing::TempDir temp_;
  const std::string dir_ = temp_.Join("l2");
  PosixFs fs_;
};

void* Errno(int value) { return reinterpret_cast<void*>(static_cast<intptr_t>(value)); }

TEST_F(DurableFileTest, WrittenVersionReadsBack) {
  DurableFile l2(fs_, {.dir = dir_});
  ASSERT_TRUE(l2.Open().ok());
  auto version = l2.Write(StateWithSeq(10));
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, 1u);
  auto state = l2.Read(1);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(*state, StateWithSeq(10));
}

TEST_F(DurableFileTest, KeepsTheKNewestVersions) {
  DurableFile l2(fs_, {.dir = dir_, .versions_kept = 2});
  ASSERT_TRUE(l2.Open().ok());
  for (Seq seq = 1; seq <= 5; ++seq) ASSERT_TRUE(l2.Write(StateWithSeq(seq)).ok());
  auto versions = l2.ListVersions();
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].version, 4u);
  EXPECT_EQ((*versions)[1].version, 5u);
}

TEST_F(DurableFileTest, ReopenContinuesNumberingAndRemovesTempFiles) {
  {
    DurableFile l2(fs_, {.dir = dir_});
    ASSERT_TRUE(l2.Open().ok());
    ASSERT_TRUE(l2.Write(StateWithSeq(1)).ok());
  }
  const std::string stale = JoinPath(dir_, DurableFile::FileName(2) + ".tmp");
  ASSERT_TRUE(fs_.Open(stale, OpenOptions::CreateNew()).ok());
  DurableFile l2(fs_, {.dir = dir_});
  ASSERT_TRUE(l2.Open().ok());
  EXPECT_FALSE(*fs_.Exists(stale));
  EXPECT_EQ(*l2.Write(StateWithSeq(2)), 2u);
}

TEST_F(DurableFileTest, EnospcDuringWriteLeavesPreviousVersionAndRecovers) {
  DurableFile l2(fs_, {.dir = dir_});
  ASSERT_TRUE(l2.Open().ok());
  ASSERT_TRUE(l2.Write(StateWithSeq(1)).ok());
  ASSERT_EQ(fiu_enable("crashdrill/fs/write", 1, Errno(ENOSPC), 0), 0);
  auto failed = l2.Write(StateWithSeq(2));
  fiu_disable("crashdrill/fs/write");
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(failed.status().IsNoSpace()) << failed.status().ToString();
  EXPECT_NE(failed.status().message().find("write temp file"), std::string::npos);
  auto versions = l2.ListVersions();
  ASSERT_EQ(versions->size(), 1u);
  EXPECT_EQ(*l2.Read(1), StateWithSeq(1));
  EXPECT_EQ(fs_.List(dir_)->size(), 1u) << "the failed temp file must be removed";
  auto next = l2.Write(StateWithSeq(3));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(*l2.Read(*next), StateWithSeq(3));
}

TEST_F(DurableFileTest, SyncFailureIsReportedAndNeverPublished) {
  DurableFile l2(fs_, {.dir = dir_});
  ASSERT_TRUE(l2.Open().ok());
  ASSERT_TRUE(l2.Write(StateWithSeq(1)).ok());
  ASSERT_EQ(fiu_enable("crashdrill/fs/sync", 1, Errno(EIO), 0), 0);
  auto failed = l2.Write(StateWithSeq(2));
  fiu_disable("crashdrill/fs/sync");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("sync temp file"), std::string::npos);
  EXPECT_EQ(l2.ListVersions()->size(), 1u);
}

TEST_F(DurableFileTest, CorruptVersionIsReportedNamingTheFile) {
  DurableFile l2(fs_, {.dir = dir_});
  ASSERT_TRUE(l2.Open().ok());
  ASSERT_TRUE(l2.Write(StateWithSeq(1)).ok());
  const std::string path = JoinPath(dir_, DurableFile::FileName(1));
  auto file = fs_.Open(path, OpenOptions::ReadWrite());
  ASSERT_TRUE((*file)->WriteAt(100, AsBytes("X")).ok());
  auto state = l2.Read(1);
  ASSERT_FALSE(state.ok());
  EXPECT_TRUE(state.status().IsCorruption());
  EXPECT_EQ(state.status().path(), path);
  EXPECT_TRUE(*fs_.Exists(path)) << "a corrupt copy is reported, never deleted";
}

}  // namespace
}  // namespace crashdrill::system

#include "system/io/posix_fs.h"

#include "tests/support/temp_dir.h"

#include <fiu-control.h>
#include <fiu.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include <algorithm>

#include <gtest/gtest.h>

namespace crashdrill::system {
namespace {

class PosixFsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    fiu_disable("crashdrill/fs/write");
    fiu_disable("crashdrill/fs/write/short");
    fiu_disable("crashdrill/fs/sync");
    fiu_disable("crashdrill/fs/rename");
  }
  std::string Path(const char* name) const { return temp_.Join(name); }

  testing::TempDir temp_;
  const std::string& dir_ = temp_.path();
  PosixFs fs_;
};

void* Errno(int value) { return reinterpret_cast<void*>(static_cast<intptr_t>(value)); }

TEST_F(PosixFsTest, WriteSyncReadRoundTrip) {
  auto file = fs_.Open(Path("a"), OpenOptions::CreateNew());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_TRUE((*file)->Append(AsBytes("hello ")).ok());
  ASSERT_TRUE((*file)->Append(AsBytes("world")).ok());
  ASSERT_TRUE((*file)->Sync().ok());
  auto bytes = ReadWholeFile(fs_, Path("a"));
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size()),
            "hello world");
}

TEST_F(PosixFsTest, CreateNewOnExistingFileIsAlreadyExists) {
  ASSERT_TRUE(fs_.Open(Path("a"), OpenOptions::CreateNew()).ok());
  auto again = fs_.Open(Path("a"), OpenOptions::CreateNew());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
}

TEST_F(PosixFsTest, OpenMissingFileIsNotFoundNamingPath) {
  auto missing = fs_.Open(Path("missing"), OpenOptions::Read());
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_EQ(missing.status().path(), Path("missing"));
}

TEST_F(PosixFsTest, RenameListUnlinkAndSyncDir) {
  ASSERT_TRUE(fs_.Open(Path("tmp"), OpenOptions::CreateNew()).ok());
  ASSERT_TRUE(fs_.Rename(Path("tmp"), Path("final")).ok());
  ASSERT_TRUE(fs_.SyncDir(dir_).ok());
  auto names = fs_.List(dir_);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"final"});
  ASSERT_TRUE(fs_.Unlink(Path("final")).ok());
  EXPECT_FALSE(*fs_.Exists(Path("final")));
}

// ZerosFrom may point past zeros only: never before the last data.
TEST_F(PosixFsTest, ZerosFromLiesPastTheLastDataOfAPreallocatedFile) {
  constexpr uint64_t kSize = 8 << 20, kLater = 3 << 20;
  auto file = fs_.Open(Path("p"), OpenOptions::CreateNew());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Allocate(0, kSize).ok());
  const std::vector<std::byte> data(10, std::byte{0x5a});
  ASSERT_TRUE((*file)->WriteAt(0, data).ok());
  ASSERT_TRUE((*file)->WriteAt(kLater, data).ok());
  ASSERT_TRUE((*file)->Sync().ok());
  auto zeros_from = (*file)->ZerosFrom();
  ASSERT_TRUE(zeros_from.ok()) << zeros_from.status().ToString();
  EXPECT_GE(*zeros_from, kLater + data.size()) << "data would be skipped";
  EXPECT_LE(*zeros_from, kSize);
  std::vector<std::byte> rest(kSize - *zeros_from);
  ASSERT_EQ(*(*file)->ReadAt(*zeros_from, rest), rest.size());
  EXPECT_TRUE(std::all_of(rest.begin(), rest.end(), [](std::byte b) { return b == std::byte{0}; }));
}

TEST_F(PosixFsTest, MapStoresAreVisibleThroughReads) {
  auto file = fs_.Open(Path("m"), OpenOptions::CreateNew());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Truncate(4096).ok());
  auto region = (*file)->Map(0, 4096);
  ASSERT_TRUE(region.ok()) << region.status().ToString();
  (*region)->data()[100] = std::byte{0x5a};
  ASSERT_TRUE((*region)->Sync(100, 1).ok());
  std::byte out{};
  ASSERT_EQ(*(*file)->ReadAt(100, MutableByteSpan(&out, 1)), 1u);
  EXPECT_EQ(out, std::byte{0x5a});
}

TEST_F(PosixFsTest, InjectedEnospcOnWriteIsNoSpaceNamingPath) {
  auto file = fs_.Open(Path("w"), OpenOptions::CreateNew());
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(fiu_enable("crashdrill/fs/write", 1, Errno(ENOSPC), 0), 0);
  Status status = (*file)->Append(AsBytes("payload"));
  fiu_disable("crashdrill/fs/write");
  EXPECT_TRUE(status.IsNoSpace()) << status.ToString();
  EXPECT_EQ(status.path(), Path("w"));
  EXPECT_TRUE(status.injected());
  EXPECT_TRUE((*file)->Append(AsBytes("payload")).ok());
}

TEST_F(PosixFsTest, InjectedEioOnSyncIsIoErrorNamingPath) {
  auto file = fs_.Open(Path("s"), OpenOptions::CreateNew());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append(AsBytes("payload")).ok());
  ASSERT_EQ(fiu_enable("crashdrill/fs/sync", 1, Errno(EIO), 0), 0);
  Status status = (*file)->Sync();
  fiu_disable("crashdrill/fs/sync");
  EXPECT_EQ(status.code(), StatusCode::kIoError) << status.ToString();
  EXPECT_EQ(status.error_number(), EIO);
  EXPECT_EQ(status.path(), Path("s"));
}

TEST_F(PosixFsTest, ShortWriteIsReportedWithCountAndNeverSuccess) {
  auto file = fs_.Open(Path("short"), OpenOptions::CreateNew());
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(fiu_enable("crashdrill/fs/write/short", 1, nullptr, 0), 0);
  Status status = (*file)->WriteAt(0, AsBytes("0123456789"));
  fiu_disable("crashdrill/fs/write/short");
  ASSERT_TRUE(status.IsNoSpace()) << status.ToString();
  EXPECT_NE(status.message().find("5 of 10 bytes"), std::string::npos) << status.ToString();
  EXPECT_EQ(status.offset(), 5);
  EXPECT_EQ(*(*file)->Size(), 5u);
}

TEST_F(PosixFsTest, InjectedRenameFailureLeavesSourceInPlace) {
  ASSERT_TRUE(fs_.Open(Path("tmp"), OpenOptions::CreateNew()).ok());
  ASSERT_EQ(fiu_enable("crashdrill/fs/rename", 1, Errno(EIO), 0), 0);
  Status status = fs_.Rename(Path("tmp"), Path("final"));
  fiu_disable("crashdrill/fs/rename");
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(*fs_.Exists(Path("tmp")));
  EXPECT_FALSE(*fs_.Exists(Path("final")));
}

TEST_F(PosixFsTest, FreeSpaceIsReported) {
  auto free_bytes = fs_.FreeSpace(dir_);
  ASSERT_TRUE(free_bytes.ok());
  EXPECT_GT(*free_bytes, 0u);
}

}  // namespace
}  // namespace crashdrill::system

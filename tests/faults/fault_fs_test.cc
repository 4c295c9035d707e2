// FaultFs over a real PosixFs (in a fresh temporary directory) and over a SimDisk.
#include "faults/fault_fs.h"

#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "faults/sim_clock.h"
#include "faults/sim_disk.h"
#include "system/io/posix_fs.h"
#include "tests/faults/test_util.h"

namespace crashdrill::faults {
namespace {

using system::OpenOptions;
using system::StatusCode;

class FaultFsOverPosixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "faultfs-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return system::JoinPath(dir_, name); }

  std::string dir_;
  system::PosixFs posix_;
  SimClock clock_;
  SleepFunction advance_ = [this](int64_t ns) { clock_.Advance(ns); };
};

TEST_F(FaultFsOverPosixTest, ShortWriteLandsHalfOnTheRealFileThenNoSpace) {
  FaultFs fs(&posix_, {.entries = {{.trigger = {.on = TriggerOn::kWrite, .nth = 1},
                                     .fault = {.kind = FaultKind::kShortWrite}}}},
             advance_);
  auto file = fs.Open(Path("f"), OpenOptions::CreateNew());
  ASSERT_TRUE(file.ok());
  const system::Status status = (*file)->WriteAt(0, system::AsBytes("12345678"));
  EXPECT_TRUE(status.IsNoSpace());
  EXPECT_TRUE(status.injected());
  EXPECT_EQ(testing::ReadText(posix_, Path("f")), "1234");
  testing::Tally(fs.trace());
}

TEST_F(FaultFsOverPosixTest, NoSpaceAndEioComeFromThePlanAndAreMarkedInjected) {
  FaultFs fs(&posix_, {.entries = {{.trigger = {.on = TriggerOn::kAnyOp, .nth = 1,
                                                .path_glob = "*/full"},
                                    .fault = {.kind = FaultKind::kNoSpace}},
                                   {.trigger = {.on = TriggerOn::kSync, .nth = 1},
                                    .fault = {.kind = FaultKind::kSyncFailure}}}},
             advance_);
  EXPECT_EQ(fs.Open(Path("full"), OpenOptions::CreateNew()).status().code(), StatusCode::kNoSpace);
  auto file = fs.Open(Path("ok"), OpenOptions::CreateNew());
  ASSERT_TRUE(file.ok());
  const system::Status sync = (*file)->Sync();
  EXPECT_EQ(sync.code(), StatusCode::kIoError);
  EXPECT_TRUE(sync.injected());
  EXPECT_TRUE((*file)->Sync().ok());
  EXPECT_EQ(fs.trace().count(Probe::kNoSpace), 1u);
  EXPECT_EQ(fs.trace().count(Probe::kSyncFailure), 1u);
  testing::Tally(fs.trace());
}

TEST_F(FaultFsOverPosixTest, LatencyGoesThroughTheInjectedSleepNotARealOne) {
  FaultFs fs(&posix_, {.entries = {{.trigger = {.on = TriggerOn::kRead, .nth = 1, .repeat = 0},
                                    .fault = {.kind = FaultKind::kLatency,
                                              .duration_ns = 250 * system::kNanosPerMilli}}}},
             advance_);
  ASSERT_TRUE(testing::WriteText(fs, Path("f"), "abc", true).ok());
  const int64_t before = clock_.Mono();
  EXPECT_EQ(testing::ReadText(fs, Path("f")), "abc");
  EXPECT_EQ(clock_.Mono() - before, 250 * system::kNanosPerMilli);
  EXPECT_EQ(fs.trace().count(Probe::kLatency), 1u);
  testing::Tally(fs.trace());
}

TEST(FaultFsOverSimDisk, ErrorsStackOnTopOfTheSimulatedDisk) {
  SimDisk disk({});
  FaultFs fs(&disk, {.entries = {{.trigger = {.on = TriggerOn::kAnyOp, .nth = 2},
                                  .fault = {.kind = FaultKind::kIoError}}}},
             [](int64_t) {});
  ASSERT_TRUE(fs.MakeDir("/d").ok());
  const system::Status failed = fs.Rename("/d/a", "/d/b");
  EXPECT_EQ(failed.error_number(), EIO);
  EXPECT_TRUE(failed.injected());
  EXPECT_EQ(fs.trace().count(Probe::kMetaError), 1u);
  testing::Tally(fs.trace());
}

}  // namespace
}  // namespace crashdrill::faults

// Process-mode helpers on a real child process (crashdrill_fault_helper): libfiu's POSIX
// preload and remote control make its write fail with ENOSPC; faketime moves its wall
// clock but not its monotonic clock. Waits are bounded; only the child is ever faulted.
#include "faults/process_control.h"

#include <stdlib.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace crashdrill::faults {
namespace {

constexpr int64_t kWaitNs = 20 * system::kNanosPerSecond;

class ProcessControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "procctl-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  int RunToExit(const ChildSpec& spec) {
    auto child = ChildProcess::Spawn(spec);
    EXPECT_TRUE(child.ok()) << child.status().ToString();
    if (!child.ok()) return -1;
    auto code = child->Wait(clock_, kWaitNs);
    EXPECT_TRUE(code.ok()) << code.status().ToString();
    return code.ok() ? *code : -1;
  }

  // Parses "wall_ns=W mono_ns=M" printed by the helper.
  static std::pair<int64_t, int64_t> ReadClocks(const std::string& path) {
    std::ifstream in(path);
    std::string wall_field, mono_field;
    in >> wall_field >> mono_field;
    if (wall_field.rfind("wall_ns=", 0) != 0 || mono_field.rfind("mono_ns=", 0) != 0) {
      ADD_FAILURE() << "helper printed '" << wall_field << " " << mono_field << "'";
      return {0, 0};
    }
    return {std::stoll(wall_field.substr(8)), std::stoll(mono_field.substr(8))};
  }

  std::string dir_;
  system::SystemClock clock_;
};

TEST_F(ProcessControlTest, HelperWritesWithoutFaults) {
  EXPECT_EQ(RunToExit({.argv = {CRASHDRILL_FAULT_HELPER, "write", Path("f"), "hello"}}), 0);
  EXPECT_TRUE(std::filesystem::exists(Path("f")));
}

TEST_F(ProcessControlTest, FiuPosixPreloadMakesTheChildsWriteFailWithEnospc) {
  ChildSpec spec{.argv = {CRASHDRILL_FAULT_HELPER, "write", Path("f"), "hello"}};
  AddFiuRun(spec, {"enable name=posix/io/rw/write,failinfo=28"}, Path("fiu"));
  EXPECT_EQ(RunToExit(spec), ENOSPC);
}

TEST_F(ProcessControlTest, RemoteControlEnablesEnospcInARunningChild) {
  ChildSpec spec{.argv = {CRASHDRILL_FAULT_HELPER, "write-when", Path("f"), "hello", Path("go")}};
  AddFiuRun(spec, {}, Path("fiu"));
  auto child = ChildProcess::Spawn(spec);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  const int64_t deadline_ns = clock_.Mono() + kWaitNs;
  while (!std::filesystem::exists(Path("f.ready")) && clock_.Mono() < deadline_ns) {
    const timespec pause{0, system::kNanosPerMilli};
    nanosleep(&pause, nullptr);
  }
  ASSERT_TRUE(std::filesystem::exists(Path("f.ready"))) << "helper never started";
  const system::Status sent = SendFiuCommand(
      Path("fiu"), child->pid(), "enable name=posix/io/rw/write,failinfo=28", clock_, kWaitNs);
  ASSERT_TRUE(sent.ok()) << sent.ToString();
  std::ofstream(Path("go")).put('\n');
  auto code = child->Wait(clock_, kWaitNs);
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  EXPECT_EQ(*code, ENOSPC);
}

TEST_F(ProcessControlTest, RemoteControlRejectsAMalformedCommand) {
  ChildSpec spec{.argv = {CRASHDRILL_FAULT_HELPER, "write-when", Path("f"), "x", Path("go")}};
  AddFiuRun(spec, {}, Path("fiu"));
  auto child = ChildProcess::Spawn(spec);
  ASSERT_TRUE(child.ok());
  const system::Status sent =
      SendFiuCommand(Path("fiu"), child->pid(), "explode name=everything", clock_, kWaitNs);
  EXPECT_EQ(sent.code(), system::StatusCode::kInvalidArgument) << sent.ToString();
  std::ofstream(Path("go")).put('\n');
  EXPECT_TRUE(child->Wait(clock_, kWaitNs).ok());
}

TEST_F(ProcessControlTest, FaketimeOffsetShowsInWallButNotMono) {
  ChildSpec spec{.argv = {CRASHDRILL_FAULT_HELPER, "clocks"}, .stdout_path = Path("clocks")};
  AddFaketime(spec, {.faketime = "+86400"});
  const int64_t wall_before = clock_.Wall();
  const int64_t mono_before = clock_.Mono();
  ASSERT_EQ(RunToExit(spec), 0);
  const int64_t wall_after = clock_.Wall();
  const int64_t mono_after = clock_.Mono();
  const auto [child_wall, child_mono] = ReadClocks(Path("clocks"));
  const int64_t day_ns = 86400 * system::kNanosPerSecond;
  EXPECT_GE(child_wall, wall_before + day_ns - system::kNanosPerSecond);
  EXPECT_LE(child_wall, wall_after + day_ns + system::kNanosPerSecond);
  EXPECT_GE(child_mono, mono_before);
  EXPECT_LE(child_mono, mono_after);
}

TEST_F(ProcessControlTest, FaketimeTimestampFileStepsTheWallClockBackwards) {
  ASSERT_TRUE(WriteFaketimeFile(Path("faketime"), "-3600").ok());
  ChildSpec spec{.argv = {CRASHDRILL_FAULT_HELPER, "clocks"}, .stdout_path = Path("clocks")};
  AddFaketime(spec, {.timestamp_file = Path("faketime")});
  const int64_t wall_before = clock_.Wall();
  ASSERT_EQ(RunToExit(spec), 0);
  const int64_t wall_after = clock_.Wall();
  const auto [child_wall, child_mono] = ReadClocks(Path("clocks"));
  const int64_t hour_ns = 3600 * system::kNanosPerSecond;
  EXPECT_GE(child_wall, wall_before - hour_ns - system::kNanosPerSecond);
  EXPECT_LE(child_wall, wall_after - hour_ns + system::kNanosPerSecond);
  EXPECT_LE(child_mono, clock_.Mono());
}

}  // namespace
}  // namespace crashdrill::faults

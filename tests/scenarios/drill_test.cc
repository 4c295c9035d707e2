// `crashdrill drill` as an operator runs it: real processes (the exchange, the
// engine, recover, crashfs), real files, real kill -9, libfiu through fiu-ctrl,
// faketime and a power loss through the crash filesystem. The short plan runs
// one step of each fault kind, every check must hold, and its reports must list
// every step; bad plans are refused with the field named; a second drill on
// the same state directory is refused; an interrupted drill leaves no process
// and no mount behind.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/scenarios/crashdrill_cli.h"

namespace crashdrill {
namespace {

// Processes whose command line mentions `path`, and mounts under it.
std::vector<std::string> LeftBehind(const std::string& path) {
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = ReadFile(entry.path().string() + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (std::to_string(::getpid()) != pid && cmdline.find(path) != std::string::npos &&
        ReadFile(entry.path().string() + "/stat").find(") Z") == std::string::npos) {
      left.push_back("process " + pid + ": " + cmdline);
    }
  }
  std::istringstream mounts(ReadFile("/proc/self/mounts"));
  for (std::string line; std::getline(mounts, line);) {
    if (line.find(path) != std::string::npos) left.push_back("mount: " + line);
  }
  return left;
}

// `text` as HTML or XML writes it: the apostrophes of step names escaped.
std::string Escaped(std::string text, const std::string& apostrophe) {
  for (size_t at = 0; (at = text.find('\'', at)) != std::string::npos; at += apostrophe.size()) {
    text.replace(at, 1, apostrophe);
  }
  return text;
}

std::string Names(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += "\n  " + item;
  return out;
}

// The short plan without its clock step, for a tree where faketime cannot run.
constexpr const char* kShortPlanWithoutClock = R"({
  "schema": "crashdrill.drill-plan/1", "name": "short-without-clock", "seed": 7,
  "steps": [
    {"name": "kill -9 inside a WAL group commit", "after_acks": 100, "during": "wal-commit", "fault": {"kind": "crash", "crash_kind": "process_crash"}},
    {"name": "kill -9 inside a snapshot", "after_acks": 100, "during": "snapshot", "fault": {"kind": "crash", "crash_kind": "process_crash"}},
    {"name": "disk full (ENOSPC) on the engine's writes", "after_acks": 100, "via": "seam", "fault": {"kind": "no_space", "duration_ns": 700000000}},
    {"name": "fdatasync(2) fails, outside the seam", "after_acks": 100, "via": "preload", "fault": {"kind": "sync_failure", "duration_ns": 700000000}},
    {"name": "network partition during recovery", "after_acks": 100, "during": "recovery", "fault": {"kind": "network_partition", "duration_ns": 1500000000}},
    {"name": "power loss while trading", "after_acks": 100, "fault": {"kind": "crash", "crash_kind": "power_loss"}}]})";

TEST(DrillTest, ShortPlanOnRealProcessesHoldsEveryCheckAndReportsEveryStep) {
  testing::TempDir dir;
  const std::string out = dir.Join("out");
#ifdef CRASHDRILL_NO_FAKETIME
  const std::string plan = dir.Join("short-without-clock.json");
  std::ofstream(plan) << kShortPlanWithoutClock;
  const size_t expected_steps = 6;
  const std::set<std::string> expected_faults = {"kill", "fiu", "partition", "power-loss"};
#else
  const std::string plan = "short";
  const size_t expected_steps = 7;
  const std::set<std::string> expected_faults = {"kill", "fiu", "clock", "partition", "power-loss"};
#endif
  const Outcome run = Crashdrill(dir, "drill", {"drill", "--plan", plan, "--out", out});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto result = nlohmann::json::parse(ReadFile(out + "/result.json"));
  ASSERT_TRUE(result.contains("drill")) << result.dump(2);
  const auto& steps = result["drill"]["steps"];
  ASSERT_EQ(steps.size(), expected_steps);
  std::set<std::string> faults;
  for (const auto& step : steps) {
    const std::string name = step["name"];
    faults.insert(step["fault"].get<std::string>());
    EXPECT_TRUE(step["passed"].get<bool>()) << name << "\n" << step.dump(2);
    EXPECT_FALSE(step["recovered_from"].get<std::string>().empty()) << name;
    std::set<std::string> held;
    for (const auto& check : step["checks"]) {
      EXPECT_TRUE(check["held"].get<bool>()) << name << ": " << check.dump();
      EXPECT_FALSE(check["evidence"].get<std::string>().empty()) << name;
      if (check["held"].get<bool>()) held.insert(check["property"].get<std::string>());
    }
    for (const char* property : {"P1", "P2", "P4", "P8", "P9"}) {
      EXPECT_TRUE(held.contains(property)) << name << " lacks " << property;
    }
    if (step["fault"] == "clock") {
      EXPECT_TRUE(held.contains("P6")) << name;
    }
    EXPECT_GE(step["acknowledged"].get<uint64_t>(), 100u) << name;
    EXPECT_GT(step["rto_ms"].get<double>(), 0) << name;
    EXPECT_EQ(step["rpo_critical_ms"].get<double>(), 0) << name;
  }
  EXPECT_EQ(faults, expected_faults);
  ASSERT_EQ(result["scenarios"].size(), 1u);
  EXPECT_EQ(result["scenarios"][0]["mode"], "process");
  EXPECT_EQ(result["scenarios"][0]["violations"].size(), 0u);
  // Every report names every step.
  const std::string markdown = ReadFile(out + "/summary.md");
  const std::string html = ReadFile(out + "/report.html");
  const std::string junit = ReadFile(out + "/junit.xml");
  for (const auto& step : steps) {
    const std::string name = step["name"];
    EXPECT_NE(markdown.find(name), std::string::npos) << name;
    EXPECT_NE(html.find(Escaped(name, "&#39;")), std::string::npos) << name;
    EXPECT_NE(junit.find(Escaped(name, "&#39;")), std::string::npos) << name;
  }
  EXPECT_EQ(LeftBehind(dir.path()), std::vector<std::string>{}) << Names(LeftBehind(dir.path()));
}

TEST(DrillTest, ListPlansShowsTheBuiltInPlansAndTheirSteps) {
  testing::TempDir dir;
  const Outcome run = Crashdrill(dir, "list", {"drill", "--list-plans"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("monthly (14 steps)"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("short (7 steps)"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("kill -9 inside a snapshot"), std::string::npos) << run.out;
}

TEST(DrillTest, APlanThatDoesNotParseOrAsksTheImpossibleIsRefusedNamingTheField) {
  testing::TempDir dir;
  const std::string step =
      R"({"name": "s", "fault": {"kind": "crash", "crash_kind": "process_crash"}})";
  const std::vector<std::pair<std::string, std::string>> plans = {
      {"{ not json", "plan.json"},
      {R"({"schema": "crashdrill.drill-plan/1", "name": "p", "steps": [{"name": "s", "fault": {"kind": "meteor"}}]})",
       "steps[0]"},
      {R"({"schema": "crashdrill.drill-plan/1", "name": "p", "steps": [{"name": "s", "fault": {"kind": "bit_flip"}}]})",
       "steps[0].fault.kind: 'bit_flip' is a sim-mode fault"},
      {R"({"schema": "crashdrill.drill-plan/1", "name": "p", "venue": "10.1.2.3:9000", "steps": [)" +
           step + "]}",
       "venue"},
      {R"({"schema": "crashdrill.drill-plan/1", "name": "p", "steps": [{"name": "s", "during": "lunch", "fault": {"kind": "crash", "crash_kind": "process_crash"}}]})",
       "steps[0].during"},
      {R"({"schema": "crashdrill.drill-plan/1", "name": "p", "steps": []})", "steps: no steps"},
  };
  for (size_t i = 0; i < plans.size(); ++i) {
    const std::string path = dir.Join("plan.json");
    std::ofstream(path) << plans[i].first;
    const Outcome run = Crashdrill(dir, "bad" + std::to_string(i),
                                   {"drill", "--plan", path, "--out", dir.Join("out")});
    EXPECT_EQ(run.exit_code, 2) << plans[i].first << "\n" << run.err;
    EXPECT_NE(run.err.find(plans[i].second), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("plan.json"), std::string::npos) << run.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.Join("out/result.json")));
}

TEST(DrillTest, ASecondDrillOnAStateDirectoryInUseIsRefused) {
  testing::TempDir dir;
  const std::string state = dir.Join("state");
  // The lock a running drill holds.
  const int fd = ::open((state + ".drill-lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  const Outcome run = Crashdrill(
      dir, "second", {"drill", "--plan", "short", "--out", dir.Join("out"), "--state-dir", state});
  ::close(fd);
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("another drill is using " + state), std::string::npos) << run.err;
  EXPECT_FALSE(std::filesystem::exists(dir.Join("out/result.json")));
}

TEST(DrillTest, AnInterruptedDrillLeavesNoProcessAndNoMountBehind) {
  testing::TempDir dir;
  // A power-loss step that waits for more acknowledgements than it gets before
  // the interrupt: the engine runs on a crashfs mount when SIGINT arrives.
  const std::string plan = dir.Join("long.json");
  std::ofstream(plan) << R"({"schema": "crashdrill.drill-plan/1", "name": "long", "steps": [
      {"name": "power loss after a long while", "after_acks": 100000000,
       "fault": {"kind": "crash", "crash_kind": "power_loss"}}]})";
  const std::string out = dir.Join("out");
  faults::ChildSpec spec;
  spec.argv = {CRASHDRILL_BINARY, "drill", "--plan", plan, "--out", out};
  spec.stderr_path = dir.Join("drill.err");
  auto drill = faults::ChildProcess::Spawn(spec);
  ASSERT_TRUE(drill.ok()) << drill.status().ToString();
  // Wait until the engine acknowledges on the mount.
  bool trading = false;
  for (int i = 0; i < 2000 && !trading; ++i) {
    for (const std::string& thing : LeftBehind(out + "/crashfs-step1")) {
      trading = trading || thing.find(" trade ") != std::string::npos;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(trading) << ReadFile(dir.Join("drill.err"));
  ASSERT_TRUE(drill->Kill(SIGINT).ok());
  system::SystemClock clock;
  auto code = drill->Wait(clock, 30 * system::kNanosPerSecond);
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  EXPECT_EQ(*code, 3) << ReadFile(dir.Join("drill.err"));
  EXPECT_EQ(LeftBehind(dir.path()), std::vector<std::string>{}) << Names(LeftBehind(dir.path()));
  // What was done is reported: the step, not passed.
  const auto result = nlohmann::json::parse(ReadFile(out + "/result.json"));
  ASSERT_EQ(result["drill"]["steps"].size(), 1u);
  EXPECT_FALSE(result["drill"]["steps"][0]["passed"].get<bool>());
}

}  // namespace
}  // namespace crashdrill

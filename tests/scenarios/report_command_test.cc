// `crashdrill chaos --shard I/N --out DIR` and `crashdrill report --merge` as
// a CI job runs them, on the binary of this build tree: the merged file is
// the unsharded run's result.json apart from wall-time fields, a missing
// shard is refused with exit 2, and chaos keeps stdout empty and its stderr
// free of terminal control sequences when stderr is not a terminal.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "faults/process_control.h"
#include "reports/result_model.h"
#include "system/io/clock.h"
#include "tests/scenarios/crashdrill_cli.h"
#include "tests/support/temp_dir.h"

namespace crashdrill {
namespace {

// A chaos run of two scenarios, 3 cases each; "0/1" is the whole run. The
// shard is always given: a GoogleTest shard in the environment would be used otherwise.
Outcome Chaos(const testing::TempDir& dir, const std::string& shard, const std::string& out) {
  return Crashdrill(dir, out,
                    {"chaos", "--scenario", "process-crash", "--scenario", "power-loss", "--cases",
                     "3", "--seed", "21", "--shard", shard, "--out", dir.Join(out)});
}

nlohmann::json ResultIn(const std::string& path) {
  return reports::WithoutWallTime(nlohmann::json::parse(ReadFile(path)));
}

TEST(ReportCommandTest, ShardRunsMergedByReportAreTheUnshardedRun) {
  testing::TempDir dir;
  ASSERT_EQ(Chaos(dir, "0/1", "whole").exit_code, 0);
  ASSERT_EQ(Chaos(dir, "0/2", "part0").exit_code, 0);
  ASSERT_EQ(Chaos(dir, "1/2", "part1").exit_code, 0);
  // Given in reverse: the order of the inputs does not matter.
  const Outcome report =
      Crashdrill(dir, "report",
                 {"report", "--merge", dir.Join("merged.json"), dir.Join("part1/result.json"),
                  dir.Join("part0/result.json"), "--md", dir.Join("summary.md"), "--junit",
                  dir.Join("junit.xml")});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(ResultIn(dir.Join("merged.json")), ResultIn(dir.Join("whole/result.json")));
  EXPECT_NE(ReadFile(dir.Join("summary.md")).find("## crashdrill chaos: held"), std::string::npos);
  EXPECT_NE(ReadFile(dir.Join("junit.xml")).find("<testsuites name=\"crashdrill\" tests=\"18\""),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.Join("merged.json.tmp")));
}

TEST(ReportCommandTest, AMissingShardIsRefusedWithExit2AndNamed) {
  testing::TempDir dir;
  ASSERT_EQ(Chaos(dir, "1/3", "part1").exit_code, 0);
  const Outcome report = Crashdrill(
      dir, "report", {"report", "--merge", dir.Join("merged.json"), dir.Join("part1/result.json")});
  EXPECT_EQ(report.exit_code, 2);
  EXPECT_NE(report.err.find("shard 0/3 is missing"), std::string::npos) << report.err;
  EXPECT_NE(report.err.find("'provenance.shard.index'"), std::string::npos) << report.err;
  EXPECT_FALSE(std::filesystem::exists(dir.Join("merged.json")));
}

TEST(ReportCommandTest, ATruncatedResultIsRefusedWithExit2AndItsName) {
  testing::TempDir dir;
  std::ofstream(dir.Join("cut.json")) << "{\"schema\": \"crashdrill.result/1\", \"prov";
  const Outcome report =
      Crashdrill(dir, "report", {"report", "--merge", dir.Join("m.json"), dir.Join("cut.json")});
  EXPECT_EQ(report.exit_code, 2);
  EXPECT_NE(report.err.find(dir.Join("cut.json") + ": not a complete JSON document"),
            std::string::npos)
      << report.err;
}

TEST(ReportCommandTest, ChaosPrintsTheSeedFirstAndNothingOnStdout) {
  testing::TempDir dir;
  const Outcome run = Chaos(dir, "0/1", "whole");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_TRUE(run.err.starts_with("crashdrill chaos: seed 21, shard 0/1,")) << run.err;
  EXPECT_NE(run.err.find("chaos: held: 6 cases,"), std::string::npos) << run.err;
  // Not a terminal: no redrawn line, no colour.
  EXPECT_EQ(run.err.find('\x1b'), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find('\r'), std::string::npos) << run.err;
}

TEST(ReportCommandTest, UsageErrorsExitWith2) {
  testing::TempDir dir;
  EXPECT_EQ(Crashdrill(dir, "shard", {"chaos", "--shard", "3/3"}).exit_code, 2);
  EXPECT_EQ(
      Crashdrill(dir, "scenario", {"chaos", "--scenario", "nope", "--shard", "0/1"}).exit_code, 2);
  EXPECT_EQ(Crashdrill(dir, "several",
                       {"report", dir.Join("a.json"), dir.Join("b.json"), "--md", dir.Join("s.md")})
                .exit_code,
            2);
  EXPECT_EQ(Crashdrill(dir, "none", {"report"}).exit_code, 2);
}

}  // namespace
}  // namespace crashdrill

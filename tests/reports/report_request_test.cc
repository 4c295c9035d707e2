// `crashdrill report` without the command line: merged result and reports
// written, shards grouped into their night and other results into the
// history, bad inputs refused by file and field with nothing written.
#include "reports/report_request.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "reports/result_files.h"
#include "reports/result_writers.h"
#include "tests/reports/result_test_support.h"
#include "tests/support/temp_dir.h"

namespace crashdrill::reports {
namespace {

using nlohmann::json;

class ReportRequestTest : public ::testing::Test {
 protected:
  // The shards of a made-up run as files shard<i>.json; returns their paths.
  std::vector<std::string> WriteShards(uint64_t count) {
    std::vector<std::string> paths;
    for (uint64_t i = 0; i < count; ++i) {
      paths.push_back(dir_.Join("shard" + std::to_string(i) + ".json"));
      EXPECT_EQ(WriteFileAtomically(paths.back(),
                                    ResultFileText(ToJson(testing::MadeUpRun(5, {i, count})))),
                std::nullopt);
    }
    return paths;
  }
  static std::string Slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  crashdrill::testing::TempDir dir_;
};

TEST_F(ReportRequestTest, MergeWritesTheWholeRunAndTheReportsOfIt) {
  const ReportRequest request{.results = WriteShards(3),
                              .merge_path = dir_.Join("merged.json"),
                              .markdown_path = dir_.Join("summary.md"),
                              .junit_path = dir_.Join("junit.xml")};
  const ReportOutcome outcome = MakeReports(request);
  ASSERT_EQ(outcome.kind, ReportOutcome::Kind::kDone) << outcome.message;
  EXPECT_EQ(outcome.written, (std::vector<std::string>{request.merge_path, request.markdown_path,
                                                       request.junit_path}));
  const json merged = json::parse(Slurp(request.merge_path));
  EXPECT_EQ(WithoutWallTime(merged), WithoutWallTime(ToJson(testing::MadeUpRun(5, {0, 1}))));
  const Checked<ResultRecord> record = ResultFromJson(merged);
  ASSERT_TRUE(record.ok()) << record.error();
  EXPECT_EQ(Slurp(request.junit_path), JunitXml(*record));
  EXPECT_NE(Slurp(request.markdown_path).find("shards 3,"), std::string::npos);
}

TEST_F(ReportRequestTest, ShardsWithoutMergeAreStillOneNight) {
  const ReportOutcome outcome = MakeReports({.results = WriteShards(3),
                                             .markdown_path = dir_.Join("summary.md"),
                                             .metrics_path = dir_.Join("metrics.prom")});
  ASSERT_EQ(outcome.kind, ReportOutcome::Kind::kDone) << outcome.message;
  EXPECT_EQ(outcome.nights, 1u);
  EXPECT_EQ(Slurp(dir_.Join("summary.md")).find("Trend"), std::string::npos);
  EXPECT_TRUE(Slurp(dir_.Join("metrics.prom")).ends_with("# EOF\n"));
  EXPECT_EQ(MakeReports({.results = WriteShards(1)}).kind, ReportOutcome::Kind::kRefused);
}

TEST_F(ReportRequestTest, EarlierNightsFromTheHistoryDirectoryFormTheTrend) {
  const std::string history = dir_.Join("history");
  std::filesystem::create_directory(history);
  for (int n = 0; n < 9; ++n) {
    const std::string path = history + "/night" + std::to_string(n) + ".json";
    ASSERT_EQ(WriteFileAtomically(
                  path, ResultFileText(ToJson(testing::MadeUpNight(n, n == 8 ? 4.0 : 1.0)))),
              std::nullopt);
  }
  // The newest night is given again on the command line (a CI job that
  // copies each result into the history first): it counts once.
  const ReportOutcome outcome = MakeReports({.results = {history + "/night8.json"},
                                             .html_path = dir_.Join("report.html"),
                                             .markdown_path = dir_.Join("summary.md"),
                                             .history_dir = history});
  ASSERT_EQ(outcome.kind, ReportOutcome::Kind::kDone) << outcome.message;
  EXPECT_EQ(outcome.nights, 9u);
  EXPECT_EQ(outcome.night, "2026-10-09 02:00Z");
  const std::string markdown = Slurp(dir_.Join("summary.md"));
  EXPECT_NE(markdown.find("### Trend over 9 nights"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("- 2026-10-09 02:00Z (this night): power-loss RTO p99"),
            std::string::npos)
      << markdown;
  EXPECT_NE(Slurp(dir_.Join("report.html")).find("Trend over 9 nights"), std::string::npos);
}

// Each bad input is refused with the file and what is wrong, exit 2 at the
// command line, and no report is written.
TEST_F(ReportRequestTest, BadInputsAreRefusedByFileAndFieldAndWriteNothing) {
  const json good = ToJson(testing::MadeUpNight(0));
  struct Case {
    std::string name;
    std::string text;
    std::string message;  // what the refusal must say after the file's path
  };
  json wrong_schema = good;
  wrong_schema["schema"] = "something.else/1";
  json newer = good;
  newer["schema"] = "crashdrill.result/2";
  json missing = good;
  missing["scenarios"][1].erase("crashes");
  // A count past uint64_t: JSON parses it as a double.
  std::string huge_count = good.dump();
  huge_count.replace(huge_count.find("\"cases\":200"), std::string("\"cases\":200").size(),
                     "\"cases\":99999999999999999999999");
  json huge_sample = good;
  huge_sample["scenarios"][0]["samples_ms"]["rto"].back() = 1e300;
  json negative = good;
  negative["scenarios"][0]["crashes"] = -3;
  json bad_time = good;
  bad_time["provenance"]["started_at"] = "yesterday";
  json no_such_day = good;
  no_such_day["provenance"]["started_at"] = "2026-02-30T02:00:00Z";
  const std::vector<Case> cases = {
      {"empty.json", "", ": not a complete JSON document (truncated?): byte 1"},
      {"truncated.json", good.dump().substr(0, 300), ": not a complete JSON document"},
      {"wrong.json", wrong_schema.dump(),
       ": field 'schema' is 'something.else/1': not a crashdrill result"},
      {"newer.json", newer.dump(), ": field 'schema' is 'crashdrill.result/2': a newer version"},
      {"missing.json", missing.dump(), ": field 'scenarios[1].crashes' is missing"},
      {"huge.json", huge_count, ": field 'scenarios[0].cases' is not an unsigned integer"},
      {"huge-sample.json", huge_sample.dump(),
       ": field 'scenarios[0].samples_ms.rto[299]' is 1e+300: out of range"},
      {"negative.json", negative.dump(),
       ": field 'scenarios[0].crashes' is not an unsigned integer"},
      {"time.json", bad_time.dump(), ": field 'provenance.started_at' is 'yesterday'"},
      {"day.json", no_such_day.dump(),
       ": field 'provenance.started_at' is '2026-02-30T02:00:00Z': not a UTC time"},
      {"list.json", "[1, 2]", ": the result is not a JSON object"},
  };
  for (const Case& c : cases) {
    const std::string path = dir_.Join(c.name);
    std::ofstream(path) << c.text;
    const ReportOutcome outcome = MakeReports({.results = {path},
                                               .html_path = dir_.Join("report.html"),
                                               .markdown_path = dir_.Join("summary.md")});
    EXPECT_EQ(outcome.kind, ReportOutcome::Kind::kRefused) << c.name;
    EXPECT_TRUE(outcome.message.starts_with(path + c.message)) << c.name << ": " << outcome.message;
    EXPECT_FALSE(std::filesystem::exists(dir_.Join("report.html"))) << c.name;
    EXPECT_FALSE(std::filesystem::exists(dir_.Join("summary.md"))) << c.name;
  }
}

TEST_F(ReportRequestTest, ARefusedInputWritesNothing) {
  std::vector<std::string> shards = WriteShards(3);
  shards.pop_back();
  const ReportOutcome outcome = MakeReports({.results = shards,
                                             .merge_path = dir_.Join("merged.json"),
                                             .markdown_path = dir_.Join("summary.md")});
  EXPECT_EQ(outcome.kind, ReportOutcome::Kind::kRefused);
  EXPECT_EQ(outcome.message,
            "shard 2/3 is missing: none of the 2 results given has field "
            "'provenance.shard.index' 2");
  EXPECT_FALSE(std::filesystem::exists(dir_.Join("merged.json")));
  EXPECT_FALSE(std::filesystem::exists(dir_.Join("summary.md")));
}

TEST_F(ReportRequestTest, AReportThatCannotBeWrittenIsAWriteFailure) {
  const ReportOutcome outcome =
      MakeReports({.results = WriteShards(1), .junit_path = dir_.Join("missing/junit.xml")});
  EXPECT_EQ(outcome.kind, ReportOutcome::Kind::kWriteFailed);
  EXPECT_NE(outcome.message.find("missing/junit.xml.tmp: step 'create temp file' failed"),
            std::string::npos)
      << outcome.message;
}

// --sign-off: the drill's result is rewritten with the operator and the time,
// and the reports asked for in the same command show the signature.
TEST_F(ReportRequestTest, SignOffWritesTheOperatorIntoTheDrillAndItsReports) {
  ResultRecord drill = testing::MadeUpDrill();
  const std::string path = dir_.Join("drill.json");
  ASSERT_EQ(WriteFileAtomically(path, ResultFileText(ToJson(drill))), std::nullopt);
  const ReportRequest request{.results = {path},
                              .markdown_path = dir_.Join("drill.md"),
                              .sign_off_name = "Ada Lovelace",
                              .sign_off_failed = true,
                              .now_utc = "2026-11-28T09:30:00Z"};
  const ReportOutcome outcome = MakeReports(request);
  ASSERT_EQ(outcome.kind, ReportOutcome::Kind::kDone) << outcome.message;
  EXPECT_EQ(outcome.written, (std::vector<std::string>{path, request.markdown_path}));
  const Checked<ResultRecord> signed_result = ReadResultFile(path);
  ASSERT_TRUE(signed_result.ok()) << signed_result.error();
  drill.drill->operator_name = "Ada Lovelace";
  drill.drill->signed_off_at = "2026-11-28T09:30:00Z";
  EXPECT_EQ(*signed_result->drill, *drill.drill);
  EXPECT_NE(Slurp(request.markdown_path)
                .find("Operator: Ada Lovelace  Signature: ____  Date: 2026-11-28T09:30:00Z"),
            std::string::npos);
}

TEST_F(ReportRequestTest, AFailedDrillIsSignedOffOnlyWithSignOffFailed) {
  const std::string path = dir_.Join("drill.json");
  const std::string text = ResultFileText(ToJson(testing::MadeUpDrill()));
  ASSERT_EQ(WriteFileAtomically(path, text), std::nullopt);
  const ReportOutcome outcome = MakeReports(
      {.results = {path}, .sign_off_name = "Ada Lovelace", .now_utc = "2026-11-28T09:30:00Z"});
  EXPECT_EQ(outcome.kind, ReportOutcome::Kind::kRefused);
  EXPECT_EQ(outcome.message, path +
                                 ": cannot sign off: 2 of 5 steps failed (step 3, 4); sign a "
                                 "failed drill off with --sign-off-failed");
  EXPECT_EQ(Slurp(path), text);  // nothing written
}

TEST_F(ReportRequestTest, ASignatureIsNeverOverwrittenNorPutOnAChaosResult) {
  ResultRecord drill = testing::MadeUpDrill();
  drill.drill->operator_name = "Ada Lovelace";
  drill.drill->signed_off_at = "2026-11-28T09:30:00Z";
  const std::string path = dir_.Join("drill.json");
  ASSERT_EQ(WriteFileAtomically(path, ResultFileText(ToJson(drill))), std::nullopt);
  const ReportRequest again{.results = {path},
                            .sign_off_name = "Mallory",
                            .sign_off_failed = true,
                            .now_utc = "2026-11-29T10:00:00Z"};
  EXPECT_EQ(MakeReports(again).message,
            path +
                ": cannot sign off: the drill is already signed off by 'Ada Lovelace' at "
                "2026-11-28T09:30:00Z");
  const std::vector<std::string> shards = WriteShards(1);
  EXPECT_EQ(
      MakeReports(
          {.results = shards, .sign_off_name = "Ada Lovelace", .now_utc = "2026-11-28T09:30:00Z"})
          .message,
      shards[0] + ": no field 'drill': only a drill's result is signed off");
}

}  // namespace
}  // namespace crashdrill::reports

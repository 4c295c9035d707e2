// `crashdrill report` without the command line: merged result and reports
// written, nothing written when an input is refused, several results only
// with --merge.
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
  EXPECT_EQ(Slurp(request.markdown_path), MarkdownSummary(merged));
  EXPECT_EQ(Slurp(request.junit_path), JunitXml(merged));
}

TEST_F(ReportRequestTest, OneResultNeedsNoMerge) {
  const std::vector<std::string> shards = WriteShards(1);
  const ReportOutcome outcome =
      MakeReports({.results = shards, .markdown_path = dir_.Join("summary.md")});
  ASSERT_EQ(outcome.kind, ReportOutcome::Kind::kDone) << outcome.message;
  EXPECT_EQ(Slurp(dir_.Join("summary.md")), MarkdownSummary(json::parse(Slurp(shards[0]))));
}

TEST_F(ReportRequestTest, SeveralResultsWithoutMergeAreRefused) {
  const ReportOutcome outcome =
      MakeReports({.results = WriteShards(2), .markdown_path = dir_.Join("summary.md")});
  EXPECT_EQ(outcome.kind, ReportOutcome::Kind::kRefused);
  EXPECT_EQ(outcome.message,
            "2 results given: merge shard results with --merge OUT.json to report on them");
  EXPECT_EQ(MakeReports({.results = WriteShards(1)}).kind, ReportOutcome::Kind::kRefused);
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

}  // namespace
}  // namespace crashdrill::reports

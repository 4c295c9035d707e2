// Golden tests of the Markdown and JUnit writers for a fixed result, with a
// violation whose text holds markup, and a property this build does not know.
#include "reports/result_writers.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/reports/golden_file.h"
#include "tests/reports/result_test_support.h"

namespace crashdrill::reports {
namespace {

ResultRecord FixedResult() {
  ResultRecord night = testing::MadeUpNight(4);
  night.scenarios[1].violations = {
      {.property = "P5",
       .repro = "bit-rot@42",
       .detail = "the base <l2> & \"v3\" | was corrupted",
       .case_index = 3},
      {.property = "P5", .repro = "bit-rot@77", .detail = "again", .case_index = 9},
      {.property = "P10", .repro = "bit-rot@80", .detail = "a newer check", .case_index = 12}};
  night.scenarios[2].name = "full-disk <b>|`x`";
  return night;
}

History OneNight(ResultRecord night) {
  return HistoryOf({{.label = NightLabel(night, ""), .paths = {"result.json"}, .result = night}},
                   0);
}

TEST(ResultWritersTest, MarkdownSummaryOfAFixedResult) {
  EXPECT_TRUE(testing::MatchesGolden("summary.md", MarkdownSummary(OneNight(FixedResult()))));
}

TEST(ResultWritersTest, JunitXmlOfAFixedResult) {
  EXPECT_TRUE(testing::MatchesGolden("junit.xml", JunitXml(FixedResult())));
}

TEST(ResultWritersTest, AHeldNightHasNoViolationsSection) {
  const std::string markdown = MarkdownSummary(OneNight(testing::MadeUpNight(4)));
  EXPECT_TRUE(markdown.starts_with("## crashdrill chaos: held\n")) << markdown;
  EXPECT_EQ(markdown.find("Violations"), std::string::npos);
}

// The drill report an auditor reads and signs: unsigned, with two failed steps.
TEST(ResultWritersTest, DrillMarkdownOfAFixedDrill) {
  EXPECT_TRUE(testing::MatchesGolden("drill_summary.md",
                                     MarkdownSummary(OneNight(testing::MadeUpDrill()))));
}

TEST(ResultWritersTest, DrillJunitXmlOfAFixedDrill) {
  EXPECT_TRUE(testing::MatchesGolden("drill_junit.xml", JunitXml(testing::MadeUpDrill())));
}

TEST(ResultWritersTest, DrillMarkdownListsEveryStepInItsChecklist) {
  ResultRecord drill = testing::MadeUpDrill();
  const std::string markdown = DrillMarkdown(drill);
  for (const DrillStep& s : drill.drill->steps) {
    EXPECT_NE(markdown.find(fmt::format("| {} | {} |", s.passed() ? "\u2714" : "\u2718", s.index)),
              std::string::npos)
        << "step " << s.index;
    EXPECT_NE(markdown.find(fmt::format("Step {}: {}", s.index, s.name)), std::string::npos);
    EXPECT_EQ(markdown.find("`" + s.repro + "`") != std::string::npos, !s.passed())
        << "step " << s.index << ": the repro line is there exactly when it failed";
  }
}

TEST(ResultWritersTest, ASignedDrillShowsTheOperatorAndDate) {
  ResultRecord drill = testing::MadeUpDrill();
  EXPECT_NE(DrillMarkdown(drill).find("Operator: ____  Signature: ____  Date: ____\n"),
            std::string::npos);
  drill.drill->operator_name = "Ada | Lovelace";
  drill.drill->signed_off_at = "2026-11-28T09:30:00Z";
  const std::string markdown = DrillMarkdown(drill);
  EXPECT_NE(
      markdown.find("Operator: Ada \\| Lovelace  Signature: ____  Date: 2026-11-28T09:30:00Z\n"),
      std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("Signed off with 2 failed step(s)."), std::string::npos);
}

}  // namespace
}  // namespace crashdrill::reports

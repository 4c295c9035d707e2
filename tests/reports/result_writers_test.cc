// Golden tests of the Markdown and JUnit writers for a fixed result, with a
// violation whose text holds markup, and a property this build does not know.
#include "reports/result_writers.h"

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

}  // namespace
}  // namespace crashdrill::reports

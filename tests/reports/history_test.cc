// Nights and trends: results grouped into nights (shards merged, ordered by
// start), and a regression in one night of 30 found, named, and marked.
#include "reports/history.h"

#include <gtest/gtest.h>

#include "reports/html_report.h"
#include "reports/result_writers.h"
#include "tests/reports/result_test_support.h"

namespace crashdrill::reports {
namespace {

using testing::MadeUpNight;
using testing::MadeUpRun;

constexpr int kNights = 30;
constexpr int kRegressed = 17;

History ThirtyNights(int regressed = kRegressed, double factor = 3.0) {
  std::vector<Night> nights;
  for (int n = 0; n < kNights; ++n) {
    ResultRecord night = MadeUpNight(n, n == regressed ? factor : 1.0);
    nights.push_back({.label = NightLabel(night, ""),
                      .paths = {"night" + std::to_string(n) + ".json"},
                      .result = std::move(night)});
  }
  return HistoryOf(std::move(nights), kNights - 1);
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(HistoryTest, ShardsOfOneRunAreOneNightAndNightsGoByTheirStart) {
  std::vector<ShardResult> inputs;
  ResultRecord later = MadeUpNight(3);
  ResultRecord earlier = MadeUpNight(1);
  inputs.push_back({"later.json", later});
  for (uint64_t i = 0; i < 3; ++i) {
    ResultRecord shard = MadeUpRun(6, {i, 3});
    shard.provenance.started_at = "2026-10-03T02:00:0" + std::to_string(i) + "Z";
    inputs.push_back({"shard" + std::to_string(i) + ".json", shard});
  }
  inputs.push_back({"earlier.json", earlier});
  const Checked<std::vector<Night>> nights = NightsOf(inputs);
  ASSERT_TRUE(nights.ok()) << nights.error();
  ASSERT_EQ(nights->size(), 3u);
  EXPECT_EQ((*nights)[0].paths, std::vector<std::string>{"earlier.json"});
  EXPECT_EQ((*nights)[1].paths,
            (std::vector<std::string>{"shard0.json", "shard1.json", "shard2.json"}));
  EXPECT_EQ((*nights)[1].label, "2026-10-03 02:00Z");  // the first shard's start
  EXPECT_EQ(WithoutWallTime(ToJson((*nights)[1].result)),
            WithoutWallTime(ToJson(MadeUpRun(6, {0, 1}))));
  EXPECT_EQ((*nights)[2].paths, std::vector<std::string>{"later.json"});
}

TEST(HistoryTest, AShardMissingFromANightIsRefusedByName) {
  std::vector<ShardResult> inputs;
  for (uint64_t i = 0; i < 2; ++i)
    inputs.push_back({"s" + std::to_string(i), MadeUpRun(6, {i, 3})});
  const Checked<std::vector<Night>> nights = NightsOf(inputs);
  ASSERT_FALSE(nights.ok());
  EXPECT_NE(nights.error().find("shard 2/3 is missing"), std::string::npos) << nights.error();
}

TEST(HistoryTest, OneRegressedNightOfThirtyIsTheOnlyOneFound) {
  const History history = ThirtyNights();
  ASSERT_EQ(history.regressions.size(), 1u);
  const Regression& r = history.regressions.front();
  EXPECT_EQ(r.night, static_cast<size_t>(kRegressed));
  EXPECT_EQ(r.scenario, "power-loss");
  EXPECT_EQ(r.figure, "RTO p99");
  EXPECT_NEAR(r.value / r.baseline, 3.0, 0.4);
  // Without the regression, the same wobble from night to night finds nothing.
  EXPECT_TRUE(ThirtyNights(-1).regressions.empty());
  // A change inside the tolerance is not one.
  EXPECT_TRUE(ThirtyNights(kRegressed, 1.1).regressions.empty());
}

TEST(HistoryTest, NewViolationsAndASlowerHarnessAreRegressions) {
  std::vector<NightFigures> nights(6);
  for (NightFigures& f : nights) f.crashes_per_second = 100;
  nights[4].violations = 2;
  nights[5].crashes_per_second = 70;
  const std::vector<Regression> found = FindRegressions(nights);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].night, 4u);
  EXPECT_EQ(found[0].figure, "violations");
  EXPECT_EQ(found[1].night, 5u);
  EXPECT_EQ(found[1].figure, "crashes per second");
  // Too few nights before: no baseline, no verdict.
  nights[2].violations = 1;
  EXPECT_EQ(FindRegressions({nights[0], nights[1], nights[2]}).size(), 0u);
}

TEST(HistoryTest, TheMarkdownNamesTheRegressedNight) {
  const History history = ThirtyNights();
  const std::string markdown = MarkdownSummary(history);
  EXPECT_NE(markdown.find("### Trend over 30 nights (2026-10-01 02:00Z to 2026-11-02 02:00Z)"),
            std::string::npos)
      << markdown;
  const std::string line = "- " + history.nights[kRegressed].label + ": power-loss RTO p99 ";
  EXPECT_NE(markdown.find(line), std::string::npos) << markdown;
  EXPECT_EQ(Count(markdown, "RTO p99"), 1u) << markdown;  // only the regressed night
}

TEST(HistoryTest, TheHtmlTrendMarksTheRegressedNightAndTheCurrentOne) {
  const History history = ThirtyNights();
  const std::string html = HtmlReport(history);
  EXPECT_NE(html.find("<h2 id=\"trend\">Trend over 30 nights</h2>"), std::string::npos);
  // In the RTO trend and in power-loss's sparkline; no other chart flags it.
  EXPECT_EQ(Count(html, "class=\"mark flagged\""), 2u);
  EXPECT_NE(html.find(history.nights[kRegressed].label + ": "), std::string::npos);
  EXPECT_NE(html.find("marked worse: " + history.nights[kRegressed].label), std::string::npos);
  EXPECT_EQ(Count(html, "class=\"current\""), 5u);  // one per trend chart
  const std::string listed = "<li>" + history.nights[kRegressed].label + ": power-loss RTO p99";
  EXPECT_NE(html.find(listed), std::string::npos);
  // Without the regression nothing is flagged.
  EXPECT_EQ(Count(HtmlReport(ThirtyNights(-1)), "class=\"mark flagged\""), 0u);
}

}  // namespace
}  // namespace crashdrill::reports

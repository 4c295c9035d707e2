// The HTML report as text: every chart it promises is there and drawn, names
// and details from a result are escaped (never markup), nothing refers to
// the network, and a scenario without recoveries says so instead of drawing
// an empty chart.
#include "reports/html_report.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <regex>

#include "reports/svg_chart.h"
#include "tests/reports/result_test_support.h"

namespace crashdrill::reports {
namespace {

using testing::MadeUpNight;

History OneNight(ResultRecord night) {
  return HistoryOf({{.label = NightLabel(night, "result.json"),
                     .paths = {"result.json"},
                     .result = std::move(night)}},
                   0);
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The <svg ...>...</svg> elements of `html`.
std::vector<std::string> Charts(const std::string& html) {
  std::vector<std::string> charts;
  for (size_t at = html.find("<svg class=\"chart\""); at != std::string::npos;
       at = html.find("<svg class=\"chart\"", at + 1)) {
    charts.push_back(html.substr(at, html.find("</svg>", at) - at));
  }
  return charts;
}

TEST(HtmlReportTest, EveryChartIsDrawnAndSaysWhatItShows) {
  ResultRecord night = MadeUpNight(0);
  night.scenarios[1].violations.push_back(
      {.property = "P2", .repro = "bit-rot@99", .detail = "lost 3 fills", .case_index = 4});
  night.scenarios[2].recovered_from["empty"] = 2;  // a source beyond DESIGN §9's is shown, not lost
  const std::string html = HtmlReport(OneNight(night));
  EXPECT_NE(html.find("<th>venue</th><th>empty</th>"), std::string::npos);
  EXPECT_NE(html.find("<title>full-disk, empty: 2 recoveries</title>"), std::string::npos);
  const std::vector<std::string> charts = Charts(html);
  // Sources, phases, and RTO and RPO for each of three scenarios.
  ASSERT_EQ(charts.size(), 2u + 2 * 3);
  for (const std::string& chart : charts) {
    EXPECT_NE(chart.find("role=\"img\""), std::string::npos);
    EXPECT_TRUE(std::regex_search(chart, std::regex("<title id=\"[^\"]+\">[^<]+</title>")));
    EXPECT_TRUE(std::regex_search(chart, std::regex("<desc id=\"[^\"]+\">[^<]+</desc>")));
    EXPECT_GE(Count(chart, "class=\"mark"), 1u) << chart.substr(0, 200);
  }
  EXPECT_EQ(Count(html, "stroke-dasharray"), 6u);  // a target line in every distribution
  EXPECT_NE(html.find("<span class=\"verdict failed\">"), std::string::npos);
  EXPECT_NE(html.find("<code class=\"repro\">crashdrill replay bit-rot@99</code>"),
            std::string::npos);
  EXPECT_NE(html.find("P2 no lost acknowledged write"), std::string::npos);
  EXPECT_NE(html.find("<dt>started</dt><dd>2026-10-01T02:00:00Z</dd>"), std::string::npos);
  EXPECT_EQ(html.find("id=\"trend\""), std::string::npos);  // one night: no trend
}

TEST(HtmlReportTest, NamesAndDetailsAreEscapedNeverMarkup) {
  ResultRecord night = MadeUpNight(0);
  const std::string hostile = "<script>alert('x')</script>&\"<img src=x onerror=1>";
  night.scenarios[0].name = hostile;
  night.scenarios[0].faults_fired[hostile] = 1;
  night.scenarios[0].violations.push_back(
      {.property = hostile, .repro = hostile, .detail = hostile, .case_index = 1});
  night.provenance.commit = hostile;
  // The configuration is copied unchecked: odd values there must not break the report.
  night.provenance.configuration = {{"minutes", hostile}, {"cases_per_scenario", 1e300}};
  const std::string html = HtmlReport(OneNight(night));
  EXPECT_NE(html.find("<dt>budget</dt><dd>the nightly default</dd>"), std::string::npos);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(Count(html, "<script>"), 1u);  // the report's own
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;&lt;img"),
            std::string::npos);
}

TEST(HtmlReportTest, NothingRefersToTheNetwork) {
  const std::string html = HtmlReport(OneNight(MadeUpNight(0)));
  EXPECT_FALSE(std::regex_search(html, std::regex("(src|href)=\"(https?:)?//")));
  EXPECT_FALSE(std::regex_search(html, std::regex("url\\(|@import")));
  EXPECT_NE(html.find("Content-Security-Policy\" content=\"default-src 'none';"),
            std::string::npos);
}

TEST(HtmlReportTest, AScenarioWithoutRecoveriesSaysSo) {
  ResultRecord night = MadeUpNight(0);
  night.scenarios.resize(1);
  ScenarioRecord& s = night.scenarios[0];
  s.crashes = 0;
  s.rto.values_ms.clear();
  s.rpo_strategy.values_ms.clear();
  s.rpo_critical.values_ms.clear();
  s.recovered_from.clear();
  s.recovery_phase_ns.clear();
  s.faults_fired.clear();
  const std::string html = HtmlReport(OneNight(night));
  EXPECT_TRUE(Charts(html).empty());
  EXPECT_NE(html.find("No RTO samples: no recovery in this scenario."), std::string::npos);
  EXPECT_NE(html.find("No recovery in this run."), std::string::npos);
  EXPECT_NE(html.find("No fault fired."), std::string::npos);
}

TEST(HtmlReportTest, HugeValuesStayInsideTheirCharts) {
  ResultRecord night = MadeUpNight(0);
  night.scenarios[0].rto.values_ms.back() = 1e12;  // the largest a result may hold
  const std::string html = HtmlReport(OneNight(night));
  EXPECT_FALSE(std::regex_search(html, std::regex("[=\" ,(>](-?nan|-?inf)[\" ,)<]")));
  for (const std::string& chart : Charts(html)) {
    EXPECT_FALSE(std::regex_search(chart, std::regex("[xy]=\"-?[0-9]{5,}")))
        << chart.substr(0, 300);
  }
}

// The drill report: every step in the checklist and in its own section, the
// RTO chart with a bar and a target per step, each failed step's command to
// run it again (and no passed step's), and the sign-off form.
TEST(HtmlReportTest, ADrillReportListsEveryStepAndItsSignOffForm) {
  const ResultRecord drill = testing::MadeUpDrill();
  const std::string html = HtmlReport(OneNight(drill));
  EXPECT_NE(html.find("<title>crashdrill drill monthly: FAILED</title>"), std::string::npos);
  for (const DrillStep& s : drill.drill->steps) {
    EXPECT_NE(html.find(fmt::format("<tr><td><a href=\"#step-{0}\">{0}</a></td>", s.index)),
              std::string::npos)
        << "step " << s.index << " is not in the checklist";
    EXPECT_NE(html.find(fmt::format("id=\"step-{}\"><h3>Step {}: {}", s.index, s.index,
                                    HtmlEscape(s.name))),
              std::string::npos)
        << "step " << s.index << " has no section";
    EXPECT_EQ(html.find("<code class=\"repro\">" + s.repro + "</code>") != std::string::npos,
              !s.passed())
        << "step " << s.index << ": the repro line is there exactly when it failed";
  }
  const std::vector<std::string> charts = Charts(html);
  ASSERT_EQ(charts.size(), 1u);
  EXPECT_EQ(Count(charts[0], "<rect class=\"mark"), 5u);
  EXPECT_EQ(Count(charts[0], "stroke-dasharray"), 5u);  // a target per step
  EXPECT_EQ(Count(charts[0], "over target</text>"), 1u);
  EXPECT_NE(html.find("id=\"sign-off\""), std::string::npos);
  for (const char* field : {"Operator:", "Signature:", "Date:"}) {
    EXPECT_NE(html.find(fmt::format("<span class=\"label\">{}</span> <span class=\"line\">&nbsp;"
                                    "</span>",
                                    field)),
              std::string::npos)
        << field;
  }
  EXPECT_NE(html.find("exit 3 after 2 retries: venue unreachable &lt;timeout&gt;"),
            std::string::npos);
  EXPECT_EQ(html.find("id=\"trend\""), std::string::npos);
}

TEST(HtmlReportTest, ASignedDrillFillsTheFormButLeavesTheSignatureLine) {
  ResultRecord drill = testing::MadeUpDrill();
  drill.drill->operator_name = "<Ada> Lovelace";
  drill.drill->signed_off_at = "2026-11-28T09:30:00Z";
  const std::string html = HtmlReport(OneNight(drill));
  EXPECT_NE(html.find("Operator:</span> <span class=\"line\">&lt;Ada&gt; Lovelace</span>"),
            std::string::npos);
  EXPECT_NE(html.find("Signature:</span> <span class=\"line\">&nbsp;</span>"), std::string::npos);
  EXPECT_NE(html.find("Date:</span> <span class=\"line\">2026-11-28T09:30:00Z</span>"),
            std::string::npos);
  EXPECT_NE(html.find("Signed off with 2 failed step(s)."), std::string::npos);
}

TEST(HtmlReportTest, ADrillStepThatDidNotRecoverHasNoBar) {
  ResultRecord drill = testing::MadeUpDrill();
  drill.drill->steps[3].recovered_from.clear();
  const std::string html = HtmlReport(OneNight(drill));
  const std::vector<std::string> charts = Charts(html);
  ASSERT_EQ(charts.size(), 1u);
  EXPECT_EQ(Count(charts[0], "<rect class=\"mark"), 4u);
  EXPECT_NE(charts[0].find("fill=\"#D55E00\">did not recover</text>"), std::string::npos);
  EXPECT_NE(html.find("recovery did not finish"), std::string::npos);
}

}  // namespace
}  // namespace crashdrill::reports

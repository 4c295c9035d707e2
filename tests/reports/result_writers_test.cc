// Golden tests of the Markdown and JUnit writers for a fixed result, and the
// refusal of a result that is not crashdrill.result/1.
#include "reports/result_writers.h"

#include <gtest/gtest.h>

namespace crashdrill::reports {
namespace {

nlohmann::json FixedResult() {
  return nlohmann::json::parse(R"({
    "schema": "crashdrill.result/1",
    "provenance": {"seed": 7, "shard": {"index": 1, "count": 4}, "commit": "abc123",
                   "build_type": "RelWithDebInfo"},
    "violations": 1,
    "scenarios": [{
      "name": "bit-rot", "mode": "sim", "cases": 3, "crashes": 24,
      "violations": [{"property": "P5", "repro": "bit-rot@42",
                      "detail": "the base <l2> & \"v3\" was corrupted"}],
      "rto_ms": {"p50": 12.25, "p95": 30.0, "p99": 31.5, "max": 31.5, "target": 5000},
      "rpo_ms": {"p50": 0.0, "p95": 200.0, "p99": 250.0, "max": 250.0, "target": 1000},
      "recovered_from": {"l1": 10, "l2": 12, "l3": 2, "l4": 0, "backup": 0, "venue": 0}
    }]
  })");
}

TEST(ResultWritersTest, MarkdownSummaryOfAFixedResult) {
  EXPECT_EQ(MarkdownSummary(FixedResult()),
            "## crashdrill chaos: FAILED\n\n"
            "seed 7, shard 1/4, commit abc123, RelWithDebInfo\n\n"
            "| scenario | cases | crashes | violations | RTO p50 / p99 / max (target) ms | "
            "RPO p99 (target) ms | recovered from |\n"
            "|---|---|---|---|---|---|---|\n"
            "| bit-rot | 3 | 24 | 1 | 12.2 / 31.5 / 31.5 (5000) | 250.0 (1000) | "
            "l1 10, l2 12, l3 2 |\n"
            "\n### Violations\n\n"
            "- **P5** in `bit-rot`: the base <l2> & \"v3\" was corrupted\n"
            "  `crashdrill replay bit-rot@42`\n");
}

TEST(ResultWritersTest, JunitXmlOfAFixedResult) {
  const std::string xml = JunitXml(FixedResult());
  EXPECT_EQ(xml.substr(0, xml.find("    <testcase")),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"crashdrill\" tests=\"9\" failures=\"1\">\n"
            "  <testsuite name=\"bit-rot\" tests=\"9\" failures=\"1\">\n");
  EXPECT_NE(xml.find("    <testcase classname=\"crashdrill.bit-rot\" name=\"P5 corruption is "
                     "never loaded\">\n"
                     "      <failure message=\"1 violation(s) of P5\">the base &lt;l2&gt; &amp; "
                     "&quot;v3&quot; was corrupted\ncrashdrill replay bit-rot@42\n</failure>\n"
                     "    </testcase>\n"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testcase classname=\"crashdrill.bit-rot\" name=\"P1 agreement with the "
                     "venue\"/>"),
            std::string::npos);
  EXPECT_TRUE(xml.ends_with("  </testsuite>\n</testsuites>\n"));
}

TEST(ResultWritersTest, ARecordOfAnotherSchemaOrMissingFieldsIsRefusedByName) {
  EXPECT_EQ(CheckResult(FixedResult()), std::nullopt);
  nlohmann::json newer = FixedResult();
  newer["schema"] = "crashdrill.result/2";
  EXPECT_NE(CheckResult(newer)->find("'schema'"), std::string::npos);
  nlohmann::json truncated = FixedResult();
  truncated["scenarios"][0].erase("rto_ms");
  EXPECT_EQ(*CheckResult(truncated), "field 'scenarios[0].rto_ms' is missing");
  EXPECT_TRUE(CheckResult(nlohmann::json::array()).has_value());
}

}  // namespace
}  // namespace crashdrill::reports

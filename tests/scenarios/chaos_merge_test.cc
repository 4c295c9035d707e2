// Shard results of real chaos runs, written and read back as result.json
// text, merge into the unsharded run's result apart from wall-time fields.
#include <gtest/gtest.h>

#include "reports/result_merge.h"
#include "reports/result_model.h"
#include "scenarios/runner/chaos_run.h"

namespace crashdrill::scenarios {
namespace {

using nlohmann::json;

// What a reader of DIR/result.json gets: the JSON through its text.
json AsWritten(const ChaosResult& result) { return json::parse(ResultJson(result).dump(2)); }

TEST(ChaosMergeTest, ShardResultsMergeIntoTheUnshardedResult) {
  ChaosOptions whole;
  whole.scenarios = {"process-crash", "disk-full"};
  whole.cases = 5;
  whole.seed = 11;
  const json unsharded = reports::WithoutWallTime(AsWritten(RunChaos(whole, nullptr)));
  // 6 shards of 5 cases: shard 5 runs none, and still counts.
  const uint64_t count = 6;
  std::vector<reports::ShardResult> shards;
  for (uint64_t i = 0; i < count; ++i) {
    ChaosOptions part = whole;
    part.shard = {i, count};
    reports::Checked<reports::ResultRecord> read =
        reports::ResultFromJson(AsWritten(RunChaos(part, nullptr)));
    ASSERT_TRUE(read.ok()) << read.error();
    shards.push_back({"shard " + std::to_string(i), std::move(read).value()});
  }
  reports::Checked<reports::ResultRecord> merged = reports::MergeShards(std::move(shards));
  ASSERT_TRUE(merged.ok()) << merged.error();
  const json merged_json = reports::WithoutWallTime(reports::ToJson(*merged));
  EXPECT_EQ(merged_json, unsharded) << count << " shards, seed " << whole.seed << ":\n"
                                    << json::diff(unsharded, merged_json).dump(2);
  EXPECT_EQ(merged_json.dump(2), unsharded.dump(2));
}

TEST(ChaosMergeTest, AResultCarriesItsSortedSamplesAndEachViolationsCase) {
  // The runner's half of an exact merge.
  ChaosResult result;
  result.options.scenarios = {"mixed"};
  ScenarioSummary s{.name = "mixed", .cases = 18};
  s.violations = {{"P2", "an acknowledged fill is lost", "mixed@5"},
                  {"P8", "recovery took 6 s", "mixed@9"}};
  s.violation_cases = {3, 17};
  s.rto_ms = {5, 1, 3};
  result.scenarios.push_back(s);
  const json written = AsWritten(result);
  const json& scenario = written["scenarios"][0];
  EXPECT_EQ(scenario["violations"][0]["case"], 3);
  EXPECT_EQ(scenario["violations"][1]["case"], 17);
  EXPECT_EQ(scenario["samples_ms"]["rto"], json({1.0, 3.0, 5.0}));
  EXPECT_EQ(scenario["rto_ms"]["max"], 5.0);
  const reports::Checked<reports::ResultRecord> read = reports::ResultFromJson(written);
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(read->scenarios[0].violations[1].case_index, 17u);
}

TEST(ChaosMergeTest, EveryCaseFallsToExactlyOneShard) {
  ChaosOptions options;
  for (const uint64_t cases : {0, 1, 5, 200}) {  // 0: the nightly default
    options.cases = cases;
    for (const uint64_t count : {1, 3, 8, 250}) {
      uint64_t total = 0;
      for (uint64_t i = 0; i < count; ++i) {
        options.shard = {i, count};
        total += CasesOfShard(options);
      }
      EXPECT_EQ(total, CasesPerScenario(options)) << cases << " cases, " << count << " shards";
    }
  }
}

}  // namespace
}  // namespace crashdrill::scenarios

// Merging shard results: the merge of a run's shards is the whole run's
// result apart from wall-time fields, whatever the shard count and the order
// the shards come in; shards of different runs, a shard twice and a missing
// shard are refused, naming the file and the field.
#include "reports/result_merge.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "tests/reports/result_test_support.h"

namespace crashdrill::reports {
namespace {

using nlohmann::json;
using testing::MadeUpRun;

std::vector<ShardResult> ShardsOf(uint64_t cases, uint64_t count) {
  std::vector<ShardResult> shards;
  for (uint64_t i = 0; i < count; ++i) {
    shards.push_back({"shard" + std::to_string(i) + ".json", MadeUpRun(cases, {i, count})});
  }
  return shards;
}

std::string RefusalOf(std::vector<ShardResult> shards) {
  const Checked<ResultRecord> merged = MergeShards(std::move(shards));
  return merged.ok() ? "(merged without complaint)" : merged.error();
}

TEST(ResultMergeTest, ShardsMergeIntoTheWholeRunApartFromWallTime) {
  const json whole = WithoutWallTime(ToJson(MadeUpRun(7, {0, 1})));
  for (const uint64_t count : {1, 2, 3, 7, 9}) {
    const Checked<ResultRecord> merged = MergeShards(ShardsOf(7, count));
    ASSERT_TRUE(merged.ok()) << merged.error();
    const json merged_json = WithoutWallTime(ToJson(*merged));
    EXPECT_EQ(merged_json, whole) << count << " shards:\n" << json::diff(whole, merged_json);
  }
}

TEST(ResultMergeTest, ViolationsComeInTheWholeRunsCaseOrder) {
  // Case 4 is in shard 0, case 1 in shard 1.
  const Checked<ResultRecord> merged = MergeShards(ShardsOf(6, 2));
  ASSERT_TRUE(merged.ok()) << merged.error();
  std::vector<std::string> details;
  for (const ViolationRecord& v : merged->scenarios[0].violations) details.push_back(v.detail);
  EXPECT_EQ(details,
            (std::vector<std::string>{"case 1 slow", "case 1 lost", "case 4 slow", "case 4 lost"}));
}

TEST(ResultMergeTest, TheOrderTheShardsAreGivenInDoesNotMatter) {
  std::vector<ShardResult> shards = ShardsOf(8, 4);
  const json in_order = ToJson(*MergeShards(shards));
  std::mt19937 shuffle(2026);  // seeded: the same order on every run
  for (int round = 0; round < 5; ++round) {
    std::shuffle(shards.begin(), shards.end(), shuffle);
    EXPECT_EQ(ToJson(*MergeShards(shards)), in_order);
  }
}

TEST(ResultMergeTest, TheMergeIsTheWholeRunWithEachShardsWallTime) {
  const Checked<ResultRecord> merged = MergeShards(ShardsOf(4, 3));
  ASSERT_TRUE(merged.ok()) << merged.error();
  EXPECT_EQ(merged->provenance.shard, (ShardId{0, 1}));
  EXPECT_EQ(merged->provenance.shard_wall_seconds, (std::vector<double>{1.5, 2.5, 3.5}));
  EXPECT_EQ(merged->provenance.wall_seconds, 3.5);  // the shards ran side by side
}

TEST(ResultMergeTest, MachinesThatDifferAreListed) {
  std::vector<ShardResult> shards = ShardsOf(4, 2);
  shards[1].result.provenance.machine = "Linux 6.2 x86_64";
  const Checked<ResultRecord> merged = MergeShards(shards);
  ASSERT_TRUE(merged.ok()) << merged.error();
  EXPECT_EQ(merged->provenance.machine, "Linux 6.1 x86_64; Linux 6.2 x86_64");
}

TEST(ResultMergeTest, AShardOfAnotherSeedIsRefused) {
  std::vector<ShardResult> shards = ShardsOf(4, 2);
  shards[1].result = MadeUpRun(4, {1, 2}, /*seed=*/8);
  EXPECT_EQ(RefusalOf(shards),
            "shard1.json: field 'provenance.seed' is 8, but shard0.json has 7: not shards of the "
            "same run");
}

TEST(ResultMergeTest, AShardOfAnotherConfigurationOrCommitIsRefused) {
  std::vector<ShardResult> shards = ShardsOf(4, 2);
  shards[1].result.provenance.configuration["cases_per_scenario"] = 5;
  EXPECT_TRUE(RefusalOf(shards).starts_with(
      "shard1.json: field 'provenance.configuration' is {\"cases_per_scenario\":5,"))
      << RefusalOf(shards);
  shards = ShardsOf(4, 2);
  shards[0].result.provenance.commit = "def456";
  EXPECT_EQ(RefusalOf(shards),
            "shard1.json: field 'provenance.commit' is \"abc123\", but shard0.json has "
            "\"def456\": not shards of the same run");
  shards = ShardsOf(4, 2);
  shards[1].result.scenarios[1].rto.target_ms = 100;
  EXPECT_EQ(RefusalOf(shards),
            "shard1.json: field 'scenarios[1].rto_ms.target' is 100, but shard0.json has 5000: "
            "not shards of the same run");
}

TEST(ResultMergeTest, ShardsOfDifferentCountsAreRefused) {
  std::vector<ShardResult> shards = ShardsOf(4, 2);
  shards.push_back({"other.json", MadeUpRun(4, {2, 3})});
  EXPECT_EQ(RefusalOf(shards),
            "other.json: field 'provenance.shard.count' is 3, but shard0.json has 2: not shards "
            "of the same run");
}

TEST(ResultMergeTest, AShardGivenTwiceIsRefused) {
  std::vector<ShardResult> shards = ShardsOf(6, 3);
  shards[2] = {"again.json", shards[1].result};
  EXPECT_EQ(RefusalOf(shards),
            "again.json: field 'provenance.shard.index' is 1, as in shard1.json: shard 1/3 is "
            "given twice");
}

TEST(ResultMergeTest, AMissingShardIsRefused) {
  std::vector<ShardResult> shards = ShardsOf(6, 3);
  shards.erase(shards.begin() + 1);
  EXPECT_EQ(RefusalOf(shards),
            "shard 1/3 is missing: none of the 2 results given has field "
            "'provenance.shard.index' 1");
  EXPECT_EQ(RefusalOf({}), "no result to merge");
}

TEST(ResultMergeTest, AViolationOfAnotherShardsCaseIsRefused) {
  std::vector<ShardResult> shards = ShardsOf(6, 3);
  shards[1].result.scenarios[0].violations[0].case_index = 2;
  EXPECT_EQ(RefusalOf(shards),
            "shard1.json: field 'scenarios[0].violations[0].case' is 2, not a case of shard 1/3");
}

// A merge would rebuild the scenarios and drop the steps: a drill, even the
// one whole drill (0/1) a merge of one result would copy, is refused.
TEST(ResultMergeTest, ADrillResultIsNeverMerged) {
  EXPECT_EQ(RefusalOf({{"drill.json", testing::MadeUpDrill()}}),
            "drill.json: field 'drill' is present: a drill result is the whole drill, not a "
            "shard; report on it without --merge");
}

}  // namespace
}  // namespace crashdrill::reports

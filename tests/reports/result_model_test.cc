// crashdrill.result/1 as types: it reads back what it writes, keeps the
// fields of DESIGN §9, and refuses by name what it would not have written.
#include "reports/result_model.h"

#include <gtest/gtest.h>

#include "tests/reports/result_test_support.h"

namespace crashdrill::reports {
namespace {

using nlohmann::json;
using testing::MadeUpRun;

json MadeUpJson() { return ToJson(MadeUpRun(6, {0, 1})); }

std::string RefusalOf(const json& document) {
  const Checked<ResultRecord> result = ResultFromJson(document);
  return result.ok() ? "(read without complaint)" : result.error();
}

TEST(ResultModelTest, WhatItWritesReadsBackToTheSameResult) {
  const json written = MadeUpJson();
  // Through text, as a file carries it: every sample comes back to the bit.
  const Checked<ResultRecord> read = ResultFromJson(json::parse(written.dump(2)));
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(ToJson(*read), written);
  EXPECT_EQ(ToJson(*read).dump(2), written.dump(2));
}

TEST(ResultModelTest, KeepsTheFieldsOfDesign9ForTheWriters) {
  const json written = MadeUpJson();
  EXPECT_TRUE(ResultFromJson(written).ok());
  const json& s = written["scenarios"][0];
  for (const char* field :
       {"name", "mode", "cases", "crashes", "violations", "rto_ms", "rpo_ms", "recovered_from"}) {
    EXPECT_TRUE(s.contains(field)) << field;
  }
  for (const char* field : {"p50", "p95", "p99", "max", "target"}) {
    EXPECT_TRUE(s["rto_ms"].contains(field)) << field;
    EXPECT_TRUE(s["rpo_ms"].contains(field)) << field;
  }
  EXPECT_EQ(s["violations"][0], json({{"property", "P8"},
                                      {"repro", "power-loss@1001"},
                                      {"detail", "case 1 slow"},
                                      {"case", 1}}));
}

TEST(ResultModelTest, PercentilesAreNearestRankOfTheSamples) {
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  EXPECT_EQ(Percentile(hundred, 0.50), 50);
  EXPECT_EQ(Percentile(hundred, 0.95), 95);
  EXPECT_EQ(Percentile(hundred, 0.99), 99);
  EXPECT_EQ(Percentile({}, 0.99), 0);
  EXPECT_EQ(Percentile({4.5}, 0.50), 4.5);
  EXPECT_EQ(
      DistributionJson({.values_ms = {1, 2, 9}, .target_ms = 5}),
      json(
          {{"p50", 2.0}, {"p95", 9.0}, {"p99", 9.0}, {"max", 9.0}, {"samples", 3}, {"target", 5}}));
}

TEST(ResultModelTest, ANewerSchemaIsRefusedAsNewer) {
  json newer = MadeUpJson();
  newer["schema"] = "crashdrill.result/2";
  EXPECT_EQ(RefusalOf(newer),
            "field 'schema' is 'crashdrill.result/2': a newer version (use a newer crashdrill); "
            "this build reads crashdrill.result/1 only");
}

TEST(ResultModelTest, AnotherKindOfDocumentIsRefusedBySchema) {
  json other = MadeUpJson();
  other["schema"] = "crashdrill.recovery/1";
  EXPECT_EQ(RefusalOf(other), "field 'schema' is 'crashdrill.recovery/1': not a crashdrill result");
  other.erase("schema");
  EXPECT_EQ(RefusalOf(other), "field 'schema' is missing");
  EXPECT_EQ(RefusalOf(json::array()), "the result is not a JSON object");
}

TEST(ResultModelTest, AMissingFieldIsRefusedByItsPath) {
  json no_samples = MadeUpJson();
  no_samples["scenarios"][1]["samples_ms"].erase("rto");
  EXPECT_EQ(RefusalOf(no_samples), "field 'scenarios[1].samples_ms.rto' is missing");
  json no_case = MadeUpJson();
  no_case["scenarios"][0]["violations"][1].erase("case");
  EXPECT_EQ(RefusalOf(no_case), "field 'scenarios[0].violations[1].case' is missing");
  json no_shard = MadeUpJson();
  no_shard["provenance"].erase("shard");
  EXPECT_EQ(RefusalOf(no_shard), "field 'provenance.shard' is missing");
}

TEST(ResultModelTest, AMistypedFieldIsRefusedWithWhatItHolds) {
  json text_seed = MadeUpJson();
  text_seed["provenance"]["seed"] = "7";
  EXPECT_EQ(RefusalOf(text_seed),
            "field 'provenance.seed' is not an unsigned integer (it is \"7\")");
  json negative = MadeUpJson();
  negative["scenarios"][0]["crashes"] = -3;
  EXPECT_EQ(RefusalOf(negative),
            "field 'scenarios[0].crashes' is not an unsigned integer (it is -3)");
}

TEST(ResultModelTest, APercentileItsSamplesDoNotGiveIsRefused) {
  json edited = MadeUpJson();
  edited["scenarios"][0]["rto_ms"]["p99"] = 1.0;
  EXPECT_EQ(RefusalOf(edited),
            "field 'scenarios[0].rto_ms.p99' is 1.0, but scenarios[0].samples_ms.rto gives 43.85");
  json fewer = MadeUpJson();
  fewer["scenarios"][1]["samples_ms"]["rpo_critical"].erase(0);
  EXPECT_EQ(RefusalOf(fewer),
            "field 'scenarios[1].rpo_ms_by_class.critical.samples' is 12, but "
            "scenarios[1].samples_ms.rpo_critical gives 11");
}

TEST(ResultModelTest, UnsortedSamplesAreRefused) {
  json unsorted = MadeUpJson();
  json& rto = unsorted["scenarios"][0]["samples_ms"]["rto"];
  std::swap(rto[0], rto[1]);
  EXPECT_EQ(RefusalOf(unsorted), "field 'scenarios[0].samples_ms.rto' is not sorted");
}

TEST(ResultModelTest, ViolationsOutOfCaseOrderAreRefused) {
  json swapped = MadeUpJson();
  json& violations = swapped["scenarios"][0]["violations"];
  ASSERT_GE(violations.size(), 3u);
  std::swap(violations[1], violations[2]);
  EXPECT_EQ(RefusalOf(swapped),
            "field 'scenarios[0].violations[2].case' is 1, before the case of the violation "
            "above it");
}

TEST(ResultModelTest, AViolationCountTheScenariosDoNotListIsRefused) {
  json edited = MadeUpJson();
  edited["violations"] = 0;
  EXPECT_EQ(RefusalOf(edited), "field 'violations' is 0, but the scenarios list 8");
}

TEST(ResultModelTest, WithoutWallTimeDropsOnlyTheWallTimeFields) {
  json merged = MadeUpJson();
  merged["provenance"]["shard_wall_seconds"] = {1.0, 2.0};
  const json stripped = WithoutWallTime(merged);
  EXPECT_FALSE(stripped["provenance"].contains("wall_seconds"));
  EXPECT_FALSE(stripped["provenance"].contains("shard_wall_seconds"));
  EXPECT_FALSE(stripped["scenarios"][0].contains("recovery_cpu_ms"));
  json back = stripped;
  back["provenance"]["wall_seconds"] = merged["provenance"]["wall_seconds"];
  back["provenance"]["shard_wall_seconds"] = merged["provenance"]["shard_wall_seconds"];
  for (size_t i = 0; i < back["scenarios"].size(); ++i) {
    back["scenarios"][i]["recovery_cpu_ms"] = merged["scenarios"][i]["recovery_cpu_ms"];
  }
  EXPECT_EQ(back, merged);
}

}  // namespace
}  // namespace crashdrill::reports

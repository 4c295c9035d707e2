// The drill record in result.json: it reads back what it writes, a chaos
// result stays without a "drill", and a malformed drill is refused by the
// path of the field.
#include "reports/drill_record.h"

#include <gtest/gtest.h>

#include "reports/result_model.h"
#include "tests/reports/result_test_support.h"

namespace crashdrill::reports {
namespace {

using nlohmann::json;
using testing::MadeUpDrill;

std::string RefusalOf(const json& document) {
  const Checked<ResultRecord> result = ResultFromJson(document);
  return result.ok() ? "(read without complaint)" : result.error();
}

TEST(DrillRecordTest, WhatItWritesReadsBackToTheSameDrill) {
  ResultRecord made = MadeUpDrill();
  made.drill->operator_name = "Ada Lovelace";
  made.drill->signed_off_at = "2026-11-28T09:30:00Z";
  const json written = ToJson(made);
  ASSERT_TRUE(written.contains("drill"));
  const Checked<ResultRecord> read = ResultFromJson(json::parse(written.dump(2)));
  ASSERT_TRUE(read.ok()) << read.error();
  ASSERT_TRUE(read->drill.has_value());
  EXPECT_EQ(*read->drill, *made.drill);
  EXPECT_EQ(ToJson(*read), written);
}

TEST(DrillRecordTest, AChaosResultHasNoDrillField) {
  const json written = ToJson(testing::MadeUpRun(6, {}));
  EXPECT_FALSE(written.contains("drill"));
  const Checked<ResultRecord> read = ResultFromJson(written);
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_FALSE(read->drill.has_value());
}

TEST(DrillRecordTest, StepsPassOnlyWhenEveryCheckHeldAndEveryActionWasOk) {
  const DrillRecord drill = *MadeUpDrill().drill;
  EXPECT_TRUE(drill.steps[0].passed());
  EXPECT_FALSE(drill.steps[2].passed());  // a check failed
  DrillStep action_failed = drill.steps[0];
  action_failed.actions[1].ok = false;
  EXPECT_FALSE(action_failed.passed());
  DrillStep checked_nothing = drill.steps[0];
  checked_nothing.checks.clear();
  EXPECT_FALSE(checked_nothing.passed());
  DrillStep not_recovered = drill.steps[0];
  not_recovered.recovered_from.clear();
  EXPECT_FALSE(not_recovered.passed());
  EXPECT_FALSE(drill.passed());
  EXPECT_FALSE(DrillRecord{}.passed());  // a drill of no step showed nothing
  EXPECT_EQ(ToJson(MadeUpDrill())["drill"]["steps"][2]["passed"], false);
}

TEST(DrillRecordTest, AMissingOrMistypedFieldIsRefusedByItsPath) {
  json no_held = ToJson(MadeUpDrill());
  no_held["drill"]["steps"][2]["checks"][0].erase("held");
  EXPECT_EQ(RefusalOf(no_held), "field 'drill.steps[2].checks[0].held' is missing");
  json text_ok = ToJson(MadeUpDrill());
  text_ok["drill"]["steps"][1]["actions"][3]["ok"] = "yes";
  EXPECT_EQ(RefusalOf(text_ok),
            "field 'drill.steps[1].actions[3].ok' is not true or false (it is \"yes\")");
  json no_plan = ToJson(MadeUpDrill());
  no_plan["drill"].erase("plan");
  EXPECT_EQ(RefusalOf(no_plan), "field 'drill.plan' is missing");
  json step_text = ToJson(MadeUpDrill());
  step_text["drill"]["steps"][4] = "step five";
  EXPECT_EQ(RefusalOf(step_text), "field 'drill.steps[4]' is not an object");
  json drill_list = ToJson(MadeUpDrill());
  drill_list["drill"] = json::array();
  EXPECT_EQ(RefusalOf(drill_list), "field 'drill' is not an object");
}

TEST(DrillRecordTest, ValuesNoRunnerWritesAreRefused) {
  json negative = ToJson(MadeUpDrill());
  negative["drill"]["steps"][0]["rto_ms"] = -1.0;
  EXPECT_EQ(RefusalOf(negative),
            "field 'drill.steps[0].rto_ms' is -1: out of range (0 to 1000000000000 ms)");
  json local_time = ToJson(MadeUpDrill());
  local_time["drill"]["steps"][3]["started_at"] = "2026-11-28 07:18:07+01:00";
  EXPECT_EQ(RefusalOf(local_time),
            "field 'drill.steps[3].started_at' is '2026-11-28 07:18:07+01:00': not a UTC time "
            "YYYY-MM-DDTHH:MM:SSZ that exists");
  json out_of_order = ToJson(MadeUpDrill());
  out_of_order["drill"]["steps"][2]["index"] = 2;
  EXPECT_EQ(RefusalOf(out_of_order),
            "field 'drill.steps[2].index' is 2: not after the step before it (2); steps are "
            "1-based, in plan order");
  json passed = ToJson(MadeUpDrill());
  passed["drill"]["steps"][2]["passed"] = true;
  EXPECT_EQ(RefusalOf(passed),
            "field 'drill.steps[2].passed' is true, but the step's checks and actions give false");
  json half_signed = ToJson(MadeUpDrill());
  half_signed["drill"]["operator_name"] = "Ada Lovelace";
  EXPECT_EQ(RefusalOf(half_signed),
            "field 'drill.signed_off_at' is empty, but drill.operator_name is 'Ada Lovelace': a "
            "sign-off has a name and a time");
}

TEST(DrillRecordTest, ADrillResultIsOneWholeDrillScenario) {
  json sharded = ToJson(MadeUpDrill());
  sharded["provenance"]["shard"] = {{"index", 0}, {"count", 2}};
  EXPECT_EQ(RefusalOf(sharded),
            "field 'provenance.shard' is 0/2, but a drill result is the whole drill (0/1): a "
            "drill is not sharded");
  ResultRecord two = MadeUpDrill();
  two.scenarios.push_back(two.scenarios[0]);
  two.scenarios[1].name = "power-loss";
  EXPECT_EQ(RefusalOf(ToJson(two)),
            "field 'scenarios' lists 2 scenario(s), the first 'drill' in mode 'process', but a "
            "drill result has one, 'drill' in mode 'process'");
  ResultRecord sim = MadeUpDrill();
  sim.scenarios[0].mode = "sim";
  EXPECT_NE(RefusalOf(ToJson(sim)).find("in mode 'sim', but a drill result has one"),
            std::string::npos);
  ResultRecord unrecovered = MadeUpDrill();
  unrecovered.drill->steps[3].recovered_from.clear();
  EXPECT_EQ(RefusalOf(ToJson(unrecovered)),
            "field 'scenarios[0].samples_ms.rto' holds 5 samples, but drill.steps lists 4 steps "
            "that recovered (one RTO sample each)");
}

}  // namespace
}  // namespace crashdrill::reports

// Case scripts: the text form round-trips, bad input names the op, a planned
// case is the script its planner writes, and a script replays exactly.
#include "scenarios/runner/case_script.h"

#include <gtest/gtest.h>

#include "scenarios/runner/shrink.h"
#include "scenarios/runner/sim_case.h"

namespace crashdrill::scenarios {
namespace {

TEST(CaseScriptTest, EveryOpRoundTripsThroughItsTextForm) {
  const std::string text =
      "mixed@18446744073709551615/disk:strict,disk:journaled,drift:-120,run:40,crash:power,"
      "crash:process,wait:500,corrupt:bit_flip:7,corrupt:zero_sector:0,wipe,restart,"
      "crash-at:power:900,crash-at:process:1,eio-at:read:30,eio-at:write:31,fsyncfail-at:6,"
      "full,free,partition:250,clock:-3600000,clock:+60000,submit:buy:5,submit:sell:1,"
      "cancel:3,market:20,checkpoint";
  auto script = ParseScript(text);
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  EXPECT_EQ(script->scenario, "mixed");
  EXPECT_EQ(script->seed, 18446744073709551615ull);
  EXPECT_FALSE(script->planned);
  ASSERT_EQ(script->ops.size(), 26u);
  EXPECT_EQ(script->ops[12], (Op{.kind = OpKind::kCrashAt, .n = 1, .flag = false}));
  EXPECT_EQ(script->ops[20], (Op{.kind = OpKind::kClock, .n = 60'000}));
  auto again = ParseScript(FormatScript(*script));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *script);
  // The text needs no shell quoting.
  EXPECT_EQ(FormatScript(*script).find_first_of(" '\"$;&|<>()*?[]{}\\`!#~"), std::string::npos);
}

TEST(CaseScriptTest, BadInputNamesTheOpAndTheField) {
  const auto error = [](const std::string& text) {
    auto script = ParseScript(text);
    EXPECT_FALSE(script.ok()) << text;
    return script.ok() ? std::string() : script.status().ToString();
  };
  EXPECT_NE(error("mixed@1/run:40,run:x").find("op 1: 'run:x': 'x' is not an integer"),
            std::string::npos);
  EXPECT_NE(error("mixed@1/crash:sideways").find("expected power or process"), std::string::npos);
  EXPECT_NE(error("mixed@1/explode").find("'explode' is not an operation"), std::string::npos);
  EXPECT_NE(error("mixed@1/run").find("run takes 1 field"), std::string::npos);
  EXPECT_NE(error("no-such@1").find("'no-such' is not a scenario"), std::string::npos);
  EXPECT_NE(error("mixed@-1").find("not <scenario>@<seed>"), std::string::npos);
  EXPECT_NE(error("mixed@").find("not <scenario>@<seed>"), std::string::npos);
  EXPECT_NE(error("mixed@99999999999999999999").find("not <scenario>@<seed>"), std::string::npos);
  EXPECT_NE(error("@5").find("not <scenario>@<seed>"), std::string::npos);
}

TEST(CaseScriptTest, APlannedCaseIsTheScriptItsPlannerWrites) {
  const Scenario& mixed = *FindScenario("mixed");
  auto planned = ParseScript("mixed@77");
  ASSERT_TRUE(planned.ok());
  EXPECT_TRUE(planned->planned);
  EXPECT_EQ(*planned, PlanCase(mixed, 77));
  EXPECT_EQ(FormatScript(*planned), "mixed@77");
  // Its long form is the same case: the same crashes, acknowledgements, trace.
  auto written = ParseScript(FormatScriptOps(*planned));
  ASSERT_TRUE(written.ok());
  EXPECT_FALSE(written->planned);
  const CaseResult a = RunScript(*planned, /*keep_trace=*/true);
  const CaseResult b = RunScript(*written, /*keep_trace=*/true);
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_EQ(a.acknowledged, b.acknowledged);
  EXPECT_GT(a.crashes, 4u);
  // The plan has every life of the scenario: a crash and a restart each.
  size_t crashes = 0, restarts = 0;
  for (const Op& op : planned->ops) {
    crashes += op.kind == OpKind::kCrash;
    restarts += op.kind == OpKind::kRestart;
  }
  EXPECT_EQ(crashes, static_cast<size_t>(mixed.lives));
  EXPECT_EQ(restarts, static_cast<size_t>(mixed.lives));
}

TEST(CaseScriptTest, OpsThatNeedTheEngineWaitForARestart) {
  // A crash point ends the life at once; the runs after it do nothing until
  // `restart`, and a script that ends down restarts once more.
  auto script = ParseScript("mixed@3/crash-at:power:40,run:300,run:300,submit:buy:3,checkpoint");
  ASSERT_TRUE(script.ok());
  const CaseResult c = RunScript(*script, /*keep_trace=*/true);
  EXPECT_TRUE(c.violations.empty());
  EXPECT_EQ(c.crashes, 1u);
  EXPECT_EQ(c.recoveries, 1u);
  EXPECT_EQ(c.ops_applied, 5u);
}

TEST(CaseScriptTest, ACaseThatHoldsHasNothingToShrink) {
  auto script = ParseScript("mixed@3/run:50,crash:power,restart,run:50");
  ASSERT_TRUE(script.ok());
  const ShrinkResult shrunk = ShrinkScript(*script);
  EXPECT_FALSE(shrunk.shrunk);
  EXPECT_EQ(shrunk.runs, 1u);
}

}  // namespace
}  // namespace crashdrill::scenarios

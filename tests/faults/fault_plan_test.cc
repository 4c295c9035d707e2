// FaultPlan: JSON round trip, trigger semantics, deterministic replay, shrinking.
#include "faults/fault_plan.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <functional>

#include "faults/fault_injector.h"
#include "faults/sim_disk.h"
#include "tests/faults/test_util.h"
#include "tests/faults/workload.h"

namespace crashdrill::faults {
namespace {

// A random plan built from one seed, so RapidCheck sees every choice.
FaultPlan RandomPlan(uint64_t seed, int entries) {
  Rng rng(seed);
  FaultPlan plan{.seed = seed};
  for (int i = 0; i < entries; ++i) {
    FaultEntry entry;
    entry.fault.kind = static_cast<FaultKind>(rng.Below(kFaultKindCount));
    entry.fault.crash_kind = rng.Chance(1, 2) ? CrashKind::kPowerLoss : CrashKind::kProcessCrash;
    entry.trigger.on = static_cast<TriggerOn>(rng.Below(5));
    entry.trigger.nth = 1 + rng.Below(200);
    entry.trigger.repeat = static_cast<uint32_t>(rng.Below(3));
    if (rng.Chance(1, 2)) entry.trigger.path_glob = "/state/*";
    if (rng.Chance(1, 3)) entry.trigger.offset_begin = rng.Below(1 << 20);
    if (entry.trigger.on == TriggerOn::kMonoTime) {
      entry.trigger.at_mono_ns = static_cast<int64_t>(rng.Below(1'000'000'000'000));
    }
    entry.fault.duration_ns = static_cast<int64_t>(rng.Below(1'000'000'000));
    entry.fault.clock_step_ns = static_cast<int64_t>(rng.Below(2'000'000'000)) - 1'000'000'000;
    entry.fault.drift_ppm = static_cast<int64_t>(rng.Below(500));
    plan.entries.push_back(entry);
  }
  return plan;
}

// Plans that RapidCheck shrinks with faults::Shrink: a failing plan is reported as the
// simplest plan that still fails (fewer entries, earlier triggers).
rc::Gen<FaultPlan> ArbitraryPlan() {
  return rc::Gen<FaultPlan>([](const rc::Random& random, int /*size*/) {
    rc::Random draws = random;
    const uint64_t seed = draws.next();
    const int entries = static_cast<int>(draws.next() % 9);
    return rc::shrinkable::shrinkRecur(RandomPlan(seed, entries), [](const FaultPlan& plan) {
      return rc::seq::fromContainer(Shrink(plan));
    });
  });
}

RC_GTEST_PROP(FaultPlanProperty, JsonRoundTripGivesTheSamePlan, ()) {
  const FaultPlan plan = *ArbitraryPlan();
  auto parsed = ParseFaultPlan(SerializeFaultPlan(plan));
  RC_ASSERT(parsed.ok());
  RC_ASSERT(*parsed == plan);
}

RC_GTEST_PROP(FaultPlanProperty, EveryShrinkCandidateIsSimpler, ()) {
  const FaultPlan plan = *ArbitraryPlan();
  for (const FaultPlan& candidate : Shrink(plan)) {
    RC_ASSERT(Complexity(candidate) < Complexity(plan));
    RC_ASSERT(candidate.entries.size() <= plan.entries.size());
  }
}

TEST(FaultPlan, RapidCheckShrinksAGeneratedPlanThroughShrink) {
  int checked = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const rc::Shrinkable<FaultPlan> generated = ArbitraryPlan()(rc::Random(seed), 10);
    const FaultPlan plan = generated.value();
    size_t shrinks = 0;
    auto seq = generated.shrinks();
    while (auto next = seq.next()) {
      EXPECT_LT(Complexity(next->value()), Complexity(plan));
      ++shrinks;
    }
    EXPECT_EQ(shrinks, Shrink(plan).size());
    checked += shrinks > 0 ? 1 : 0;
  }
  EXPECT_GT(checked, 0) << "no generated plan had anything to shrink";
}

TEST(FaultPlan, MalformedJsonIsInvalidArgumentNotAnException) {
  EXPECT_EQ(ParseFaultPlan("{\"entries\": [{\"trigger\": {\"on\": \"sometimes\"}}]}")
                .status().code(),
            system::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseFaultPlan("not json").status().code(), system::StatusCode::kInvalidArgument);
}

// Greedy shrinking with a predicate standing in for "the property still fails": the plan
// ends at the one entry that matters, triggered as early as still fails.
TEST(FaultPlan, ShrinkReachesTheMinimalFailingPlan) {
  FaultPlan plan = RandomPlan(17, 8);
  plan.entries.push_back({.trigger = {.on = TriggerOn::kSync, .nth = 90, .repeat = 0},
                          .fault = {.kind = FaultKind::kSyncFailure}});
  auto fails = [](const FaultPlan& p) {
    for (const FaultEntry& e : p.entries) {
      if (e.fault.kind == FaultKind::kSyncFailure && e.trigger.on == TriggerOn::kSync &&
          e.trigger.nth >= 7) {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(fails(plan));
  for (bool progress = true; progress;) {
    progress = false;
    for (const FaultPlan& candidate : Shrink(plan)) {
      if (fails(candidate)) {
        plan = candidate;
        progress = true;
        break;
      }
    }
  }
  ASSERT_EQ(plan.entries.size(), 1u);
  EXPECT_EQ(plan.entries[0].trigger.nth, 7u);
  EXPECT_EQ(plan.entries[0].trigger.repeat, 1u);
}

TEST(FaultInjector, FiresOnTheNthMatchingOperationOnly) {
  FaultInjector injector({.entries = {{.trigger = {.on = TriggerOn::kWrite, .nth = 2,
                                                   .path_glob = "/wal/*"},
                                       .fault = {.kind = FaultKind::kIoError}}}});
  const OpInfo wal_write{.op = OpClass::kWrite, .path = "/wal/000001", .has_range = true};
  const OpInfo other_write{.op = OpClass::kWrite, .path = "/l2/state", .has_range = true};
  const OpInfo wal_sync{.op = OpClass::kSync, .path = "/wal/000001"};
  EXPECT_TRUE(injector.Fire(wal_write).empty());
  EXPECT_TRUE(injector.Fire(other_write).empty());
  EXPECT_TRUE(injector.Fire(wal_sync).empty());
  EXPECT_EQ(injector.Fire(wal_write).size(), 1u);
  EXPECT_TRUE(injector.Fire(wal_write).empty()) << "transient: fires once";
}

TEST(FaultInjector, ClockAndNetworkFaultsAreLeftToTheRunner) {
  FaultInjector injector({.entries = {{.trigger = {.on = TriggerOn::kAnyOp},
                                       .fault = {.kind = FaultKind::kNetworkPartition}},
                                      {.trigger = {.on = TriggerOn::kMonoTime, .at_mono_ns = 5},
                                       .fault = {.kind = FaultKind::kClockStep,
                                                 .clock_step_ns = -1}}}});
  EXPECT_TRUE(injector.Fire({.op = OpClass::kMeta, .path = "/x"}).empty());
}

// The same plan, read back from its JSON, replays the same faults on the same workload.
TEST(FaultPlan, ReplayFromJsonGivesTheSameTraceAndBytes) {
  const FaultPlan plan{
      .seed = 23,
      .entries = {{.trigger = {.on = TriggerOn::kWrite, .nth = 5},
                   .fault = {.kind = FaultKind::kMisdirectedWrite}},
                  {.trigger = {.on = TriggerOn::kRead, .nth = 1, .repeat = 0},
                   .fault = {.kind = FaultKind::kBitFlip}},
                  {.trigger = {.on = TriggerOn::kSync, .nth = 6},
                   .fault = {.kind = FaultKind::kCrash}}}};
  auto run = [](const FaultPlan& p) {
    SimDisk disk({.seed = p.seed, .plan = p});
    testing::Workload workload(disk, 5, {.operations = 40});
    EXPECT_TRUE(workload.Setup().ok());
    workload.Run().IgnoreError();  // stops at the planned crash
    Rng rng(p.seed);
    disk.Crash(disk.halted_crash_kind(), rng);
    testing::Tally(disk.trace());
    return std::make_pair(disk.Dump(), disk.trace().events());
  };
  auto parsed = ParseFaultPlan(SerializeFaultPlan(plan));
  ASSERT_TRUE(parsed.ok());
  const auto first = run(plan);
  const auto second = run(*parsed);
  EXPECT_TRUE(first.first == second.first);
  EXPECT_EQ(first.second, second.second);
  EXPECT_FALSE(first.second.empty());
}

}  // namespace
}  // namespace crashdrill::faults

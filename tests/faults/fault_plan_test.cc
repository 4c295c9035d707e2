// FaultPlan: JSON round trip, trigger semantics, deterministic replay, shrinking.
#include "faults/fault_plan.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
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

// A plan whose seed decides where misdirected writes land, which bits flip and how the
// planned power loss tears and drops the workload's unsynced writes.
FaultPlan SeededFaultsPlan(uint64_t seed) {
  return FaultPlan{.seed = seed,
                   .entries = {{.trigger = {.on = TriggerOn::kWrite, .nth = 4, .repeat = 3},
                                .fault = {.kind = FaultKind::kMisdirectedWrite}},
                               {.trigger = {.on = TriggerOn::kWrite, .nth = 6, .repeat = 0},
                                .fault = {.kind = FaultKind::kBitFlip}},
                               {.trigger = {.on = TriggerOn::kSync, .nth = 14},
                                .fault = {.kind = FaultKind::kCrash}}}};
}

struct PlanRun {
  std::string dump;
  std::vector<FaultEvent> events;
  std::vector<FaultEvent> seeded;  // misdirected writes and bit flips only
};

// The plan is all a run gets: no other seed reaches the disk.
PlanRun RunPlan(const FaultPlan& plan) {
  SimDisk disk({.plan = plan});
  testing::Workload workload(disk, /*seed=*/5, {.operations = 60});
  EXPECT_TRUE(workload.Setup().ok());
  workload.Run().IgnoreError();  // stops at the planned crash
  EXPECT_TRUE(disk.halted());
  disk.Crash(disk.halted_crash_kind());
  testing::Tally(disk.trace());
  PlanRun run{.dump = disk.Dump(), .events = disk.trace().events()};
  for (const FaultEvent& event : run.events) {
    if (event.probe == Probe::kMisdirectedWrite || event.probe == Probe::kBitFlip) {
      run.seeded.push_back(event);
    }
  }
  return run;
}

TEST(FaultPlan, ReplayFromJsonAloneGivesTheSameDiskByteForByte) {
  const FaultPlan plan = SeededFaultsPlan(23);
  auto parsed = ParseFaultPlan(SerializeFaultPlan(plan));
  ASSERT_TRUE(parsed.ok());
  const PlanRun first = RunPlan(plan);
  const PlanRun second = RunPlan(*parsed);
  EXPECT_TRUE(first.dump == second.dump) << "the replayed disk differs";
  EXPECT_EQ(first.events, second.events);
  const auto fired = [&first](Probe probe) {
    return std::count_if(first.events.begin(), first.events.end(),
                         [probe](const FaultEvent& e) { return e.probe == probe; });
  };
  EXPECT_GT(fired(Probe::kMisdirectedWrite), 0);
  EXPECT_GT(fired(Probe::kBitFlip), 0);
  EXPECT_GT(fired(Probe::kTornPrefix) + fired(Probe::kTornArbitrary), 0);
}

TEST(FaultPlan, AnotherPlanSeedGivesAnotherDisk) {
  const PlanRun first = RunPlan(SeededFaultsPlan(23));
  const PlanRun other = RunPlan(SeededFaultsPlan(24));
  ASSERT_FALSE(first.seeded.empty());
  EXPECT_NE(first.seeded, other.seeded) << "misdirected offsets and flipped bits ignore the seed";
  EXPECT_FALSE(first.dump == other.dump) << "the disk ignores the plan's seed";
}

// Only the planned power loss: what it keeps, tears and drops is the seed's to decide.
TEST(FaultPlan, AnotherPlanSeedResolvesTheCrashAnotherWay) {
  FaultPlan plan = SeededFaultsPlan(23);
  plan.entries.erase(plan.entries.begin(), plan.entries.end() - 1);
  const PlanRun first = RunPlan(plan);
  plan.seed = 24;
  const PlanRun other = RunPlan(plan);
  EXPECT_TRUE(first.seeded.empty());
  EXPECT_NE(first.events, other.events) << "the crash outcome ignores the plan's seed";
  EXPECT_FALSE(first.dump == other.dump);
}

// Crash(kind) draws from its own stream of the seed: however many corruption draws came
// before (here a bit flip on every write), the power loss keeps and tears the same writes.
TEST(FaultPlan, CorruptionDrawsDoNotShiftHowACrashResolves) {
  FaultPlan crash_only = SeededFaultsPlan(23);
  crash_only.entries.erase(crash_only.entries.begin(), crash_only.entries.end() - 1);
  FaultPlan with_flips = crash_only;
  with_flips.entries.insert(with_flips.entries.begin(), SeededFaultsPlan(23).entries[1]);
  const auto crash_events = [](const PlanRun& run) {
    std::vector<FaultEvent> out;
    for (const FaultEvent& event : run.events) {
      if (event.probe != Probe::kBitFlip) out.push_back(event);
    }
    return out;
  };
  const PlanRun plain = RunPlan(crash_only);
  const PlanRun flipped = RunPlan(with_flips);
  ASSERT_FALSE(flipped.seeded.empty()) << "no bit flipped";
  EXPECT_EQ(crash_events(plain), crash_events(flipped));
}

}  // namespace
}  // namespace crashdrill::faults

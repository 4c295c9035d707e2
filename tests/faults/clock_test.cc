// SimClock and SkewedClock: the wall clock lies in every way asked; Mono() never does.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <nlohmann/json.hpp>

#include "faults/sim_clock.h"
#include "faults/skewed_clock.h"

namespace crashdrill::faults {
namespace {

using system::kNanosPerMilli;
using system::kNanosPerSecond;

TEST(SimClock, AdvanceMovesWallAndMonoTogether) {
  SimClock clock(1000, 0);
  clock.Advance(5 * kNanosPerSecond);
  EXPECT_EQ(clock.Wall(), 1000 + 5 * kNanosPerSecond);
  EXPECT_EQ(clock.Mono(), 5 * kNanosPerSecond);
}

TEST(SimClock, WallStepBackwardsLeavesMonoAlone) {
  SimClock clock;
  clock.Advance(kNanosPerSecond);
  const int64_t mono = clock.Mono();
  const int64_t wall = clock.Wall();
  clock.StepWall(-10 * kNanosPerSecond);
  EXPECT_EQ(clock.Wall(), wall - 10 * kNanosPerSecond);
  EXPECT_EQ(clock.Mono(), mono);
}

TEST(SkewedClock, OffsetStepsAndDriftAddUp) {
  SimClock base(0, 0);
  SkewedClock clock(&base, {.offset_ns = 7,
                            .drift_ppm = 100,
                            .steps = {{.at_mono_ns = 2 * kNanosPerSecond, .step_ns = -kNanosPerSecond}}});
  EXPECT_EQ(clock.Wall(), 7);
  base.Advance(kNanosPerSecond);
  EXPECT_EQ(clock.Wall(), kNanosPerSecond + 7 + 100 * 1000) << "100 ppm of 1 s is 100 us";
  base.Advance(kNanosPerSecond);
  EXPECT_EQ(clock.Wall(), 2 * kNanosPerSecond + 7 + 200 * 1000 - kNanosPerSecond);
  EXPECT_EQ(clock.Mono(), 2 * kNanosPerSecond);
}

TEST(SkewedClock, JsonRoundTripKeepsTheSkew) {
  const ClockSkew skew{.offset_ns = -3, .drift_ppm = 50, .jitter_ns_max = 9, .jitter_seed = 4,
                       .steps = {{.at_mono_ns = 10, .step_ns = 20}}};
  EXPECT_EQ(nlohmann::json(skew).get<ClockSkew>(), skew);
}

RC_GTEST_PROP(SkewedClockProperty, MonoIsNeverSkewedAndNeverDecreases, ()) {
  const auto advances = *rc::gen::container<std::vector<int64_t>>(
      rc::gen::inRange<int64_t>(0, 10 * kNanosPerMilli));
  const ClockSkew skew{.offset_ns = *rc::gen::inRange<int64_t>(-kNanosPerSecond, kNanosPerSecond),
                       .drift_ppm = *rc::gen::inRange<int64_t>(-1000, 1000),
                       .jitter_ns_max = *rc::gen::inRange<int64_t>(0, kNanosPerMilli),
                       .jitter_seed = *rc::gen::arbitrary<uint64_t>(),
                       .steps = {{.at_mono_ns = *rc::gen::inRange<int64_t>(0, kNanosPerSecond),
                                  .step_ns = *rc::gen::inRange<int64_t>(-kNanosPerSecond, kNanosPerSecond)}}};
  SimClock base;
  SkewedClock clock(&base, skew);
  int64_t last_mono = clock.Mono();
  for (int64_t advance : advances) {
    base.Advance(advance);
    RC_ASSERT(clock.Mono() == base.Mono());
    RC_ASSERT(clock.Mono() >= last_mono);
    last_mono = clock.Mono();
    const int64_t error = clock.Wall() - base.Wall();
    RC_ASSERT(error == clock.last_error_ns());
  }
}

RC_GTEST_PROP(SkewedClockProperty, JitterStaysWithinItsBoundAndReplays, ()) {
  const int64_t bound = *rc::gen::inRange<int64_t>(1, kNanosPerMilli);
  const ClockSkew skew{.jitter_ns_max = bound, .jitter_seed = *rc::gen::arbitrary<uint64_t>()};
  SimClock base_a;
  SimClock base_b;
  SkewedClock a(&base_a, skew);
  SkewedClock b(&base_b, skew);
  for (int i = 0; i < 50; ++i) {
    const int64_t wall = a.Wall();
    RC_ASSERT(wall - base_a.Wall() >= -bound);
    RC_ASSERT(wall - base_a.Wall() <= bound);
    RC_ASSERT(b.Wall() == wall);
  }
}

}  // namespace
}  // namespace crashdrill::faults

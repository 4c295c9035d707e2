#include "system/state/validation.h"

#include "system/io/clock.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tests/support/state_generators.h"
#include "tests/system/state/golden_state.h"

namespace crashdrill::system {
namespace {

using testing::GoldenState;

// Asserts that `state` is rejected and that the message names `invariant`.
void ExpectRejected(const EngineState& state, const char* invariant,
                    const ValidationOptions& options = {}) {
  Status status = Validate(state, options, "copy-under-test");
  ASSERT_FALSE(status.ok()) << "expected " << invariant << " to be violated";
  EXPECT_TRUE(status.IsCorruption());
  EXPECT_EQ(status.field(), invariant);
  EXPECT_EQ(status.path(), "copy-under-test");
  EXPECT_NE(status.message().find(invariant), std::string::npos) << status.ToString();
}

TEST(ValidationTest, GoldenStateIsValid) {
  EXPECT_TRUE(Validate(GoldenState(), {}, "golden").ok());
}

RC_GTEST_PROP(ValidationProperty, GeneratedValidStatesPassValidation, ()) {
  const EngineState state = *testing::GenValidEngineState();
  const auto violations = FindViolations(state, {});
  RC_ASSERT(violations.empty());
}

TEST(ValidationTest, ExposureThatDisagreesWithPositionIsRejected) {
  EngineState state = GoldenState();
  state.trading.risk.exposure_lots["ESZ6"] = 4;  // position is 3
  ExpectRejected(state, kInvariantExposure);
}

TEST(ValidationTest, ExposureWithoutAPositionIsRejected) {
  EngineState state = GoldenState();
  state.trading.risk.exposure_lots["NQZ6"] = 1;
  ExpectRejected(state, kInvariantExposure);
}

TEST(ValidationTest, FilledAboveQuantityIsRejected) {
  EngineState state = GoldenState();
  state.trading.open_orders["o-17"].filled_lots = 6;  // quantity 5
  ExpectRejected(state, kInvariantFilled);
}

TEST(ValidationTest, OrderBothOpenAndPendingIsRejected) {
  EngineState state = GoldenState();
  state.trading.pending_orders["o-17"] = state.trading.open_orders["o-17"];
  ExpectRejected(state, kInvariantOpenXorPending);
}

TEST(ValidationTest, HaltedWithoutReasonIsRejected) {
  EngineState state = GoldenState();
  state.trading.risk.halted = true;
  ExpectRejected(state, kInvariantHaltReason);
}

TEST(ValidationTest, ReasonWithoutHaltIsRejected) {
  EngineState state = GoldenState();
  state.trading.risk.halt_reason = "max daily loss";
  ExpectRejected(state, kInvariantHaltReason);
}

TEST(ValidationTest, FillsOutOfSequenceAreRejected) {
  EngineState state = GoldenState();
  std::swap(state.trading.recent_fills[0], state.trading.recent_fills[1]);
  ExpectRejected(state, kInvariantSequence);
}

TEST(ValidationTest, FillAheadOfLastExchangeSeqIsRejected) {
  EngineState state = GoldenState();
  state.trading.last_exchange_seq = 43;  // newest fill is 44
  ExpectRejected(state, kInvariantSequence);
}

TEST(ValidationTest, AvailableAboveTotalBalanceIsRejected) {
  EngineState state = GoldenState();
  state.trading.balances.begin()->second.available_minor = 10'000'001;
  ExpectRejected(state, kInvariantBalance);
}

TEST(ValidationTest, FutureTimestampBeyondToleranceIsRejected) {
  EngineState state = GoldenState();
  ValidationOptions options;
  options.now_wall_ns = state.trading.last_update_ns - options.future_tolerance_ns - 1;
  ExpectRejected(state, kInvariantTimestamp, options);
}

TEST(ValidationTest, FutureTimestampWithinToleranceIsAccepted) {
  EngineState state = GoldenState();
  ValidationOptions options;
  options.now_wall_ns = state.trading.last_update_ns - options.future_tolerance_ns;
  EXPECT_TRUE(Validate(state, options, "skewed").ok());
}

TEST(ValidationTest, NewerStateSeqIsNeverRejectedForItsTimestamp) {
  EngineState state = GoldenState();
  ValidationOptions options;
  options.now_wall_ns = state.trading.last_update_ns - 3'600 * kNanosPerSecond;  // clock stepped back 1 h
  options.timestamp_exempt_above_seq = state.trading.state_seq - 1;
  EXPECT_TRUE(Validate(state, options, "newest").ok());
}

TEST(ValidationTest, EveryViolationIsListed) {
  EngineState state = GoldenState();
  state.trading.risk.halted = true;
  state.trading.open_orders["o-17"].filled_lots = 99;
  const auto violations = FindViolations(state, {});
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[0].invariant, kInvariantFilled);
  EXPECT_EQ(violations[1].invariant, kInvariantHaltReason);
}

TEST(ValidationTest, TransitionThatMovesStateSeqBackIsRejected) {
  EngineState before = GoldenState();
  EngineState after = before;
  after.trading.state_seq -= 1;
  Status status = ValidateTransition(before, after, "next");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.field(), kInvariantSequence);
  EXPECT_TRUE(ValidateTransition(before, before, "same").ok());
}

TEST(ValidationTest, TransitionThatMovesExchangeSeqBackIsRejected) {
  EngineState before = GoldenState();
  EngineState after = before;
  after.trading.state_seq += 1;
  after.trading.last_exchange_seq -= 1;
  EXPECT_FALSE(ValidateTransition(before, after, "next").ok());
}

}  // namespace
}  // namespace crashdrill::system

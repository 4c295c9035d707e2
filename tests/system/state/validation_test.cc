#include "system/state/validation.h"

#include "system/io/clock.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tests/support/next_update_generator.h"
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

// One generated change to one entry of a valid state, noted in `changes` as
// an applied update would note it: some keep every invariant, most break one.
void ChangeOneEntry(TradingState& t, TradingChanges& changes, ValidationOptions& options) {
  const auto any_key = [](const auto& map, const std::string& fresh) {
    std::vector<std::string> keys = testing::KeysOf(map);
    keys.push_back(fresh);
    return *rc::gen::elementOf(keys);
  };
  switch (*rc::gen::inRange(0, 10)) {
    case 0: {  // an order's fill count, in or out of range
      const std::string id = any_key(t.open_orders, "o-new");
      Order& order = t.open_orders[id];
      order.quantity_lots = *rc::gen::inRange<Lots>(-1, 10);
      order.filled_lots = *rc::gen::inRange<Lots>(-1, 12);
      changes.orders.insert(id);
      break;
    }
    case 1: {  // an order in both maps, or moved from one to the other
      const std::string id = any_key(t.open_orders, "o-new");
      t.pending_orders[id] = t.open_orders[id];
      if (*rc::gen::arbitrary<bool>()) t.open_orders.erase(id);
      changes.orders.insert(id);
      break;
    }
    case 2: {  // a pending order's fill count
      const std::string id = any_key(t.pending_orders, "p-new");
      t.pending_orders[id].quantity_lots = *rc::gen::inRange<Lots>(0, 3);
      t.pending_orders[id].filled_lots = *rc::gen::inRange<Lots>(0, 4);
      changes.orders.insert(id);
      break;
    }
    case 3: {  // a position and its exposure, agreeing or not
      const std::string symbol = *testing::GenSymbol();
      const Lots lots = *rc::gen::inRange<Lots>(-3, 4);
      t.positions[symbol] = {symbol, lots, lots * 100, 0};
      t.risk.exposure_lots[symbol] = lots + *rc::gen::inRange<Lots>(-1, 2);
      changes.symbols.insert(symbol);
      break;
    }
    case 4: {  // an exposure left without its position
      const std::string symbol = *testing::GenSymbol();
      t.positions.erase(symbol);
      t.risk.exposure_lots[symbol] = *rc::gen::inRange<Lots>(-2, 3);
      changes.symbols.insert(symbol);
      break;
    }
    case 5: {  // a balance, available within total or not
      const std::string key = any_key(t.balances, "SIMZ/EUR");
      t.balances[key].total_minor = *rc::gen::inRange<Minor>(0, 100);
      t.balances[key].available_minor = *rc::gen::inRange<Minor>(0, 110);
      changes.balances.insert(key);
      break;
    }
    case 6: {  // a fill appended, in sequence or not
      const Seq newest = t.recent_fills.empty() ? 0 : t.recent_fills.back().exchange_seq;
      t.recent_fills.push_back(*testing::GenFill(newest + *rc::gen::inRange<Seq>(0, 3) - 1));
      t.last_exchange_seq = std::max(t.last_exchange_seq, newest) + *rc::gen::inRange<Seq>(0, 2);
      if (t.recent_fills.size() > TradingState::kRecentFillsMax) t.recent_fills.pop_front();
      ++changes.fills_appended;
      break;
    }
    case 7:  // the last venue event, behind the newest fill or not
      t.last_exchange_seq = *rc::gen::inRange<Seq>(0, t.last_exchange_seq + 2);
      break;
    case 8:  // the circuit breaker, with or without its reason
      t.risk.halted = *rc::gen::arbitrary<bool>();
      t.risk.halt_reason = *rc::gen::element<std::string>("", "operator");
      break;
    default:  // the last update time, against a validation clock
      t.last_update_ns = *rc::gen::inRange<TimeNs>(0, 2'000'000);
      options.now_wall_ns = *rc::gen::inRange<TimeNs>(0, 1'000'000);
      options.future_tolerance_ns = *rc::gen::inRange<int64_t>(0, 500'000);
      break;
  }
}

// The equivalence Commit relies on: on a state that was valid, the changed
// entries plus the scalar invariants are all that can break.
RC_GTEST_PROP(ValidationProperty, ValidatingTheChangedEntriesFindsWhatFullValidationFinds, ()) {
  TradingState state = *testing::GenValidTradingState();
  TradingChanges changes;
  ValidationOptions options;
  const int count = *rc::gen::inRange(1, 4);
  for (int i = 0; i < count; ++i) ChangeOneEntry(state, changes, options);
  const auto full = FindViolations(state, options);
  RC_ASSERT(FindViolations(state, changes, options) == full);
  RC_CLASSIFY(full.empty(), "still valid");
  for (const Violation& violation : full) RC_TAG(violation.invariant);
}

RC_GTEST_PROP(ValidationProperty, ValidatingWhatAnAppliedUpdateChangedFindsWhatFullValidationFinds,
              ()) {
  EngineState state = *testing::GenValidEngineState();
  const StateUpdate update = *rc::gen::oneOf(testing::GenNextUpdateOwning(state, 1'000),
                                             testing::GenAnyUpdate());
  TradingChanges changes;
  const Seq seq = IsCritical(update) ? state.state_seq() + 1 : state.state_seq();
  RC_PRE(ApplyStateUpdate(state, update, seq, 5, &changes).ok());
  const auto full = FindViolations(state.trading, {});
  RC_ASSERT(FindViolations(state.trading, changes, {}) == full);
  RC_CLASSIFY(full.empty(), "still valid");
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

#include "system/state/state_update.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "system/state/validation.h"
#include "tests/support/update_generators.h"

namespace crashdrill::system {
namespace {

Order LimitOrder(std::string id, Side side, Lots lots, Ticks price) {
  Order order;
  order.client_order_id = std::move(id);
  order.symbol = "ESZ6";
  order.venue = "SIMX";
  order.side = side;
  order.price_ticks = price;
  order.quantity_lots = lots;
  return order;
}

Fill FillOf(const std::string& id, Side side, Lots lots, Ticks price, Seq exchange_seq,
            Minor fee = 0) {
  Fill fill;
  fill.client_order_id = id;
  fill.symbol = "ESZ6";
  fill.side = side;
  fill.quantity_lots = lots;
  fill.price_ticks = price;
  fill.exchange_seq = exchange_seq;
  fill.fee_minor = fee;
  return fill;
}

class StateUpdateTest : public ::testing::Test {
 protected:
  void Apply(const StateUpdate& update) {
    ++seq_;
    Status status = ApplyStateUpdate(state_, update, seq_, 1'000 * static_cast<TimeNs>(seq_));
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  // Submits, acks and fully fills one order.
  void Trade(const std::string& id, Side side, Lots lots, Ticks price, Minor fee = 0) {
    Apply(OrderSubmitted{LimitOrder(id, side, lots, price)});
    Apply(OrderAcknowledged{id, 100 + seq_, ++exchange_seq_});
    Apply(FillReceived{FillOf(id, side, lots, price, ++exchange_seq_, fee), "USD"});
  }
  const Position& Esz6() { return state_.trading.positions.at("ESZ6"); }

  EngineState state_;
  Seq seq_ = 0;
  Seq exchange_seq_ = 0;
};

TEST_F(StateUpdateTest, SubmitThenAckMovesTheOrderFromPendingToOpen) {
  Apply(OrderSubmitted{LimitOrder("a", Side::kBuy, 5, 100)});
  EXPECT_TRUE(state_.trading.pending_orders.contains("a"));
  Apply(OrderAcknowledged{"a", 42, 7});
  EXPECT_FALSE(state_.trading.pending_orders.contains("a"));
  EXPECT_EQ(state_.trading.open_orders.at("a").exchange_order_id, 42u);
  EXPECT_EQ(state_.trading.last_exchange_seq, 7u);
  EXPECT_EQ(state_.trading.state_seq, 2u);
}

TEST_F(StateUpdateTest, BuyingOpensAPositionAndPaysCashAndFee) {
  Trade("a", Side::kBuy, 3, 1'000, 5);
  EXPECT_EQ(Esz6().quantity_lots, 3);
  EXPECT_EQ(Esz6().cost_minor, 3'000);
  EXPECT_EQ(state_.trading.balances.at("SIMX/USD").total_minor, -3'005);
  EXPECT_EQ(state_.trading.risk.exposure_lots.at("ESZ6"), 3);
  EXPECT_TRUE(state_.trading.open_orders.empty()) << "a fully filled order is no longer open";
}

TEST_F(StateUpdateTest, ClosingPartRealizesTheDifferenceAgainstAverageCost) {
  Trade("a", Side::kBuy, 4, 1'000);
  Trade("b", Side::kSell, 1, 1'030);
  EXPECT_EQ(Esz6().quantity_lots, 3);
  EXPECT_EQ(Esz6().cost_minor, 3'000);
  EXPECT_EQ(Esz6().realized_pnl_minor, 30);
  EXPECT_EQ(state_.trading.realized_pnl_minor, 30);
}

TEST_F(StateUpdateTest, SellingThroughZeroFlipsThePosition) {
  Trade("a", Side::kBuy, 2, 1'000);
  Trade("b", Side::kSell, 5, 990);
  EXPECT_EQ(Esz6().quantity_lots, -3);
  EXPECT_EQ(Esz6().cost_minor, -3 * 990);
  EXPECT_EQ(Esz6().realized_pnl_minor, -20);
  Trade("c", Side::kBuy, 3, 980);  // short covered 10 ticks lower
  EXPECT_EQ(Esz6().quantity_lots, 0);
  EXPECT_EQ(Esz6().cost_minor, 0);
  EXPECT_EQ(Esz6().realized_pnl_minor, -20 + 30);
  EXPECT_FALSE(state_.trading.risk.exposure_lots.contains("ESZ6"));
}

TEST_F(StateUpdateTest, FillBeforeAckOpensTheOrder) {
  Apply(OrderSubmitted{LimitOrder("a", Side::kBuy, 5, 100)});
  Apply(FillReceived{FillOf("a", Side::kBuy, 2, 100, 3), "USD"});
  EXPECT_EQ(state_.trading.open_orders.at("a").filled_lots, 2);
  EXPECT_TRUE(state_.trading.pending_orders.empty());
}

TEST_F(StateUpdateTest, RefusedUpdateLeavesTheStateUnchanged) {
  Apply(OrderSubmitted{LimitOrder("a", Side::kBuy, 5, 100)});
  const EngineState before = state_;
  Status overfill = ApplyStateUpdate(state_, FillReceived{FillOf("a", Side::kBuy, 6, 100, 3), "USD"},
                                     seq_ + 1, 0);
  EXPECT_EQ(overfill.code(), StatusCode::kFailedPrecondition);
  Status unknown = ApplyStateUpdate(state_, OrderAcknowledged{"zz", 1, 1}, seq_ + 1, 0);
  EXPECT_EQ(unknown.code(), StatusCode::kFailedPrecondition);
  Status stale = ApplyStateUpdate(state_, RiskResumed{}, seq_, 0);
  EXPECT_EQ(stale.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(state_, before);
}

TEST_F(StateUpdateTest, HaltRecordsReasonAndTime) {
  seq_ = 9;
  Apply(RiskHalted{"max daily loss"});
  EXPECT_TRUE(state_.trading.risk.halted);
  EXPECT_EQ(state_.trading.risk.halted_at_ns, 10'000);
  Apply(RiskResumed{});
  EXPECT_FALSE(state_.trading.risk.halted);
  EXPECT_TRUE(state_.trading.risk.halt_reason.empty());
}

RC_GTEST_PROP(StateUpdateProperty, EveryUpdatePayloadRoundTrips, ()) {
  const StateUpdate update = *testing::GenAnyUpdate();
  auto decoded = DecodeStateUpdate(TypeOf(update), EncodeStateUpdate(update), "record");
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == update);
  RC_TAG(std::string(RecordTypeName(TypeOf(update))));
}

RC_GTEST_PROP(StateUpdateProperty, ValidUpdateSequencesKeepEveryInvariant, ()) {
  EngineState state;
  const int steps = *rc::gen::inRange(1, 120);
  size_t fills = 0;
  for (int i = 0; i < steps; ++i) {
    const StateUpdate update = *testing::GenNextUpdate(state, i);
    fills += std::holds_alternative<FillReceived>(update);
    const Status applied = ApplyStateUpdate(state, update, state.trading.state_seq + 1, i);
    RC_ASSERT(applied.ok());
    const auto violations = FindViolations(state, {});
    if (!violations.empty()) RC_FAIL(violations.front().invariant + ": " + violations.front().detail);
  }
  RC_CLASSIFY(fills > 0, "with fills");
}

}  // namespace
}  // namespace crashdrill::system

#include "system/state/state_update.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <functional>
#include <limits>

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
  Status overfill = ApplyStateUpdate(
      state_, FillReceived{FillOf("a", Side::kBuy, 6, 100, 3), "USD"}, seq_ + 1, 0);
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

StrategyState Strategy(const std::string& id, Minor pnl) {
  StrategyState strategy;
  strategy.strategy_id = id;
  strategy.active = true;
  strategy.pnl_minor = pnl;
  return strategy;
}

// The sequence rule (state_update.h): state_seq numbers critical updates only.
TEST_F(StateUpdateTest, StrategyUpdateTakesNoStateSeqAndLeavesTheTradingStateAlone) {
  Apply(OrderSubmitted{LimitOrder("a", Side::kBuy, 5, 100)});
  const TradingState trading = state_.trading;
  Status status = ApplyStateUpdate(state_, StrategyUpdated{Strategy("mm-1", 7)}, seq_, 999'999);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(state_.trading, trading) << "state_seq and last_update_ns belong to critical updates";
  EXPECT_EQ(state_.strategies.at("mm-1"), Strategy("mm-1", 7));
  Apply(OrderAcknowledged{"a", 42, 7});
  EXPECT_EQ(state_.trading.state_seq, 2u) << "the next critical update is the next state_seq";
}

TEST_F(StateUpdateTest, StrategyUpdateThatClaimsAStateSeqOfItsOwnIsRefused) {
  Apply(OrderSubmitted{LimitOrder("a", Side::kBuy, 5, 100)});
  const EngineState before = state_;
  for (Seq claimed : {seq_ + 1, seq_ - 1}) {
    Status status = ApplyStateUpdate(state_, StrategyUpdated{Strategy("mm-1", 7)}, claimed, 0);
    EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition) << status.ToString();
    EXPECT_NE(status.message().find("does not advance state_seq"), std::string::npos)
        << status.ToString();
  }
  EXPECT_EQ(state_, before);
}

// The simulator's own limits (simulator/exchange.h): one order or fill is at
// most 10^6 lots at a price of at most 10^9 ticks.
constexpr Ticks kSimPriceTicksMax = 1'000'000'000;
constexpr Lots kSimQuantityLotsMax = 1'000'000;
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

class FillRefusalTest : public StateUpdateTest {
 protected:
  // Submits and acks `order` so that a fill of it is the next update.
  void Open(const Order& order) {
    Apply(OrderSubmitted{order});
    Apply(OrderAcknowledged{order.client_order_id, 100 + seq_, ++exchange_seq_});
  }
  // Applies `fill` expecting a refusal with `code` that leaves the state as it was.
  Status ExpectRefused(const Fill& fill, StatusCode code) {
    const EngineState before = state_;
    Status status = ApplyStateUpdate(state_, FillReceived{fill, "USD"}, seq_ + 1, 0);
    EXPECT_EQ(status.code(), code) << status.ToString();
    EXPECT_EQ(state_, before) << "a refused fill changed the state";
    return status;
  }
};

TEST_F(FillRefusalTest, FillForAnotherSymbolThanItsOrderIsRefused) {
  Open(LimitOrder("a", Side::kBuy, 5, 100));
  Fill fill = FillOf("a", Side::kBuy, 2, 100, ++exchange_seq_);
  fill.symbol = "NQZ6";
  Status status = ExpectRefused(fill, StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("symbol"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("NQZ6"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("ESZ6"), std::string::npos) << status.ToString();
}

TEST_F(FillRefusalTest, FillOnTheOtherSideThanItsOrderIsRefused) {
  Apply(
      OrderSubmitted{LimitOrder("a", Side::kBuy, 5, 100)});  // pending: a fill may overtake the ack
  Status status = ExpectRefused(FillOf("a", Side::kSell, 2, 100, ++exchange_seq_),
                                StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("side"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("sell"), std::string::npos) << status.ToString();
}

TEST_F(FillRefusalTest, FillOfMoreLotsThanRemainIsRefusedEvenWhereTheSumWouldWrap) {
  Open(LimitOrder("a", Side::kBuy, 5, 100));
  Apply(FillReceived{FillOf("a", Side::kBuy, 1, 100, ++exchange_seq_), "USD"});
  // 1 filled + INT64_MAX wraps negative, below the quantity, unless checked.
  Status status = ExpectRefused(FillOf("a", Side::kBuy, kInt64Max, 100, ++exchange_seq_),
                                StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("1 filled of 5"), std::string::npos) << status.ToString();
}

// Within the simulator's limits: the proportional cost of closing a position
// of 10^6 lots bought at 10^9 is 10^15 x 999'999 / 10^6 — an intermediate
// product far beyond int64, though the result fits. It must be exact.
TEST_F(StateUpdateTest, ClosingTheLargestPositionTheSimulatorAllowsRealizesExactly) {
  Trade("a", Side::kBuy, kSimQuantityLotsMax, kSimPriceTicksMax);
  Trade("b", Side::kSell, kSimQuantityLotsMax - 1, kSimPriceTicksMax - 1);
  EXPECT_EQ(Esz6().quantity_lots, 1);
  EXPECT_EQ(Esz6().cost_minor, kSimPriceTicksMax);
  EXPECT_EQ(Esz6().realized_pnl_minor, -(kSimQuantityLotsMax - 1));
  EXPECT_EQ(state_.trading.realized_pnl_minor, -(kSimQuantityLotsMax - 1));
  EXPECT_EQ(state_.trading.balances.at("SIMX/USD").total_minor,
            -kSimQuantityLotsMax * kSimPriceTicksMax +
                (kSimQuantityLotsMax - 1) * (kSimPriceTicksMax - 1));
}

// Each amount a fill moves, pushed to the edge of int64 one at a time: the
// fill is refused, the error names the amount, and nothing changes.
TEST_F(FillRefusalTest, EveryAmountThatWouldOverflowIsRefusedNamingIt) {
  struct Case {
    const char* field;  // must appear in the error
    Side side;
    Lots lots;
    Ticks price;
    Minor fee;
    std::function<void(TradingState&)> edge;  // puts the state at the edge
  };
  const auto position = [](Lots lots, Minor cost, Minor realized = 0) {
    return [=](TradingState& t) {
      t.positions["ESZ6"] = {"ESZ6", lots, cost, realized};
      t.risk.exposure_lots["ESZ6"] = lots;
    };
  };
  const std::vector<Case> cases = {
      {"notional", Side::kBuy, 10'000'000'000, 10'000'000'000, 0, [](TradingState&) {}},
      {"quantity_lots", Side::kBuy, 5, 1, 0, position(kInt64Max - 1, 0)},
      {"quantity_lots", Side::kBuy, 1, 1, 0, position(kInt64Min, kInt64Min)},
      {"cost_minor", Side::kBuy, 1, 100, 0, position(1, kInt64Max - 10)},
      {"position ESZ6 realized_pnl_minor", Side::kSell, 1, 200, 0, position(1, 100, kInt64Max - 5)},
      {"trading realized_pnl_minor", Side::kSell, 1, 200, 0,
       [&](TradingState& t) {
         position(1, 100)(t);
         t.realized_pnl_minor = kInt64Max - 5;
       }},
      {"fee", Side::kBuy, 1, 100, kInt64Min, [](TradingState&) {}},
      {"risk daily_pnl_minor", Side::kBuy, 1, 100, 100,
       [](TradingState& t) { t.risk.daily_pnl_minor = kInt64Min + 5; }},
      {"risk max_drawdown_minor", Side::kBuy, 1, 100, 1,
       [](TradingState& t) {
         t.risk.peak_pnl_minor = kInt64Max / 2 + 1;
         t.risk.daily_pnl_minor = -(kInt64Max / 2) - 1;
         t.risk.max_drawdown_minor = kInt64Max;
       }},
      {"total_minor", Side::kBuy, 1, 100, 0,
       [](TradingState& t) {
         t.balances["SIMX/USD"] = {"SIMX", "USD", kInt64Min + 10, kInt64Min + 10};
       }},
      {"available_minor", Side::kBuy, 1, 100, 0,
       [](TradingState& t) {
         t.balances["SIMX/USD"] = {"SIMX", "USD", 0, kInt64Min + 10};
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    state_ = {};
    seq_ = 0;
    Order order = LimitOrder("a", c.side, std::max<Lots>(c.lots, 1), c.price);
    Open(order);
    c.edge(state_.trading);
    Status status = ExpectRefused(FillOf("a", c.side, c.lots, c.price, ++exchange_seq_, c.fee),
                                  StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find(c.field), std::string::npos) << status.ToString();
    EXPECT_NE(status.message().find("overflows"), std::string::npos) << status.ToString();
  }
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
    if (!violations.empty())
      RC_FAIL(violations.front().invariant + ": " + violations.front().detail);
  }
  RC_CLASSIFY(fills > 0, "with fills");
}

}  // namespace
}  // namespace crashdrill::system

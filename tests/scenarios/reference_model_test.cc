#include "scenarios/runner/reference_model.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "system/io/rng.h"
#include "system/state/state_update.h"

// Readable failures: GoogleTest finds these by argument-dependent lookup
// (static, so another test file of the same binary may define its own).
namespace crashdrill::system {
static void PrintTo(const Position& p, std::ostream* out) {
  *out << fmt::format("{{{} {} lots cost {} realized {}}}", p.symbol, p.quantity_lots, p.cost_minor,
                      p.realized_pnl_minor);
}
static void PrintTo(const Balance& b, std::ostream* out) {
  *out << fmt::format("{{{}/{} total {} available {}}}", b.venue, b.currency, b.total_minor,
                      b.available_minor);
}
}  // namespace crashdrill::system

namespace crashdrill::scenarios {
namespace {

using system::Balance;
using system::BalanceKey;
using system::CancelAcknowledged;
using system::CancelRequested;
using system::ConfigChanged;
using system::EngineState;
using system::Fill;
using system::FillReceived;
using system::Lots;
using system::Minor;
using system::Order;
using system::OrderAcknowledged;
using system::OrderRejected;
using system::OrderSubmitted;
using system::Position;
using system::PositionSet;
using system::RiskHalted;
using system::RiskResumed;
using system::Seq;
using system::Side;
using system::StateUpdate;
using system::StrategyUpdated;
using system::TradingState;

Order MakeOrder(std::string id, std::string symbol, Side side, int64_t price, int64_t lots) {
  Order order;
  order.client_order_id = std::move(id);
  order.symbol = std::move(symbol);
  order.venue = "sim";
  order.strategy_id = "mm";
  order.side = side;
  order.price_ticks = price;
  order.quantity_lots = lots;
  return order;
}

FillReceived MakeFill(const Order& order, Seq exchange_seq, int64_t price, int64_t lots,
                      int64_t fee, uint64_t exchange_order_id = 0) {
  Fill fill;
  fill.exchange_seq = exchange_seq;
  fill.trade_id = exchange_seq;
  fill.client_order_id = order.client_order_id;
  fill.exchange_order_id = exchange_order_id;
  fill.symbol = order.symbol;
  fill.side = order.side;
  fill.price_ticks = price;
  fill.quantity_lots = lots;
  fill.fee_minor = fee;
  return FillReceived{fill, "USD"};
}

// Feeds each update to the model and, as the engine would, to the real
// ApplyStateUpdate, keeping the real state after every one (the test may call
// the persistence code; the model may not).
class Driver {
 public:
  Driver() {
    live_.trading.account_id = "acct";
    model_.Rebase(live_);
    states_[0] = live_;
  }

  void Commit(const StateUpdate& update) {
    const Seq seq = live_.trading.state_seq + 1;
    model_.Attempt(seq, update);
    ASSERT_TRUE(system::ApplyStateUpdate(live_, update, seq, 1000 * seq).ok());
    states_[seq] = live_;
  }

  ReferenceModel& model() { return model_; }
  const EngineState& live() const { return live_; }
  const ModelState& latest() const { return model_.latest(); }
  // The real state after update `seq`.
  const EngineState& at(Seq seq) const { return states_.at(seq); }

 private:
  ReferenceModel model_;
  EngineState live_;
  std::map<Seq, EngineState> states_;
};

// --- The rules, against hand-computed expectations. ---

TEST(ReferenceModelTest, SubmitAckAndFillsWithFeesMoveOrderPositionAndCash) {
  Driver d;
  const Order order = MakeOrder("o1", "ACME", Side::kBuy, 100, 10);
  d.Commit(OrderSubmitted{order});
  ASSERT_TRUE(d.latest().pending_orders.contains("o1"));
  d.Commit(OrderAcknowledged{"o1", 77, 3});
  ASSERT_TRUE(d.latest().open_orders.contains("o1"));
  EXPECT_EQ(d.latest().open_orders.at("o1").exchange_order_id, 77u);
  EXPECT_EQ(d.latest().last_exchange_seq, 3u);

  d.Commit(MakeFill(order, 4, 100, 4, 2, 77));  // partial: 4 of 10 at 100, fee 2
  const ModelState& m = d.latest();
  EXPECT_EQ(m.open_orders.at("o1").filled_lots, 4);
  EXPECT_EQ(m.positions.at("ACME"), (Position{"ACME", 4, 400, 0}));
  EXPECT_EQ(m.exposure_lots.at("ACME"), 4);
  EXPECT_EQ(m.balances.at("sim/USD"), (Balance{"sim", "USD", -402, -402}));
  EXPECT_EQ(m.daily_pnl_minor, -2);
  EXPECT_EQ(m.max_drawdown_minor, 2);
  EXPECT_EQ(m.recent_fills.size(), 1u);

  d.Commit(MakeFill(order, 5, 101, 6, 3, 77));  // completes it: 6 at 101, fee 3
  EXPECT_FALSE(d.latest().open_orders.contains("o1"));
  EXPECT_EQ(d.latest().positions.at("ACME"), (Position{"ACME", 10, 1006, 0}));
  EXPECT_EQ(d.latest().balances.at("sim/USD").total_minor, -402 - 609);
  EXPECT_EQ(d.latest().balances.at("sim/USD").available_minor, -402 - 609);
  EXPECT_EQ(d.latest().daily_pnl_minor, -5);
  EXPECT_EQ(d.latest().last_exchange_seq, 5u);
  EXPECT_EQ(d.latest().state_seq, 4u);
  EXPECT_EQ(d.model().CheckRecovered(d.live()), std::nullopt);
}

TEST(ReferenceModelTest, FillBeforeAckOpensTheOrderWithTheFillsExchangeId) {
  Driver d;
  const Order order = MakeOrder("o1", "ACME", Side::kSell, 50, 5);
  d.Commit(OrderSubmitted{order});
  d.Commit(MakeFill(order, 9, 50, 2, 0, 123));
  EXPECT_TRUE(d.latest().pending_orders.empty());
  EXPECT_EQ(d.latest().open_orders.at("o1").exchange_order_id, 123u);
  EXPECT_EQ(d.latest().balances.at("sim/USD").total_minor, 100);  // sold: cash in
  EXPECT_EQ(d.model().CheckRecovered(d.live()), std::nullopt);
}

TEST(ReferenceModelTest, CancelAndRejectRemoveOrders) {
  Driver d;
  d.Commit(OrderSubmitted{MakeOrder("o1", "ACME", Side::kBuy, 100, 1)});
  d.Commit(OrderSubmitted{MakeOrder("o2", "ACME", Side::kBuy, 100, 1)});
  d.Commit(OrderAcknowledged{"o1", 1, 1});
  d.Commit(CancelRequested{"o1"});
  EXPECT_TRUE(d.latest().open_orders.at("o1").cancel_requested);
  d.Commit(OrderRejected{"o2", "no", 2});
  EXPECT_TRUE(d.latest().pending_orders.empty());
  d.Commit(CancelAcknowledged{"o1", 3});
  EXPECT_TRUE(d.latest().open_orders.empty());
  EXPECT_EQ(d.latest().last_exchange_seq, 3u);
  EXPECT_EQ(d.model().CheckRecovered(d.live()), std::nullopt);
}

TEST(ReferenceModelTest, PositionFlipsLongToShortAndRealizesThePnl) {
  Driver d;
  const Order buy = MakeOrder("b", "ACME", Side::kBuy, 100, 10);
  const Order sell = MakeOrder("s", "ACME", Side::kSell, 110, 15);
  const Order cover = MakeOrder("c", "ACME", Side::kBuy, 120, 5);
  for (const Order& o : {buy, sell, cover}) d.Commit(OrderSubmitted{o});
  d.Commit(MakeFill(buy, 1, 100, 10, 0));
  d.Commit(MakeFill(sell, 2, 110, 15, 1));  // closes 10 (+100), opens 5 short at 110
  EXPECT_EQ(d.latest().positions.at("ACME"), (Position{"ACME", -5, -550, 100}));
  EXPECT_EQ(d.latest().exposure_lots.at("ACME"), -5);
  EXPECT_EQ(d.latest().realized_pnl_minor, 100);
  EXPECT_EQ(d.latest().daily_pnl_minor, 99);
  d.Commit(MakeFill(cover, 3, 120, 5, 0));  // buys back 5 at 120: -50
  EXPECT_EQ(d.latest().positions.at("ACME"), (Position{"ACME", 0, 0, 50}));
  EXPECT_FALSE(d.latest().exposure_lots.contains("ACME"));
  EXPECT_EQ(d.latest().daily_pnl_minor, 49);
  EXPECT_EQ(d.latest().peak_pnl_minor, 99);
  EXPECT_EQ(d.latest().max_drawdown_minor, 50);
  EXPECT_EQ(d.latest().balances.at("sim/USD").total_minor, -1000 + 1650 - 1 - 600);
  EXPECT_EQ(d.model().CheckRecovered(d.live()), std::nullopt);
}

TEST(ReferenceModelTest, PositionAndBalanceSetAreAdoptedWithoutPnl) {
  Driver d;
  d.Commit(PositionSet{Position{"ACME", 7, 700, 30}});
  d.Commit(system::BalanceSet{Balance{"sim", "EUR", 500, 400}});
  EXPECT_EQ(d.latest().positions.at("ACME"), (Position{"ACME", 7, 700, 30}));
  EXPECT_EQ(d.latest().exposure_lots.at("ACME"), 7);
  EXPECT_EQ(d.latest().realized_pnl_minor, 0);
  EXPECT_EQ(d.latest().balances.at("sim/EUR"), (Balance{"sim", "EUR", 500, 400}));
  d.Commit(PositionSet{Position{"ACME", 0, 0, 30}});
  EXPECT_FALSE(d.latest().exposure_lots.contains("ACME"));
  EXPECT_EQ(d.model().CheckRecovered(d.live()), std::nullopt);
}

TEST(ReferenceModelTest, HaltKeepsItsReasonAndResumeClearsIt) {
  Driver d;
  d.Commit(RiskHalted{"loss limit"});
  EXPECT_TRUE(d.latest().halted);
  EXPECT_EQ(d.latest().halt_reason, "loss limit");
  EXPECT_EQ(d.model().CheckRecovered(d.live()), std::nullopt);
  d.Commit(RiskResumed{});
  EXPECT_FALSE(d.latest().halted);
  EXPECT_EQ(d.latest().halt_reason, "");
  d.Commit(RiskHalted{""});
  EXPECT_FALSE(d.latest().halt_reason.empty());
  EXPECT_EQ(d.model().CheckRecovered(d.live()), std::nullopt);
}

TEST(ReferenceModelTest, StrategyUpdateIsIgnored) {
  Driver d;
  d.Commit(RiskHalted{"x"});
  d.model().Attempt(1, StrategyUpdated{});
  EXPECT_EQ(d.model().last_attempted_seq(), 1u);
  EXPECT_EQ(d.model().problem(), std::nullopt);
}

// --- The checks. ---

TEST(ReferenceModelTest, EveryPrefixFromTheAcknowledgedOneAgrees) {
  Driver d;
  const Order order = MakeOrder("o1", "ACME", Side::kBuy, 100, 10);
  d.Commit(OrderSubmitted{order});
  d.Commit(OrderAcknowledged{"o1", 7, 1});
  d.model().Acknowledge(2);
  d.Commit(MakeFill(order, 2, 100, 3, 1, 7));
  d.Commit(CancelRequested{"o1"});
  for (Seq seq = 2; seq <= 4; ++seq) {
    EXPECT_EQ(d.model().CheckRecovered(d.at(seq)), std::nullopt) << "state_seq " << seq;
    EXPECT_EQ(d.model().CheckRecovered(d.at(seq).trading), std::nullopt) << "state_seq " << seq;
  }
}

TEST(ReferenceModelTest, LostAcknowledgedUpdateIsP2) {
  Driver d;
  d.Commit(OrderSubmitted{MakeOrder("o1", "ACME", Side::kBuy, 100, 10)});
  d.Commit(OrderAcknowledged{"o1", 7, 1});
  d.model().Acknowledge(2);
  EXPECT_EQ(d.model().CheckRecovered(d.at(1)), "P2: acknowledged state_seq 2 lost: recovered 1");
}

TEST(ReferenceModelTest, MixOfTwoPrefixesIsP3) {
  Driver d;
  const Order a = MakeOrder("a", "ACME", Side::kBuy, 100, 10);
  const Order b = MakeOrder("b", "ACME", Side::kSell, 100, 10);
  d.Commit(OrderSubmitted{a});
  d.Commit(OrderSubmitted{b});
  d.Commit(OrderAcknowledged{"a", 1, 1});
  d.Commit(MakeFill(b, 2, 100, 4, 0, 2));
  // The fill (4) is in, the ack before it (3) is not: a state that never existed.
  EngineState mixed = d.at(2);
  ASSERT_TRUE(system::ApplyStateUpdate(mixed, MakeFill(b, 2, 100, 4, 0, 2), 4, 0).ok());
  const std::optional<std::string> found = d.model().CheckRecovered(mixed);
  ASSERT_TRUE(found.has_value());
  EXPECT_NE(found->find("P3: "), std::string::npos) << *found;
  EXPECT_NE(found->find("pending_orders[a]: recovered, not in the model"), std::string::npos)
      << *found;
  EXPECT_NE(found->find("open_orders[a]: in the model, missing from recovered"), std::string::npos)
      << *found;
}

TEST(ReferenceModelTest, ChangedFieldIsNamedWithBothValues) {
  Driver d;
  const Order order = MakeOrder("o1", "ACME", Side::kBuy, 100, 10);
  d.Commit(OrderSubmitted{order});
  d.Commit(MakeFill(order, 1, 100, 4, 2, 5));
  TradingState wrong = d.live().trading;
  wrong.balances.at("sim/USD").total_minor += 2;  // the fee forgotten
  EXPECT_EQ(d.model().CheckRecovered(wrong),
            "P3: recovered state at state_seq 2 is not the model after the attempts up to it "
            "(1 differences): balances[sim/USD].total_minor: model -402 vs recovered -400");
}

TEST(ReferenceModelTest, StateSeqBeyondTheLastAttemptNeverExisted) {
  Driver d;
  d.Commit(RiskHalted{"x"});
  TradingState ahead = d.live().trading;
  ahead.state_seq = 2;
  EXPECT_EQ(d.model().CheckRecovered(ahead),
            "P3: recovered state_seq 2 is beyond the last attempt 1: a state that never existed");
}

TEST(ReferenceModelTest, DifferencesAreCapped) {
  Driver d;
  for (int i = 0; i < 15; ++i) d.Commit(PositionSet{Position{"S" + std::to_string(i), 1, 1, 0}});
  TradingState empty = d.at(0).trading;
  empty.state_seq = 15;
  const std::optional<std::string> found = d.model().CheckRecovered(empty);
  ASSERT_TRUE(found.has_value());
  EXPECT_NE(found->find("(30 differences)"), std::string::npos) << *found;
  EXPECT_NE(found->find("; and 20 more"), std::string::npos) << *found;
}

TEST(ReferenceModelTest, AttemptThatDoesNotFitIsReportedByEveryCheck) {
  Driver d;
  d.model().Attempt(1, OrderAcknowledged{"ghost", 1, 1});
  ASSERT_TRUE(d.model().problem().has_value());
  EXPECT_EQ(d.model().CheckRecovered(d.at(0)),
            "P3: the model could not follow the engine: attempt at state_seq 1 "
            "(order_acknowledged) does not fit the model: ack of 'ghost': the model holds no "
            "such order");
}

TEST(ReferenceModelTest, GapInAttemptsIsReported) {
  Driver d;
  d.model().Attempt(2, RiskHalted{"x"});
  ASSERT_TRUE(d.model().problem().has_value());
  EXPECT_NE(d.model().problem()->find("the last attempt was state_seq 0"), std::string::npos);
}

TEST(ReferenceModelTest, ReattemptReplacesAnUndoneAttempt) {
  Driver d;
  d.Commit(RiskHalted{"x"});
  d.model().Acknowledge(1);
  // State_seq 2 is attempted, its WAL append fails and the engine undoes it ...
  d.model().Attempt(2, OrderSubmitted{MakeOrder("lost", "ACME", Side::kBuy, 1, 1)});
  // ... so the next commit is state_seq 2 again.
  d.Commit(RiskResumed{});
  EXPECT_EQ(d.model().problem(), std::nullopt);
  EXPECT_TRUE(d.latest().pending_orders.empty());
  EXPECT_EQ(d.model().CheckRecovered(d.live()), std::nullopt);
}

TEST(ReferenceModelTest, RebaseStartsFromTheRecoveredState) {
  Driver d;
  d.Commit(OrderSubmitted{MakeOrder("o1", "ACME", Side::kBuy, 100, 10)});
  d.Commit(OrderSubmitted{MakeOrder("o2", "ACME", Side::kBuy, 100, 10)});
  // Crash: state_seq 2 was never durable; the engine comes back at 1 and goes on.
  const EngineState recovered = d.at(1);
  ASSERT_EQ(d.model().CheckRecovered(recovered), std::nullopt);
  d.model().Rebase(recovered);
  EXPECT_EQ(d.model().last_acknowledged_seq(), 1u);
  d.model().Attempt(2, OrderAcknowledged{"o1", 4, 1});
  EngineState next = recovered;
  ASSERT_TRUE(system::ApplyStateUpdate(next, OrderAcknowledged{"o1", 4, 1}, 2, 0).ok());
  EXPECT_EQ(d.model().CheckRecovered(next), std::nullopt);
  EXPECT_EQ(d.model().CheckRecovered(d.at(2)).has_value(), true);  // the lost branch
}

TEST(ReferenceModelTest, ConfigIsComparedInTheEngineStateForm) {
  Driver d;
  system::ConfigurationState config;
  config.version = 3;
  d.Commit(ConfigChanged{config});
  EngineState stale = d.live();
  stale.config.version = 2;
  EXPECT_EQ(d.model().CheckRecovered(stale),
            "P3: recovered state at state_seq 1 is not the model after the attempts up to it "
            "(1 differences): config.version: model 3 vs recovered 2");
  EXPECT_EQ(d.model().CheckRecovered(stale.trading), std::nullopt);
}

// --- The cross-check: the model against the real ApplyStateUpdate. ---

// Updates that fit the state they are drawn for, from one seeded Rng: new ids
// to submit, acks and rejects of pending orders, fills within what remains
// with the order's symbol and side (before the ack too), cancels of open
// orders, and now and then the reconciliation, risk, config and strategy
// updates. Small amounts, so nothing overflows.
class ValidUpdates {
 public:
  explicit ValidUpdates(uint64_t seed) : rng_(seed) {}

  StateUpdate Next(const EngineState& state) {
    const TradingState& t = state.trading;
    const uint64_t roll = rng_.Below(100);
    if (roll < 30 && !(t.open_orders.empty() && t.pending_orders.empty())) return FillOf(t);
    if (roll < 42 && !t.pending_orders.empty()) {
      const Order& order = Pick(t.pending_orders);
      return OrderAcknowledged{order.client_order_id, next_exchange_order_id_++, ExchangeSeq()};
    }
    if (roll < 45 && !t.pending_orders.empty()) {
      return OrderRejected{Pick(t.pending_orders).client_order_id, "refused", ExchangeSeq()};
    }
    if (roll < 51 && !t.open_orders.empty()) {
      return CancelRequested{Pick(t.open_orders).client_order_id};
    }
    if (roll < 56 && !t.open_orders.empty()) {
      return CancelAcknowledged{Pick(t.open_orders).client_order_id, ExchangeSeq()};
    }
    if (roll < 58) {
      const Lots lots = rng_.Between(-20, 20);
      return PositionSet{Position{Symbol(), lots, lots * 100, rng_.Between(-50, 50)}};
    }
    if (roll < 60) {
      const Minor total = rng_.Between(-1000, 1000);
      return system::BalanceSet{Balance{Venue(), Currency(), total, total - rng_.Between(0, 9)}};
    }
    if (roll < 62) return RiskHalted{rng_.Chance(1, 3) ? "" : "breaker"};
    if (roll < 64) return RiskResumed{};
    if (roll < 65) {
      system::ConfigurationState config = state.config;
      config.version = ++config_version_;
      config.risk_limits.max_order_lots = rng_.Between(1, 100);
      return ConfigChanged{config};
    }
    if (roll < 68) {
      system::StrategyState strategy;
      strategy.strategy_id = "mm";
      strategy.pnl_minor = rng_.Between(-100, 100);
      return StrategyUpdated{strategy};
    }
    Order order = MakeOrder(fmt::format("o{}", next_id_++), Symbol(),
                            rng_.Chance(1, 2) ? Side::kBuy : Side::kSell, rng_.Between(90, 110),
                            rng_.Between(1, 12));
    order.venue = Venue();
    order.created_ns = rng_.Between(0, 1000);
    return OrderSubmitted{order};
  }

 private:
  StateUpdate FillOf(const TradingState& t) {
    const bool pending = t.open_orders.empty() || (!t.pending_orders.empty() && rng_.Chance(1, 4));
    const Order& order = Pick(pending ? t.pending_orders : t.open_orders);
    FillReceived fill = MakeFill(order, ExchangeSeq(), rng_.Between(80, 120),
                                 rng_.Between(1, order.remaining_lots()), rng_.Between(-2, 5),
                                 pending ? next_exchange_order_id_++ : order.exchange_order_id);
    fill.fill.trade_id = next_trade_id_++;
    fill.fill.maker = rng_.Chance(1, 2);
    // Mostly the venue's currency; sometimes another, so balances gain keys.
    fill.currency = rng_.Chance(1, 10) ? "EUR" : "USD";
    return fill;
  }
  const Order& Pick(const std::map<std::string, Order>& orders) {
    auto it = orders.begin();
    std::advance(it, rng_.Below(orders.size()));
    return it->second;
  }
  // Mostly increasing; now and then 0, as for a report resolved by query.
  Seq ExchangeSeq() { return rng_.Chance(1, 10) ? 0 : ++exchange_seq_; }
  std::string Symbol() {
    return rng_.Chance(1, 2) ? "ACME" : (rng_.Chance(1, 2) ? "BOLT" : "CORE");
  }
  std::string Venue() { return rng_.Chance(3, 4) ? "sim" : "alt"; }
  std::string Currency() { return rng_.Chance(3, 4) ? "USD" : "EUR"; }

  system::Rng rng_;
  uint64_t next_id_ = 1;
  uint64_t next_trade_id_ = 1;
  uint64_t next_exchange_order_id_ = 1;
  uint64_t config_version_ = 0;
  Seq exchange_seq_ = 0;
};

struct CrossCheckCoverage {
  size_t fills = 0;
  size_t crashes = 0;
  size_t undone = 0;
  size_t prefixes_checked = 0;
  size_t lost_checked = 0;     // states before an acknowledged one, found lost (P2)
  bool fills_bounded = false;  // recent_fills reached kRecentFillsMax
  bool flipped = false;        // a fill took a position through zero
};

// A life of `ops` updates: each critical one attempted on the model and
// applied to the real state (now and then its commit "fails" and is undone:
// attempted, not applied). Acknowledgements lag at random. After every update
// the live state must agree; now and then a crash checks every prefix from the
// acknowledged one on, recovers one of them at random, rebases and goes on.
void CrossCheck(uint64_t seed, int ops, CrossCheckCoverage& coverage) {
  SCOPED_TRACE(fmt::format("seed {} (reproduce: CrossCheck({}, {}, ...))", seed, seed, ops));
  ValidUpdates updates(seed);
  system::Rng rng(system::Mix64(seed));
  EngineState live;
  live.trading.account_id = "acct";
  ReferenceModel model;
  model.Rebase(live);
  std::map<Seq, EngineState> unacknowledged{{0, live}};  // from the acknowledged one on
  Seq acknowledged = 0;
  std::optional<EngineState> lost;  // the newest state before the acknowledged one
  for (int op = 0; op < ops; ++op) {
    const StateUpdate update = updates.Next(live);
    const Seq seq =
        system::IsCritical(update) ? live.trading.state_seq + 1 : live.trading.state_seq;
    model.Attempt(seq, update);
    if (system::IsCritical(update) && rng.Chance(1, 50)) {
      ++coverage.undone;  // its WAL append failed: the engine undid it
      continue;
    }
    const Lots before = live.trading.positions.contains("ACME")
                            ? live.trading.positions.at("ACME").quantity_lots
                            : 0;
    ASSERT_TRUE(system::ApplyStateUpdate(live, update, seq, 1000 * seq).ok()) << "op " << op;
    const Lots after = live.trading.positions.contains("ACME")
                           ? live.trading.positions.at("ACME").quantity_lots
                           : 0;
    if (std::holds_alternative<FillReceived>(update)) {
      ++coverage.fills;
      if ((before > 0 && after < 0) || (before < 0 && after > 0)) coverage.flipped = true;
    }
    if (live.trading.recent_fills.size() == TradingState::kRecentFillsMax) {
      coverage.fills_bounded = true;
    }
    unacknowledged[live.trading.state_seq] = live;
    if (rng.Chance(1, 2)) {
      acknowledged = rng.Between(acknowledged, live.trading.state_seq);
      model.Acknowledge(acknowledged);
      const auto kept = unacknowledged.find(acknowledged);
      if (kept != unacknowledged.begin()) lost = std::prev(kept)->second;
      unacknowledged.erase(unacknowledged.begin(), unacknowledged.find(acknowledged));
    }
    ASSERT_EQ(model.CheckRecovered(live), std::nullopt) << "op " << op;
    if (!rng.Chance(1, 40)) continue;
    ++coverage.crashes;
    for (const auto& [prefix_seq, state] : unacknowledged) {
      ASSERT_EQ(model.CheckRecovered(state), std::nullopt)
          << "op " << op << " prefix " << prefix_seq;
      ++coverage.prefixes_checked;
    }
    if (lost && lost->trading.state_seq < acknowledged) {
      const std::optional<std::string> found = model.CheckRecovered(*lost);
      ASSERT_TRUE(found.has_value() && found->starts_with("P2: ")) << "op " << op;
      ++coverage.lost_checked;
    }
    auto recovered = unacknowledged.begin();
    std::advance(recovered, rng.Below(unacknowledged.size()));
    live = recovered->second;
    model.Rebase(live);
    unacknowledged = {{live.trading.state_seq, live}};
    acknowledged = live.trading.state_seq;
  }
}

TEST(ReferenceModelCrossCheck, AgreesWithApplyStateUpdateAtEveryPrefix) {
  CrossCheckCoverage coverage;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    CrossCheck(seed, 3000, coverage);
    if (HasFatalFailure()) return;
  }
  // The run exercised what it claims to.
  EXPECT_GT(coverage.fills, 5000u);
  EXPECT_GT(coverage.crashes, 400u);
  EXPECT_GT(coverage.undone, 250u);
  EXPECT_GT(coverage.prefixes_checked, 1500u);
  EXPECT_GT(coverage.lost_checked, 300u);
  EXPECT_TRUE(coverage.fills_bounded);
  EXPECT_TRUE(coverage.flipped);
}

}  // namespace
}  // namespace crashdrill::scenarios

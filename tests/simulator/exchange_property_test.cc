// Properties of the matching engine over generated order flows (plus, where noted,
// the seeded background market). Reproduce a failure with the RC_PARAMS line
// RapidCheck prints.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "simulator/exchange.h"
#include "simulator/market.h"
#include "tests/simulator/exchange_helpers.h"

namespace crashdrill::simulator {
namespace {

using testing::FlowOp;

rc::Gen<FlowOp> GenFlowOp() {
  return rc::gen::build<FlowOp>(rc::gen::set(&FlowOp::account, rc::gen::inRange(0, 4)),
                                rc::gen::set(&FlowOp::kind, rc::gen::inRange(0, 10)),
                                rc::gen::set(&FlowOp::symbol, rc::gen::inRange(0, 2)),
                                rc::gen::set(&FlowOp::side, rc::gen::inRange(0, 2)),
                                rc::gen::set(&FlowOp::price, rc::gen::inRange(0, 21)),
                                rc::gen::set(&FlowOp::lots, rc::gen::inRange(0, 13)),
                                rc::gen::set(&FlowOp::id, rc::gen::inRange(0, 41)));
}

rc::Gen<std::vector<FlowOp>> GenFlow() {
  return rc::gen::container<std::vector<FlowOp>>(GenFlowOp());
}

// Applies `flow`, interleaving `market_steps_per_op` background actions after each
// op, and runs `check` after every step; returns the first violation.
template <typename Check>
std::string RunFlow(Exchange& exchange, Market* market, const std::vector<FlowOp>& flow,
                    int market_steps_per_op, Check check) {
  system::TimeNs now_ns = 0;
  for (const FlowOp& op : flow) {
    testing::Apply(exchange, op, now_ns += 1000);
    for (int i = 0; market != nullptr && i < market_steps_per_op; ++i) market->Step(now_ns += 10);
    if (std::string problem = check(exchange); !problem.empty()) return problem;
  }
  testing::CountFlow(exchange);
  return "";
}

RC_GTEST_PROP(ExchangeProperty, BookIsNeverCrossedAfterMatching, ()) {
  Exchange exchange(testing::SmallConfig());
  const auto flow = *GenFlow();
  RC_ASSERT(RunFlow(exchange, nullptr, flow, 0, testing::CheckNotCrossed) == "");
}

RC_GTEST_PROP(ExchangeProperty, RestingOrdersKeepPriceTimePriority, ()) {
  Exchange exchange(testing::SmallConfig());
  const auto flow = *GenFlow();
  RC_ASSERT(RunFlow(exchange, nullptr, flow, 0, testing::CheckPriceTimePriority) == "");
}

RC_GTEST_PROP(ExchangeProperty, PositionsAndCashAreConservedUnderAnyFlow, ()) {
  Exchange exchange(testing::SmallConfig());
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  Market market(exchange, MarketConfig{}, seed);
  const auto flow = *GenFlow();
  const int steps = *rc::gen::inRange(0, 4);
  RC_ASSERT(RunFlow(exchange, &market, flow, steps, testing::CheckConservation) == "");
}

RC_GTEST_PROP(ExchangeProperty, EveryFillIsReportedOnceToEachCounterparty, ()) {
  Exchange exchange(testing::SmallConfig());
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  Market market(exchange, MarketConfig{}, seed);
  const auto flow = *GenFlow();
  RC_ASSERT(RunFlow(exchange, &market, flow, 2, [](const Exchange&) { return std::string(); }) ==
            "");
  RC_ASSERT(testing::CheckEachFillOncePerCounterparty(exchange) == "");
}

RC_GTEST_PROP(ExchangeProperty, OpenOrdersEqualTheAccountsRestingOrders, ()) {
  Exchange exchange(testing::SmallConfig());
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  Market market(exchange, MarketConfig{}, seed);
  const auto flow = *GenFlow();
  RC_ASSERT(RunFlow(exchange, &market, flow, 1, testing::CheckOpenOrdersMatchBook) == "");
}

RC_GTEST_PROP(ExchangeProperty, SameSeedAndInputsGiveTheSameEventLogHash, ()) {
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  const auto flow = *GenFlow();
  const int steps = *rc::gen::inRange(0, 4);
  auto run = [&] {
    Exchange exchange(testing::SmallConfig());
    Market market(exchange, MarketConfig{}, seed);
    RunFlow(exchange, &market, flow, steps, [](const Exchange&) { return std::string(); });
    return std::make_pair(exchange.EventLogHash(), exchange.last_exchange_seq());
  };
  RC_ASSERT(run() == run());
}

RC_GTEST_PROP(ExchangeProperty, FillsSinceSeqAreExactlyTheAccountsLaterFills, ()) {
  Exchange exchange(testing::SmallConfig());
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  Market market(exchange, MarketConfig{}, seed);
  const auto flow = *GenFlow();
  RunFlow(exchange, &market, flow, 2, [](const Exchange&) { return std::string(); });
  const auto after =
      static_cast<system::Seq>(*rc::gen::inRange<uint64_t>(0, exchange.last_exchange_seq() + 1));
  for (AccountId a = 0; a < exchange.AccountCount(); ++a) {
    if (!exchange.account(a).keep_history) continue;
    std::vector<system::Fill> expected;
    for (const Event& event : exchange.event_log()) {
      if (event.account == a && event.IsFill() && event.exchange_seq > after) {
        expected.push_back(exchange.ToReport(event).fill);
      }
    }
    const auto fills = exchange.FillsSince(a, after, SIZE_MAX);
    RC_ASSERT(fills.ok());
    RC_ASSERT(*fills == expected);
  }
}

// The oracle sums the open orders of every account, not the book's own queues.
std::vector<system::BookLevel> ExpectedLevels(const Exchange& exchange, const std::string& symbol,
                                              system::Side side, size_t depth) {
  std::map<system::Ticks, system::Lots> lots_by_price;
  for (AccountId a = 0; a < exchange.AccountCount(); ++a) {
    for (const system::Order& order : exchange.OpenOrders(a)) {
      if (order.symbol != symbol || order.side != side) continue;
      lots_by_price[order.price_ticks] += order.quantity_lots - order.filled_lots;
    }
  }
  std::vector<system::BookLevel> levels;
  for (const auto& [price, lots] : lots_by_price) levels.push_back({price, lots});
  if (side == system::Side::kBuy) std::reverse(levels.begin(), levels.end());
  if (levels.size() > depth) levels.resize(depth);
  return levels;
}

RC_GTEST_PROP(ExchangeProperty, BookIsTheOpenOrdersSummedPerPriceBestFirst, ()) {
  Exchange exchange(testing::SmallConfig());
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  Market market(exchange, MarketConfig{}, seed);
  const auto flow = *GenFlow();
  RunFlow(exchange, &market, flow, 2, [](const Exchange&) { return std::string(); });
  const auto depth = *rc::gen::inRange<size_t>(0, 30);
  for (const SymbolSpec& spec : exchange.symbols()) {
    const auto book = exchange.BookOf(spec.name, depth);
    RC_ASSERT(book.ok());
    RC_ASSERT(book->exchange_seq == exchange.last_exchange_seq());
    RC_ASSERT(book->bids == ExpectedLevels(exchange, spec.name, system::Side::kBuy, depth));
    RC_ASSERT(book->asks == ExpectedLevels(exchange, spec.name, system::Side::kSell, depth));
  }
}

class TotalsPrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    const auto& totals = testing::Totals();
    std::cout << "[simulator properties] " << totals.cases << " generated flows, " << totals.orders
              << " orders, " << totals.fills << " fills exercised\n";
  }
};
const auto* const kTotalsPrinter = ::testing::AddGlobalTestEnvironment(new TotalsPrinter);

}  // namespace
}  // namespace crashdrill::simulator

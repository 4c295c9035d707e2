#include "tests/simulator/exchange_helpers.h"

#include <map>
#include <set>
#include <utility>

namespace crashdrill::simulator::testing {

using system::ExecType;
using system::OrderType;
using system::Side;

ExchangeConfig SmallConfig() {
  ExchangeConfig config;
  config.symbols = {{"ACME", 1, 1, 100}, {"BOLT", 5, 10, 500}};
  config.maker_fee_per_million = -100;
  config.taker_fee_per_million = 300;
  return config;
}

system::NewOrder OfType(OrderType type, std::string id, std::string symbol, Side side,
                        system::Ticks price_ticks, system::Lots lots) {
  system::NewOrder order;
  order.client_order_id = std::move(id);
  order.symbol = std::move(symbol);
  order.side = side;
  order.type = type;
  order.price_ticks = price_ticks;
  order.quantity_lots = lots;
  return order;
}

system::NewOrder Limit(std::string id, std::string symbol, Side side, system::Ticks price_ticks,
                       system::Lots lots) {
  return OfType(OrderType::kLimit, std::move(id), std::move(symbol), side, price_ticks, lots);
}

void Apply(Exchange& exchange, const FlowOp& op, system::TimeNs now_ns) {
  const AccountId account =
      exchange.OpenAccount("trader-" + std::to_string(op.account), 1'000'000'000);
  const std::string id = "c" + std::to_string(op.id);
  if (op.kind <= 1) {
    exchange.Cancel(account, id, now_ns);
    return;
  }
  const SymbolSpec& spec = exchange.symbols()[op.symbol % exchange.symbols().size()];
  const Side side = op.side == 0 ? Side::kBuy : Side::kSell;
  system::Ticks price = spec.initial_fair_ticks + (op.price - 10) * spec.price_increment_ticks;
  if (op.price == 0) price += 1;  // off tick for BOLT; a plain price for ACME
  system::Lots lots = op.lots * spec.lot_increment_lots;
  if (op.lots == 0) lots = 3;  // off lot for BOLT
  OrderType type = OrderType::kLimit;
  if (op.kind == 2) {
    type = OrderType::kMarket;
    price = 0;
  } else if (op.kind <= 4) {
    type = OrderType::kImmediateOrCancel;
  }
  exchange.Submit(account, OfType(type, id, spec.name, side, price, lots), now_ns);
}

std::string CheckNotCrossed(const Exchange& exchange) {
  for (SymbolId s = 0; s < exchange.symbols().size(); ++s) {
    const auto bid = exchange.book(s).BestBid();
    const auto ask = exchange.book(s).BestAsk();
    if (bid && ask && *bid >= *ask) {
      return exchange.symbols()[s].name + " crossed: bid " + std::to_string(*bid) + " >= ask " +
             std::to_string(*ask);
    }
  }
  return "";
}

std::string CheckPriceTimePriority(const Exchange& exchange) {
  for (SymbolId s = 0; s < exchange.symbols().size(); ++s) {
    for (Side side : {Side::kBuy, Side::kSell}) {
      const OrderRecord* previous = nullptr;
      for (uint64_t id : exchange.book(s).OrdersInPriority(side)) {
        const OrderRecord* order = exchange.FindOrder(id);
        if (order == nullptr || order->state != system::OrderState::kOpen) {
          return "book holds order " + std::to_string(id) + " that is not open";
        }
        if (previous != nullptr) {
          const bool better = side == Side::kBuy ? order->price_ticks > previous->price_ticks
                                                 : order->price_ticks < previous->price_ticks;
          const bool same_price = order->price_ticks == previous->price_ticks;
          if (better || (same_price && order->id < previous->id)) {
            return "order " + std::to_string(id) + " queued behind a worse or younger order";
          }
        }
        previous = order;
      }
    }
  }
  return "";
}

std::string CheckConservation(const Exchange& exchange) {
  system::Minor cash_minor = 0;
  system::Minor deposited_minor = 0;
  std::vector<system::Lots> net_lots(exchange.symbols().size(), 0);
  for (AccountId a = 0; a < exchange.AccountCount(); ++a) {
    const Account& account = exchange.account(a);
    cash_minor += account.cash_minor;
    deposited_minor += account.deposited_minor;
    for (size_t s = 0; s < account.positions.size(); ++s) {
      net_lots[s] += account.positions[s].quantity_lots;
    }
  }
  if (cash_minor != deposited_minor) {
    return "cash " + std::to_string(cash_minor) + " != deposits " + std::to_string(deposited_minor);
  }
  for (size_t s = 0; s < net_lots.size(); ++s) {
    if (net_lots[s] != 0) return "net position of symbol " + std::to_string(s) + " is not zero";
  }
  return "";
}

std::string CheckEachFillOncePerCounterparty(const Exchange& exchange) {
  std::map<uint64_t, std::vector<const Event*>> by_trade;
  for (const Event& event : exchange.event_log()) {
    if (event.IsFill()) by_trade[event.trade_id].push_back(&event);
  }
  uint64_t expected_trade_id = 1;
  for (const auto& [trade_id, events] : by_trade) {
    if (trade_id != expected_trade_id++) return "trade ids are not 1..N";
    if (events.size() != 2) return "trade " + std::to_string(trade_id) + " not reported twice";
    const Event& a = *events[0];
    const Event& b = *events[1];
    if (a.account == b.account || a.side == b.side || a.maker == b.maker ||
        a.fill_lots != b.fill_lots || a.fill_price_ticks != b.fill_price_ticks) {
      return "trade " + std::to_string(trade_id) + " reports disagree";
    }
  }
  if (by_trade.size() != exchange.counters().trades) return "trade count mismatch";
  return "";
}

std::string CheckOpenOrdersMatchBook(const Exchange& exchange) {
  std::map<std::string, std::set<uint64_t>> in_book;
  for (SymbolId s = 0; s < exchange.symbols().size(); ++s) {
    for (Side side : {Side::kBuy, Side::kSell}) {
      for (uint64_t id : exchange.book(s).OrdersInPriority(side)) {
        in_book[exchange.account(exchange.FindOrder(id)->account).name].insert(id);
      }
    }
  }
  for (AccountId a = 0; a < exchange.AccountCount(); ++a) {
    std::set<uint64_t> open;
    for (const system::Order& order : exchange.OpenOrders(a)) open.insert(order.exchange_order_id);
    if (open != in_book[exchange.account(a).name]) {
      return "open orders of " + exchange.account(a).name + " differ from the book";
    }
  }
  return "";
}

FlowTotals& Totals() {
  static FlowTotals totals;
  return totals;
}

void CountFlow(const Exchange& exchange) {
  Totals().orders += exchange.counters().orders_submitted;
  Totals().fills += exchange.counters().trades;
  ++Totals().cases;
}

}  // namespace crashdrill::simulator::testing

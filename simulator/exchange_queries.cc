// The read side of the Exchange: recovery queries and report conversion.
#include <algorithm>

#include "simulator/exchange.h"

namespace crashdrill::simulator {

using system::ExecutionReport;
using system::OrderState;
using system::Seq;

std::vector<system::Position> Exchange::Positions(AccountId account_id) const {
  const Account& account = accounts_.at(account_id);
  std::vector<system::Position> out;
  for (size_t i = 0; i < account.positions.size(); ++i) {
    const PositionRecord& record = account.positions[i];
    if (record.quantity_lots == 0 && record.cost_minor == 0 && record.realized_pnl_minor == 0) {
      continue;
    }
    out.push_back({config_.symbols[i].name, record.quantity_lots, record.cost_minor,
                   record.realized_pnl_minor});
  }
  return out;
}

system::Balance Exchange::BalanceOf(AccountId account_id) const {
  const Account& account = accounts_.at(account_id);
  system::Minor reserved_minor = 0;
  for (uint64_t id : account.open_orders) {
    const OrderRecord& order = orders_.at(id);
    if (order.side == system::Side::kBuy) {
      reserved_minor += order.price_ticks * (order.quantity_lots - order.filled_lots);
    }
  }
  return {config_.venue_name, config_.currency, account.cash_minor,
          account.cash_minor - reserved_minor};
}

system::Order Exchange::ToOrder(const OrderRecord& record) const {
  system::Order order;
  order.client_order_id = record.client_order_id;
  order.exchange_order_id = record.id;
  order.symbol = config_.symbols[record.symbol].name;
  order.venue = config_.venue_name;
  order.side = record.side;
  order.type = record.type;
  order.price_ticks = record.price_ticks;
  order.quantity_lots = record.quantity_lots;
  order.filled_lots = record.filled_lots;
  order.created_ns = record.created_ns;
  order.updated_ns = record.updated_ns;
  return order;
}

std::vector<system::Order> Exchange::OpenOrders(AccountId account_id) const {
  std::vector<system::Order> out;
  for (uint64_t id : accounts_.at(account_id).open_orders) out.push_back(ToOrder(orders_.at(id)));
  return out;
}

system::Result<system::VenueOrder> Exchange::OrderOf(AccountId account_id,
                                                     std::string_view client_order_id) const {
  const Account& account = accounts_.at(account_id);
  auto found = account.client_order_ids.find(client_order_id);
  if (found == account.client_order_ids.end()) {
    return system::Status::Error(system::StatusCode::kNotFound, "query_order",
                                 std::string(client_order_id), "the account has no such order");
  }
  const OrderRecord& record = orders_.at(found->second);
  return system::VenueOrder{ToOrder(record), record.state, record.last_exchange_seq};
}

system::Status Exchange::CheckKept(const Account& account, Seq after_exchange_seq) const {
  if (after_exchange_seq >= account.trimmed_through_exchange_seq) return system::Status::Ok();
  return system::Status::Error(
      system::StatusCode::kFailedPrecondition, "query_reports_since", account.name,
      "reports up to exchange_seq " + std::to_string(account.trimmed_through_exchange_seq) +
          " are no longer kept; asked from " + std::to_string(after_exchange_seq));
}

std::deque<Event>::const_iterator Exchange::FirstAfter(const Account& account,
                                                       Seq after_exchange_seq) const {
  return std::upper_bound(account.history.begin(), account.history.end(), after_exchange_seq,
                          [](Seq seq, const Event& event) { return seq < event.exchange_seq; });
}

system::Result<std::vector<ExecutionReport>> Exchange::ReportsSince(AccountId account_id,
                                                                    Seq after_exchange_seq,
                                                                    size_t max_count) const {
  const Account& account = accounts_.at(account_id);
  CD_RETURN_IF_ERROR(CheckKept(account, after_exchange_seq));
  std::vector<ExecutionReport> out;
  for (auto it = FirstAfter(account, after_exchange_seq);
       it != account.history.end() && out.size() < max_count; ++it) {
    out.push_back(ToReport(*it));
  }
  return out;
}

system::Result<std::vector<system::Fill>> Exchange::FillsSince(AccountId account_id,
                                                               Seq after_exchange_seq,
                                                               size_t max_count) const {
  const Account& account = accounts_.at(account_id);
  CD_RETURN_IF_ERROR(CheckKept(account, after_exchange_seq));
  std::vector<system::Fill> out;
  for (auto it = FirstAfter(account, after_exchange_seq);
       it != account.history.end() && out.size() < max_count; ++it) {
    if (it->IsFill()) out.push_back(ToReport(*it).fill);
  }
  return out;
}

std::vector<ExecutionReport> Exchange::ReportsAfter(AccountId account_id, Seq after,
                                                    size_t max_count) const {
  const Account& account = accounts_.at(account_id);
  std::vector<ExecutionReport> out;
  if (account.history.empty()) return out;
  const Seq first = account.history.front().account_report_seq;
  size_t index = after + 1 >= first ? static_cast<size_t>(after + 1 - first) : 0;
  for (; index < account.history.size() && out.size() < max_count; ++index) {
    out.push_back(ToReport(account.history[index]));
  }
  return out;
}

Seq Exchange::LastReportSeq(AccountId account_id) const {
  return accounts_.at(account_id).next_report_seq - 1;
}

system::Result<system::BookSnapshot> Exchange::BookOf(std::string_view symbol, size_t depth) const {
  const std::optional<SymbolId> id = FindSymbol(symbol);
  if (!id) {
    return system::Status::Error(system::StatusCode::kNotFound, "query_book", std::string(symbol),
                                 "the exchange lists no such symbol");
  }
  system::BookSnapshot snapshot;
  snapshot.symbol = config_.symbols[*id].name;
  snapshot.exchange_seq = last_exchange_seq();
  const auto aggregate = [&](std::vector<system::BookLevel>& out) {
    return [&](system::Ticks price_ticks, const OrderBook::Queue& queue) {
      system::Lots lots = 0;
      for (uint64_t order_id : queue) {
        const OrderRecord& order = orders_.at(order_id);
        lots += order.quantity_lots - order.filled_lots;
      }
      out.push_back({price_ticks, lots});
    };
  };
  const OrderBook& book = books_.at(*id);
  snapshot.bids.reserve(std::min(depth, book.LevelCount(system::Side::kBuy)));
  snapshot.asks.reserve(std::min(depth, book.LevelCount(system::Side::kSell)));
  book.VisitLevels(system::Side::kBuy, depth, aggregate(snapshot.bids));
  book.VisitLevels(system::Side::kSell, depth, aggregate(snapshot.asks));
  return snapshot;
}

ExecutionReport Exchange::ToReport(const Event& event) const {
  ExecutionReport report;
  report.exchange_seq = event.exchange_seq;
  report.account_report_seq = event.account_report_seq;
  report.type = event.type;
  report.reason = event.reason;
  report.client_order_id = event.client_order_id;
  report.exchange_order_id = event.exchange_order_id;
  if (event.symbol != kNoSymbol) report.symbol = config_.symbols[event.symbol].name;
  report.side = event.side;
  report.order_type = event.order_type;
  report.price_ticks = event.price_ticks;
  report.quantity_lots = event.quantity_lots;
  report.filled_lots = event.filled_lots;
  report.leaves_lots = event.leaves_lots;
  report.exchange_time_ns = event.time_ns;
  if (event.IsFill()) {
    system::Fill& fill = report.fill;
    fill.exchange_seq = event.exchange_seq;
    fill.trade_id = event.trade_id;
    fill.client_order_id = event.client_order_id;
    fill.exchange_order_id = event.exchange_order_id;
    fill.symbol = report.symbol;
    fill.side = event.side;
    fill.price_ticks = event.fill_price_ticks;
    fill.quantity_lots = event.fill_lots;
    fill.fee_minor = event.fee_minor;
    fill.maker = event.maker;
    fill.exchange_time_ns = event.time_ns;
  }
  return report;
}

}  // namespace crashdrill::simulator

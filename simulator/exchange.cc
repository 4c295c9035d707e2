#include "simulator/exchange.h"

#include <algorithm>
#include <cassert>
#include <set>
#include <string_view>
#include <utility>

namespace crashdrill::simulator {

using system::ExecType;
using system::Lots;
using system::Minor;
using system::OrderState;
using system::OrderType;
using system::RejectReason;
using system::Seq;
using system::Side;
using system::Ticks;
using system::TimeNs;

namespace {
std::string ClippedId(std::string_view id) {
  return std::string(id.substr(0, system::kMaxClientOrderIdBytes));
}

// Removes `id` from an account's open orders; false if it was not there. (A find
// and an erase of the iterator: erase by key walks a whole equal_range.)
bool EraseOpenOrder(std::set<uint64_t>& open_orders, uint64_t id) {
  const auto it = open_orders.find(id);
  if (it == open_orders.end()) return false;
  open_orders.erase(it);
  return true;
}
}  // namespace

Exchange::Exchange(ExchangeConfig config) : config_(std::move(config)) {
  books_.resize(config_.symbols.size());
  fee_account_ = OpenAccount(kFeeAccountName, 0, /*keep_history=*/false);
}

AccountId Exchange::OpenAccount(std::string_view name, Minor deposit_minor, bool keep_history) {
  if (auto existing = FindAccount(name)) return *existing;
  const auto id = static_cast<AccountId>(accounts_.size());
  Account account;
  account.name = std::string(name);
  account.cash_minor = deposit_minor;
  account.deposited_minor = deposit_minor;
  account.keep_history = keep_history;
  account.positions.resize(config_.symbols.size());
  accounts_.push_back(std::move(account));
  account_ids_.emplace(std::string(name), id);
  return id;
}

std::optional<AccountId> Exchange::FindAccount(std::string_view name) const {
  auto it = account_ids_.find(name);
  if (it == account_ids_.end()) return std::nullopt;
  return it->second;
}

std::optional<SymbolId> Exchange::FindSymbol(std::string_view name) const {
  for (size_t i = 0; i < config_.symbols.size(); ++i) {
    if (config_.symbols[i].name == name) return static_cast<SymbolId>(i);
  }
  return std::nullopt;
}

const OrderRecord* Exchange::FindOrder(uint64_t exchange_order_id) const {
  auto it = orders_.find(exchange_order_id);
  return it == orders_.end() ? nullptr : &it->second;
}

RejectReason Exchange::Validate(const Account& account, const system::NewOrder& order,
                                SymbolId* symbol) const {
  if (order.client_order_id.empty() ||
      order.client_order_id.size() > system::kMaxClientOrderIdBytes) {
    return RejectReason::kInvalidClientOrderId;
  }
  if (account.client_order_ids.contains(order.client_order_id)) {
    return RejectReason::kDuplicateClientOrderId;
  }
  const auto found = FindSymbol(order.symbol);
  if (!found) return RejectReason::kUnknownSymbol;
  *symbol = *found;
  const SymbolSpec& spec = config_.symbols[*found];
  if (order.type == OrderType::kMarket) {
    if (order.price_ticks != 0) return RejectReason::kInvalidPrice;
  } else {
    if (order.price_ticks <= 0 || order.price_ticks > kMaxPriceTicks) {
      return RejectReason::kInvalidPrice;
    }
    if (order.price_ticks % spec.price_increment_ticks != 0) return RejectReason::kPriceNotOnTick;
  }
  if (order.quantity_lots <= 0 || order.quantity_lots > kMaxQuantityLots) {
    return RejectReason::kInvalidQuantity;
  }
  if (order.quantity_lots % spec.lot_increment_lots != 0) return RejectReason::kQuantityNotOnLot;
  if (account.client_order_ids.size() >= config_.orders_per_account_max) {
    return RejectReason::kTooManyOrders;
  }
  return RejectReason::kNone;
}

void Exchange::Submit(AccountId account_id, const system::NewOrder& order, TimeNs now_ns) {
  Account& account = accounts_.at(account_id);
  ++counters_.orders_submitted;
  SymbolId symbol = kNoSymbol;
  const RejectReason reason = Validate(account, order, &symbol);
  if (reason != RejectReason::kNone) {
    ++counters_.orders_rejected;
    if (reason == RejectReason::kDuplicateClientOrderId) {
      ++counters_.duplicate_client_order_ids;
      ++account.duplicate_client_order_ids;
    }
    Event event;
    event.account = account_id;
    event.symbol = symbol;
    event.type = ExecType::kReject;
    event.reason = reason;
    event.side = order.side;
    event.order_type = order.type;
    event.price_ticks = order.price_ticks;
    event.quantity_lots = order.quantity_lots;
    event.time_ns = now_ns;
    event.client_order_id = ClippedId(order.client_order_id);
    Emit(std::move(event));
    return;
  }
  const uint64_t id = next_order_id_++;
  OrderRecord& record = orders_[id];
  record.id = id;
  record.account = account_id;
  record.symbol = symbol;
  record.side = order.side;
  record.type = order.type;
  record.price_ticks = order.price_ticks;
  record.quantity_lots = order.quantity_lots;
  record.created_ns = record.updated_ns = now_ns;
  record.client_order_id = order.client_order_id;
  account.client_order_ids.emplace(order.client_order_id, id);
  record.last_exchange_seq = Emit(OrderEvent(record, ExecType::kNewAck, now_ns));
  Match(record, now_ns);
  if (record.state == OrderState::kOpen) {
    if (record.type == OrderType::kLimit) {
      record.book_position = books_[symbol].Rest(record.side, record.price_ticks, id);
      // Order ids only grow, so a new open order always goes at the end.
      account.open_orders.emplace_hint(account.open_orders.end(), id);
      return;
    }
    CloseOrder(record, RejectReason::kRemainderCancelled, now_ns);
  }
  Forget(record);
}

void Exchange::Match(OrderRecord& taker, TimeNs now_ns) {
  OrderBook& book = books_[taker.symbol];
  const Side opposite = taker.side == Side::kBuy ? Side::kSell : Side::kBuy;
  while (taker.filled_lots < taker.quantity_lots) {
    Ticks level_ticks = 0;
    const auto maker_id = book.Front(opposite, &level_ticks);
    if (!maker_id) return;
    if (taker.type != OrderType::kMarket) {
      if (taker.side == Side::kBuy && level_ticks > taker.price_ticks) return;
      if (taker.side == Side::kSell && level_ticks < taker.price_ticks) return;
    }
    OrderRecord& maker = orders_.at(*maker_id);
    if (maker.account == taker.account) {
      ++counters_.self_trades_prevented;
      CloseOrder(maker, RejectReason::kSelfTradePrevented, now_ns);
      Forget(maker);
      continue;
    }
    const Lots lots =
        std::min(maker.quantity_lots - maker.filled_lots, taker.quantity_lots - taker.filled_lots);
    Trade(maker, taker, lots, now_ns);
  }
}

void Exchange::Trade(OrderRecord& maker, OrderRecord& taker, Lots lots, TimeNs now_ns) {
  ++counters_.trades;
  const Ticks price_ticks = maker.price_ticks;
  const Minor notional_minor = price_ticks * lots;
  const uint64_t trade_id = next_trade_id_++;
  const bool maker_done = maker.filled_lots + lots == maker.quantity_lots;
  if (maker_done) {
    books_[maker.symbol].Remove(maker.side, maker.price_ticks, maker.book_position);
    EraseOpenOrder(accounts_[maker.account].open_orders, maker.id);
  }
  for (OrderRecord* order : {&maker, &taker}) {
    const bool is_maker = order == &maker;
    const Minor fee_minor = FeeFor(
        notional_minor, is_maker ? config_.maker_fee_per_million : config_.taker_fee_per_million);
    Account& account = accounts_[order->account];
    const bool buy = order->side == Side::kBuy;
    account.cash_minor -= (buy ? notional_minor : -notional_minor) + fee_minor;
    accounts_[fee_account_].cash_minor += fee_minor;
    ApplyToPosition(account.positions[order->symbol], buy ? lots : -lots, price_ticks);
    order->filled_lots += lots;
    const bool done = order->filled_lots == order->quantity_lots;
    if (done) order->state = OrderState::kFilled;
    Event event = OrderEvent(*order, done ? ExecType::kFill : ExecType::kPartialFill, now_ns);
    event.maker = is_maker;
    event.trade_id = trade_id;
    event.fill_price_ticks = price_ticks;
    event.fill_lots = lots;
    event.fee_minor = fee_minor;
    order->updated_ns = now_ns;
    order->last_exchange_seq = Emit(std::move(event));
  }
  if (maker_done) Forget(maker);
}

void Exchange::CloseOrder(OrderRecord& order, RejectReason reason, TimeNs now_ns) {
  const bool resting = EraseOpenOrder(accounts_[order.account].open_orders, order.id);
  if (resting) books_[order.symbol].Remove(order.side, order.price_ticks, order.book_position);
  order.state = OrderState::kCancelled;
  order.updated_ns = now_ns;
  Event event = OrderEvent(order, ExecType::kCancelAck, now_ns);
  event.reason = reason;
  event.leaves_lots = 0;
  order.last_exchange_seq = Emit(std::move(event));
}

void Exchange::Forget(OrderRecord& order) {
  Account& account = accounts_[order.account];
  if (account.keep_history || order.state == OrderState::kOpen) return;
  account.client_order_ids.erase(order.client_order_id);
  orders_.erase(order.id);
}

void Exchange::Cancel(AccountId account_id, std::string_view client_order_id, TimeNs now_ns) {
  Account& account = accounts_.at(account_id);
  auto found = account.client_order_ids.find(client_order_id);
  if (found == account.client_order_ids.end() ||
      orders_.at(found->second).state != OrderState::kOpen) {
    ++counters_.cancels_rejected;
    Event event;
    if (found != account.client_order_ids.end()) {
      event = OrderEvent(orders_.at(found->second), ExecType::kCancelReject, now_ns);
      event.reason = RejectReason::kOrderClosed;
    } else {
      event.account = account_id;
      event.type = ExecType::kCancelReject;
      event.reason = RejectReason::kUnknownOrder;
      event.time_ns = now_ns;
      event.client_order_id = ClippedId(client_order_id);
    }
    Emit(std::move(event));
    return;
  }
  ++counters_.cancels_acked;
  OrderRecord& order = orders_.at(found->second);
  CloseOrder(order, RejectReason::kCanceledByClient, now_ns);
  Forget(order);
}

Event Exchange::OrderEvent(const OrderRecord& order, ExecType type, TimeNs now_ns) const {
  Event event;
  event.account = order.account;
  event.symbol = order.symbol;
  event.type = type;
  event.side = order.side;
  event.order_type = order.type;
  event.exchange_order_id = order.id;
  event.price_ticks = order.price_ticks;
  event.quantity_lots = order.quantity_lots;
  event.filled_lots = order.filled_lots;
  event.leaves_lots =
      order.state == OrderState::kOpen ? order.quantity_lots - order.filled_lots : 0;
  event.time_ns = now_ns;
  event.client_order_id = order.client_order_id;
  return event;
}

Seq Exchange::Emit(Event event) {
  const Seq seq = next_exchange_seq_++;
  Account& account = accounts_[event.account];
  event.exchange_seq = seq;
  event.account_report_seq = account.next_report_seq++;
  hasher_.Add(event);
  if (account.keep_history) {
    account.history.push_back(event);
    if (account.history.size() > config_.report_history_per_account) {
      account.trimmed_through_exchange_seq = account.history.front().exchange_seq;
      account.history.pop_front();
    }
  }
  event_log_.push_back(std::move(event));
  if (event_log_.size() > config_.event_log_retained) {
    event_log_.pop_front();
    ++events_trimmed_;
  }
  return seq;
}

}  // namespace crashdrill::simulator

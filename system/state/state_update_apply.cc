// How each StateUpdate changes an EngineState, in place: every check comes
// before the first change, so a refused update leaves the state as it was.
// Fill accounting is exact
// integer arithmetic: a position's cost is the signed notional of its open
// lots; closing lots removes their proportional share of the cost (rounded
// toward zero) and realizes the difference.
#include <cstdlib>

#include <fmt/format.h>

#include "system/state/state_update.h"

namespace crashdrill::system {
namespace {

Status DoesNotFit(std::string_view what, std::string_view id) {
  return Status::Error(StatusCode::kFailedPrecondition, "apply", id,
                       fmt::format("{}: no such order in the state", what));
}

// Moves `lots` (signed: + bought, - sold) at `price` into the position and
// returns the profit or loss it realizes.
Minor MovePosition(Position& p, Lots lots, Ticks price) {
  Minor realized = 0;
  const bool reduces = p.quantity_lots != 0 && ((p.quantity_lots > 0) != (lots > 0));
  if (reduces) {
    const Lots closing = std::min(std::llabs(p.quantity_lots), std::llabs(lots));
    const Minor cost_removed = p.cost_minor * closing / std::llabs(p.quantity_lots);
    const Lots closing_signed = p.quantity_lots > 0 ? closing : -closing;
    // Long: sold `closing` at price. Short: bought back `closing` at price.
    realized = closing_signed * price - cost_removed;
    p.cost_minor -= cost_removed;
    p.quantity_lots -= closing_signed;
    lots += closing_signed;  // what is left opens a position the other way
  }
  p.quantity_lots += lots;
  p.cost_minor += lots * price;
  p.realized_pnl_minor += realized;
  return realized;
}

void MoveCash(TradingState& t, const std::string& venue, const std::string& currency,
              Minor delta) {
  Balance& balance = t.balances[BalanceKey(venue, currency)];
  balance.venue = venue;
  balance.currency = currency;
  balance.total_minor += delta;
  balance.available_minor += delta;
}

void AddPnl(RiskState& risk, Minor pnl) {
  risk.daily_pnl_minor += pnl;
  risk.peak_pnl_minor = std::max(risk.peak_pnl_minor, risk.daily_pnl_minor);
  risk.max_drawdown_minor =
      std::max(risk.max_drawdown_minor, risk.peak_pnl_minor - risk.daily_pnl_minor);
}

Status ApplyFill(TradingState& t, const FillReceived& update, TradingChanges* changes) {
  const Fill& fill = update.fill;
  // Checks first: a refused fill changes nothing.
  auto open = t.open_orders.find(fill.client_order_id);
  auto pending = t.pending_orders.find(fill.client_order_id);
  const bool is_open = open != t.open_orders.end();
  if (!is_open && pending == t.pending_orders.end()) {
    return DoesNotFit("fill", fill.client_order_id);
  }
  const Order& found = is_open ? open->second : pending->second;
  if (fill.quantity_lots <= 0 || found.filled_lots + fill.quantity_lots > found.quantity_lots) {
    return Status::Error(StatusCode::kFailedPrecondition, "apply", fill.client_order_id,
                         fmt::format("fill of {} lots does not fit {} filled of {}",
                                     fill.quantity_lots, found.filled_lots, found.quantity_lots));
  }
  if (!is_open) {
    // A fill may overtake the ack: the venue accepted the order, so it is open now.
    pending->second.exchange_order_id = fill.exchange_order_id;
    open = t.open_orders.emplace(pending->first, std::move(pending->second)).first;
    t.pending_orders.erase(pending);
  }
  Order& order = open->second;
  const std::string venue = order.venue;
  if (changes != nullptr) {
    changes->orders.insert(fill.client_order_id);
    changes->symbols.insert(fill.symbol);
    changes->balances.insert(BalanceKey(venue, update.currency));
    ++changes->fills_appended;
  }
  order.filled_lots += fill.quantity_lots;
  if (order.filled_lots == order.quantity_lots) t.open_orders.erase(open);

  const Lots signed_lots = fill.side == Side::kBuy ? fill.quantity_lots : -fill.quantity_lots;
  Position& position = t.positions[fill.symbol];
  position.symbol = fill.symbol;
  const Minor realized = MovePosition(position, signed_lots, fill.price_ticks);
  if (position.quantity_lots == 0) {
    t.risk.exposure_lots.erase(fill.symbol);
  } else {
    t.risk.exposure_lots[fill.symbol] = position.quantity_lots;
  }
  t.realized_pnl_minor += realized;
  AddPnl(t.risk, realized - fill.fee_minor);
  MoveCash(t, venue, update.currency, -signed_lots * fill.price_ticks - fill.fee_minor);
  t.recent_fills.push_back(fill);
  while (t.recent_fills.size() > TradingState::kRecentFillsMax) t.recent_fills.pop_front();
  t.last_exchange_seq = std::max(t.last_exchange_seq, fill.exchange_seq);
  return Status::Ok();
}

struct Applier {
  EngineState& e;
  TradingChanges* changes;  // may be null
  TradingState& t = e.trading;

  // Every check of an update comes before its first change, so a key is
  // noted only once the update is sure to apply.
  void Note(std::set<std::string> TradingChanges::*keys, const std::string& key) {
    if (changes != nullptr) (changes->*keys).insert(key);
  }

  Status operator()(const OrderSubmitted& u) {
    if (t.open_orders.contains(u.order.client_order_id) ||
        t.pending_orders.contains(u.order.client_order_id)) {
      return Status::Error(StatusCode::kFailedPrecondition, "apply", u.order.client_order_id,
                           "submit of a client order id already in use");
    }
    t.pending_orders[u.order.client_order_id] = u.order;
    Note(&TradingChanges::orders, u.order.client_order_id);
    return Status::Ok();
  }
  Status operator()(const OrderAcknowledged& u) {
    auto it = t.pending_orders.find(u.client_order_id);
    if (it == t.pending_orders.end()) return DoesNotFit("ack", u.client_order_id);
    it->second.exchange_order_id = u.exchange_order_id;
    t.open_orders[u.client_order_id] = it->second;
    t.pending_orders.erase(it);
    Note(&TradingChanges::orders, u.client_order_id);
    t.last_exchange_seq = std::max(t.last_exchange_seq, u.exchange_seq);
    return Status::Ok();
  }
  Status operator()(const OrderRejected& u) {
    if (t.pending_orders.erase(u.client_order_id) == 0) {
      return DoesNotFit("reject", u.client_order_id);
    }
    Note(&TradingChanges::orders, u.client_order_id);
    t.last_exchange_seq = std::max(t.last_exchange_seq, u.exchange_seq);
    return Status::Ok();
  }
  Status operator()(const CancelRequested& u) {
    auto it = t.open_orders.find(u.client_order_id);
    if (it == t.open_orders.end()) return DoesNotFit("cancel request", u.client_order_id);
    it->second.cancel_requested = true;
    Note(&TradingChanges::orders, u.client_order_id);
    return Status::Ok();
  }
  Status operator()(const CancelAcknowledged& u) {
    if (t.open_orders.erase(u.client_order_id) == 0) {
      return DoesNotFit("cancel ack", u.client_order_id);
    }
    Note(&TradingChanges::orders, u.client_order_id);
    t.last_exchange_seq = std::max(t.last_exchange_seq, u.exchange_seq);
    return Status::Ok();
  }
  Status operator()(const FillReceived& u) { return ApplyFill(t, u, changes); }
  Status operator()(const PositionSet& u) {
    t.positions[u.position.symbol] = u.position;
    Note(&TradingChanges::symbols, u.position.symbol);
    if (u.position.quantity_lots == 0) {
      t.risk.exposure_lots.erase(u.position.symbol);
    } else {
      t.risk.exposure_lots[u.position.symbol] = u.position.quantity_lots;
    }
    return Status::Ok();
  }
  Status operator()(const BalanceSet& u) {
    t.balances[BalanceKey(u.balance.venue, u.balance.currency)] = u.balance;
    Note(&TradingChanges::balances, BalanceKey(u.balance.venue, u.balance.currency));
    return Status::Ok();
  }
  Status operator()(const RiskHalted& u) {
    t.risk.halted = true;
    t.risk.halt_reason = u.reason.empty() ? "halted without a stated reason" : u.reason;
    return Status::Ok();
  }
  Status operator()(const RiskResumed&) {
    t.risk.halted = false;
    t.risk.halt_reason.clear();
    t.risk.halted_at_ns = 0;
    return Status::Ok();
  }
  Status operator()(const ConfigChanged& u) {
    e.config = u.config;
    return Status::Ok();
  }
  Status operator()(const StrategyUpdated& u) {
    e.strategies[u.strategy.strategy_id] = u.strategy;
    return Status::Ok();
  }
};

}  // namespace

void TradingChanges::Merge(const TradingChanges& other) {
  orders.insert(other.orders.begin(), other.orders.end());
  symbols.insert(other.symbols.begin(), other.symbols.end());
  balances.insert(other.balances.begin(), other.balances.end());
  fills_appended += other.fills_appended;
}

Status ApplyStateUpdate(EngineState& state, const StateUpdate& update, Seq state_seq,
                        TimeNs time_ns, TradingChanges* changes) {
  if (state_seq <= state.trading.state_seq) {
    return Status::Error(StatusCode::kFailedPrecondition, "apply", "",
                         fmt::format("update {} is not after state_seq {}", state_seq,
                                     state.trading.state_seq));
  }
  CD_RETURN_IF_ERROR(std::visit(Applier{state, changes}, update));
  if (std::holds_alternative<RiskHalted>(update)) state.trading.risk.halted_at_ns = time_ns;
  state.trading.state_seq = state_seq;
  state.trading.last_update_ns = time_ns;
  return Status::Ok();
}

}  // namespace crashdrill::system

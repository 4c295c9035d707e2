// How each StateUpdate changes an EngineState, in place: every check comes
// before the first change, so a refused update leaves the state as it was.
// Fill accounting is exact integer arithmetic: a position's cost is the signed
// notional of its open lots; closing lots removes their proportional share of
// the cost (rounded toward zero, as the simulator does) and realizes the
// difference. Every amount is computed with overflow checks first: a fill that
// would take one beyond int64 is refused naming the amount, never wrapped.
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "system/state/migration.h"
#include "system/state/state_update.h"

namespace crashdrill::system {
namespace {

Status DoesNotFit(std::string_view what, std::string_view id) {
  return Status::Error(StatusCode::kFailedPrecondition, "apply", id,
                       fmt::format("{}: no such order in the state", what));
}

// int64 arithmetic that refuses to wrap: kInvalidArgument naming the amount
// (`what`) and both operands, for the fill `id`.
class CheckedMath {
 public:
  explicit CheckedMath(std::string_view id) : id_(id) {}
  // The same checks about one entry ("position", "ACME"): named in the message
  // only when one overflows, so a fill that fits builds no strings.
  CheckedMath About(std::string_view kind, std::string_view key) const {
    CheckedMath about(id_);
    about.kind_ = kind;
    about.key_ = key;
    return about;
  }

  Status Add(std::string_view what, int64_t a, int64_t b, int64_t& out) const {
    return __builtin_add_overflow(a, b, &out) ? Overflow(what, a, "+", b) : Status::Ok();
  }
  Status Sub(std::string_view what, int64_t a, int64_t b, int64_t& out) const {
    return __builtin_sub_overflow(a, b, &out) ? Overflow(what, a, "-", b) : Status::Ok();
  }
  Status Mul(std::string_view what, int64_t a, int64_t b, int64_t& out) const {
    return __builtin_mul_overflow(a, b, &out) ? Overflow(what, a, "x", b) : Status::Ok();
  }
  Status Abs(std::string_view what, int64_t a, int64_t& out) const {
    if (a == std::numeric_limits<int64_t>::min()) return Overflow(what, 0, "-", a);
    out = std::llabs(a);
    return Status::Ok();
  }

 private:
  Status Overflow(std::string_view what, int64_t a, std::string_view op, int64_t b) const {
    const std::string name =
        kind_.empty() ? std::string(what) : fmt::format("{} {} {}", kind_, key_, what);
    return Status::Error(StatusCode::kInvalidArgument, "apply", id_,
                         fmt::format("fill: {}: {} {} {} overflows int64", name, a, op, b));
  }
  std::string_view id_;
  std::string_view kind_, key_;
};

// `p` moved by `lots` (signed: + bought, - sold) at `price`, and the profit or
// loss that realizes; checked, so `p` is only a candidate until it succeeds.
Status MovePosition(const CheckedMath& fill_math, Position& p, Lots lots, Ticks price,
                    Minor& realized) {
  const CheckedMath math = fill_math.About("position", p.symbol);
  realized = 0;
  const bool reduces = p.quantity_lots != 0 && ((p.quantity_lots > 0) != (lots > 0));
  if (reduces) {
    Lots held = 0;
    CD_RETURN_IF_ERROR(math.Abs("quantity_lots", p.quantity_lots, held));
    const Lots closing = std::min<Lots>(held, std::llabs(lots));  // |lots| is the fill's quantity
    // |cost * closing / held| <= |cost|: exact in 128 bits, and it fits.
    const Minor cost_removed =
        static_cast<Minor>(static_cast<__int128>(p.cost_minor) * closing / held);
    const Lots closing_signed = p.quantity_lots > 0 ? closing : -closing;
    // Long: sold `closing` at price. Short: bought back `closing` at price.
    Minor proceeds = 0;
    CD_RETURN_IF_ERROR(math.Mul("closing notional", closing_signed, price, proceeds));
    CD_RETURN_IF_ERROR(math.Sub("realized P&L", proceeds, cost_removed, realized));
    p.cost_minor -= cost_removed;       // same sign, no larger: moves toward zero
    p.quantity_lots -= closing_signed;  // likewise
    lots += closing_signed;             // what is left opens a position the other way
  }
  Minor opening_cost = 0;
  CD_RETURN_IF_ERROR(math.Add("quantity_lots", p.quantity_lots, lots, p.quantity_lots));
  CD_RETURN_IF_ERROR(math.Mul("opening notional", lots, price, opening_cost));
  CD_RETURN_IF_ERROR(math.Add("cost_minor", p.cost_minor, opening_cost, p.cost_minor));
  return math.Add("realized_pnl_minor", p.realized_pnl_minor, realized, p.realized_pnl_minor);
}

// Everything a fill changes beyond its order, computed before any of it is applied.
struct FillEffects {
  Position position;
  Minor trading_realized_pnl_minor = 0;
  Minor daily_pnl_minor = 0, peak_pnl_minor = 0, max_drawdown_minor = 0;  // of the risk state
  Balance balance;
};

Status ComputeFillEffects(const TradingState& t, const FillReceived& update,
                          const std::string& venue, FillEffects& out) {
  const Fill& fill = update.fill;
  const CheckedMath math(fill.client_order_id);
  const Lots signed_lots = fill.side == Side::kBuy ? fill.quantity_lots : -fill.quantity_lots;
  Minor notional = 0;  // signed: what buying costs, what selling brings in negated
  CD_RETURN_IF_ERROR(
      math.Mul("notional (price_ticks x quantity_lots)", signed_lots, fill.price_ticks, notional));

  const auto position = t.positions.find(fill.symbol);
  out.position = position == t.positions.end() ? Position{} : position->second;
  out.position.symbol = fill.symbol;
  Minor realized = 0;
  CD_RETURN_IF_ERROR(MovePosition(math, out.position, signed_lots, fill.price_ticks, realized));
  CD_RETURN_IF_ERROR(math.Add("trading realized_pnl_minor", t.realized_pnl_minor, realized,
                              out.trading_realized_pnl_minor));

  Minor pnl = 0;
  CD_RETURN_IF_ERROR(math.Sub("realized P&L net of fee_minor", realized, fill.fee_minor, pnl));
  CD_RETURN_IF_ERROR(
      math.Add("risk daily_pnl_minor", t.risk.daily_pnl_minor, pnl, out.daily_pnl_minor));
  out.peak_pnl_minor = std::max(t.risk.peak_pnl_minor, out.daily_pnl_minor);
  Minor drawdown = 0;
  CD_RETURN_IF_ERROR(
      math.Sub("risk max_drawdown_minor", out.peak_pnl_minor, out.daily_pnl_minor, drawdown));
  out.max_drawdown_minor = std::max(t.risk.max_drawdown_minor, drawdown);

  Minor paid = 0, cash = 0;
  CD_RETURN_IF_ERROR(math.Add("cash paid (notional + fee_minor)", notional, fill.fee_minor, paid));
  CD_RETURN_IF_ERROR(math.Sub("cash moved (- cash paid)", 0, paid, cash));
  const std::string key = BalanceKey(venue, update.currency);
  const auto balance = t.balances.find(key);
  out.balance = balance == t.balances.end() ? Balance{} : balance->second;
  out.balance.venue = venue;
  out.balance.currency = update.currency;
  const CheckedMath balance_math = math.About("balance", key);
  CD_RETURN_IF_ERROR(
      balance_math.Add("total_minor", out.balance.total_minor, cash, out.balance.total_minor));
  return balance_math.Add("available_minor", out.balance.available_minor, cash,
                          out.balance.available_minor);
}

// Whether `fill` fits `order`: the same symbol and side, no more lots than remain.
Status CheckFillFitsOrder(const Fill& fill, const Order& order) {
  const auto mismatch = [&fill](std::string_view field, std::string_view of_fill,
                                std::string_view of_order) {
    return Status::Error(StatusCode::kFailedPrecondition, "apply", fill.client_order_id,
                         fmt::format("fill {} '{}' differs from the order's {} '{}'", field,
                                     of_fill, field, of_order));
  };
  if (fill.symbol != order.symbol) return mismatch("symbol", fill.symbol, order.symbol);
  if (fill.side != order.side) return mismatch("side", SideName(fill.side), SideName(order.side));
  Lots remaining = 0;
  if (fill.quantity_lots <= 0 ||
      __builtin_sub_overflow(order.quantity_lots, order.filled_lots, &remaining) ||
      fill.quantity_lots > remaining) {
    return Status::Error(StatusCode::kFailedPrecondition, "apply", fill.client_order_id,
                         fmt::format("fill of {} lots does not fit {} filled of {}",
                                     fill.quantity_lots, order.filled_lots, order.quantity_lots));
  }
  return Status::Ok();
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
  CD_RETURN_IF_ERROR(CheckFillFitsOrder(fill, found));
  const std::string venue = found.venue;
  FillEffects effects;
  CD_RETURN_IF_ERROR(ComputeFillEffects(t, update, venue, effects));

  if (!is_open) {
    // A fill may overtake the ack: the venue accepted the order, so it is open now.
    pending->second.exchange_order_id = fill.exchange_order_id;
    open = t.open_orders.emplace(pending->first, std::move(pending->second)).first;
    t.pending_orders.erase(pending);
  }
  if (changes != nullptr) {
    changes->orders.insert(fill.client_order_id);
    changes->symbols.insert(fill.symbol);
    changes->balances.insert(BalanceKey(venue, update.currency));
    ++changes->fills_appended;
  }
  Order& order = open->second;
  order.filled_lots += fill.quantity_lots;  // checked above: at most the quantity
  if (order.filled_lots == order.quantity_lots) t.open_orders.erase(open);

  if (effects.position.quantity_lots == 0) {
    t.risk.exposure_lots.erase(fill.symbol);
  } else {
    t.risk.exposure_lots[fill.symbol] = effects.position.quantity_lots;
  }
  t.positions[fill.symbol] = std::move(effects.position);
  t.realized_pnl_minor = effects.trading_realized_pnl_minor;
  t.risk.daily_pnl_minor = effects.daily_pnl_minor;
  t.risk.peak_pnl_minor = effects.peak_pnl_minor;
  t.risk.max_drawdown_minor = effects.max_drawdown_minor;
  t.balances[BalanceKey(venue, update.currency)] = std::move(effects.balance);
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
  Status operator()(const ReportsSeen& u) {
    t.last_exchange_seq = std::max(t.last_exchange_seq, u.exchange_seq);
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
  if (!IsCritical(update)) {
    // The sequence rule (state_update.h): made after state_seq, it does not take one.
    if (state_seq != state.trading.state_seq) {
      return Status::Error(
          StatusCode::kFailedPrecondition, "apply", "",
          fmt::format("{} does not advance state_seq: it must carry the "
                      "state's state_seq {}, not {}",
                      RecordTypeName(TypeOf(update)), state.trading.state_seq, state_seq));
    }
    return std::visit(Applier{state, changes}, update);
  }
  if (state_seq <= state.trading.state_seq) {
    return Status::Error(
        StatusCode::kFailedPrecondition, "apply", "",
        fmt::format("update {} is not after state_seq {}", state_seq, state.trading.state_seq));
  }
  CD_RETURN_IF_ERROR(std::visit(Applier{state, changes}, update));
  if (std::holds_alternative<RiskHalted>(update)) state.trading.risk.halted_at_ns = time_ns;
  state.trading.state_seq = state_seq;
  state.trading.last_update_ns = time_ns;
  // Schema v2's trading_day: the UTC date of the last update, as the v1 -> v2
  // migration derives it; kept here too, or a state written by a v1 build and
  // migrated would differ from the same state written by this one.
  state.trading.trading_day = time_ns > 0 ? UtcTradingDay(time_ns) : 0;
  return Status::Ok();
}

}  // namespace crashdrill::system

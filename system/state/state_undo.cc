#include "system/state/state_undo.h"

#include <algorithm>
#include <type_traits>

#include "system/io/check.h"

namespace crashdrill::system {
namespace {

template <typename Map>
std::optional<typename Map::mapped_type> Find(const Map& map, const std::string& key) {
  const auto it = map.find(key);
  if (it == map.end()) return std::nullopt;
  return it->second;
}

// Puts `saved` back under `key`: assigned where it existed, erased where it did not.
template <typename Map>
void Put(Map& map, const std::string& key, const std::optional<typename Map::mapped_type>& saved) {
  if (saved) {
    map.insert_or_assign(key, *saved);
  } else {
    map.erase(key);
  }
}

template <typename T, typename... Ts>
inline constexpr bool kIsAnyOf = (std::is_same_v<T, Ts> || ...);

}  // namespace

StateUndo StateUndo::Before(const EngineState& state, const StateUpdate& update) {
  StateUndo undo;
  const TradingState& t = state.trading;
  const RiskState& r = t.risk;
  undo.scalars_ = {.account_id = t.account_id,
                   .daily_pnl_minor = r.daily_pnl_minor,
                   .peak_pnl_minor = r.peak_pnl_minor,
                   .max_drawdown_minor = r.max_drawdown_minor,
                   .halted = r.halted,
                   .halt_reason = r.halt_reason,
                   .halted_at_ns = r.halted_at_ns,
                   .realized_pnl_minor = t.realized_pnl_minor,
                   .unrealized_pnl_minor = t.unrealized_pnl_minor,
                   .last_update_ns = t.last_update_ns,
                   .state_seq = t.state_seq,
                   .last_exchange_seq = t.last_exchange_seq,
                   .trading_day = t.trading_day};
  std::visit(
      [&](const auto& u) {
        using U = std::decay_t<decltype(u)>;
        if constexpr (std::is_same_v<U, OrderSubmitted>) {
          undo.SaveOrder(t, u.order.client_order_id);
        } else if constexpr (kIsAnyOf<U, OrderAcknowledged, OrderRejected, CancelRequested,
                                      CancelAcknowledged>) {
          undo.SaveOrder(t, u.client_order_id);
        } else if constexpr (std::is_same_v<U, FillReceived>) {
          undo.SaveFill(state, u);
        } else if constexpr (std::is_same_v<U, PositionSet>) {
          undo.SaveSymbol(t, u.position.symbol);
        } else if constexpr (std::is_same_v<U, BalanceSet>) {
          undo.SaveBalance(t, BalanceKey(u.balance.venue, u.balance.currency));
        } else if constexpr (std::is_same_v<U, ConfigChanged>) {
          undo.config_ = state.config;
        } else if constexpr (std::is_same_v<U, StrategyUpdated>) {
          const std::string& id = u.strategy.strategy_id;
          undo.strategies_[id] = Find(state.strategies, id);
        } else {
          static_assert(kIsAnyOf<U, RiskHalted, RiskResumed, ReportsSeen>,
                        "a new update type must say here which entries it changes");
        }
      },
      update);
  return undo;
}

void StateUndo::SaveOrder(const TradingState& t, const std::string& id) {
  orders_[id] = {Find(t.open_orders, id), Find(t.pending_orders, id)};
}

void StateUndo::SaveSymbol(const TradingState& t, const std::string& symbol) {
  symbols_[symbol] = {Find(t.positions, symbol), Find(t.risk.exposure_lots, symbol),
                      Find(t.risk.limit_usage_bp, symbol)};
}

void StateUndo::SaveBalance(const TradingState& t, const std::string& key) {
  balances_[key] = Find(t.balances, key);
}

void StateUndo::SaveFill(const EngineState& state, const FillReceived& update) {
  const TradingState& t = state.trading;
  const Fill& fill = update.fill;
  SaveOrder(t, fill.client_order_id);
  SaveSymbol(t, fill.symbol);
  const OrderEntries& order = orders_.at(fill.client_order_id);
  const std::optional<Order>& found = order.open ? order.open : order.pending;
  // Without the order the fill is refused; with it, cash moves at the order's venue.
  if (found) SaveBalance(t, BalanceKey(found->venue, update.currency));
  Fills fills;
  fills.size = t.recent_fills.size();
  const size_t pushed_out = fills.size + 1 > TradingState::kRecentFillsMax
                                ? fills.size + 1 - TradingState::kRecentFillsMax
                                : 0;
  fills.pushed_out.assign(t.recent_fills.begin(),
                          t.recent_fills.begin() + static_cast<std::ptrdiff_t>(pushed_out));
  fills_ = std::move(fills);
}

bool StateUndo::Covers(const TradingChanges& changes) const {
  const auto saved = [](const std::set<std::string>& keys, const auto& entries) {
    return std::all_of(keys.begin(), keys.end(),
                       [&entries](const std::string& key) { return entries.contains(key); });
  };
  return saved(changes.orders, orders_) && saved(changes.symbols, symbols_) &&
         saved(changes.balances, balances_) &&
         (changes.fills_appended == 0 || (fills_ && changes.fills_appended == 1));
}

void StateUndo::Restore(EngineState& state) const {
  TradingState& t = state.trading;
  RiskState& r = t.risk;
  const Scalars& s = scalars_;
  t.account_id = s.account_id;
  r.daily_pnl_minor = s.daily_pnl_minor;
  r.peak_pnl_minor = s.peak_pnl_minor;
  r.max_drawdown_minor = s.max_drawdown_minor;
  r.halted = s.halted;
  r.halt_reason = s.halt_reason;
  r.halted_at_ns = s.halted_at_ns;
  t.realized_pnl_minor = s.realized_pnl_minor;
  t.unrealized_pnl_minor = s.unrealized_pnl_minor;
  t.last_update_ns = s.last_update_ns;
  t.state_seq = s.state_seq;
  t.last_exchange_seq = s.last_exchange_seq;
  t.trading_day = s.trading_day;
  for (const auto& [id, saved] : orders_) {
    Put(t.open_orders, id, saved.open);
    Put(t.pending_orders, id, saved.pending);
  }
  for (const auto& [symbol, saved] : symbols_) {
    Put(t.positions, symbol, saved.position);
    Put(r.exposure_lots, symbol, saved.exposure_lots);
    Put(r.limit_usage_bp, symbol, saved.limit_usage_bp);
  }
  for (const auto& [key, saved] : balances_) Put(t.balances, key, saved);
  if (fills_) {
    // The applied fill appended one and pushed out `pushed_out` from the front.
    CD_CHECK(t.recent_fills.size() == fills_->size + 1 - fills_->pushed_out.size(),
             "StateUndo::Restore of a fill that was not applied");
    t.recent_fills.pop_back();
    t.recent_fills.insert(t.recent_fills.begin(), fills_->pushed_out.begin(),
                          fills_->pushed_out.end());
  }
  if (config_) state.config = *config_;
  for (const auto& [id, saved] : strategies_) Put(state.strategies, id, saved);
}

}  // namespace crashdrill::system

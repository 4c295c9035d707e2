// Pre-trade risk checks and the circuit breaker. Pure functions of the state
// and the limits (ConfigurationState::risk_limits), so recovery, the engine and
// the tests agree on what a limit means. Quantities are lots; a limit of 0
// means "no limit" for that dimension.
#pragma once

#include <optional>
#include <string>

#include "system/io/status.h"
#include "system/state/engine_state.h"

namespace crashdrill::system {

// An order the strategy wants to send.
struct OrderIntent {
  std::string symbol;
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  Ticks price_ticks = 0;
  Lots quantity_lots = 0;
  std::string strategy_id;

  bool operator==(const OrderIntent&) const = default;
};

// The position limit of `symbol`: its override, else max_position_lots.
Lots PositionLimit(const RiskLimits& limits, const std::string& symbol);

// Lots the account would hold in `symbol` if every live order on `side`
// filled: the worst case exposure on that side (buy: long, sell: short, as a
// positive number).
Lots WorstCaseExposure(const TradingState& trading, const std::string& symbol, Side side);

// OK, or kFailedPrecondition naming the check that refuses `intent`:
// "halted", "max_order_lots", "position_limit", "invalid quantity/price".
Status CheckPreTrade(const EngineState& state, const OrderIntent& intent);

// The circuit breaker's reason to halt, if any: the daily loss or the
// drawdown beyond its limit.
std::optional<std::string> LossHaltReason(const EngineState& state);

}  // namespace crashdrill::system

#include "system/engine/risk.h"

#include <fmt/format.h>

namespace crashdrill::system {
namespace {

Status Refuse(std::string_view check, std::string message) {
  return Status::Error(StatusCode::kFailedPrecondition, "risk", check, std::move(message));
}

Lots LiveLots(const std::map<std::string, Order>& orders, const std::string& symbol, Side side) {
  Lots lots = 0;
  for (const auto& [id, order] : orders) {
    if (order.symbol == symbol && order.side == side) lots += order.remaining_lots();
  }
  return lots;
}

}  // namespace

Lots PositionLimit(const RiskLimits& limits, const std::string& symbol) {
  const auto it = limits.position_limit_lots.find(symbol);
  return it != limits.position_limit_lots.end() ? it->second : limits.max_position_lots;
}

Lots WorstCaseExposure(const TradingState& trading, const std::string& symbol, Side side) {
  const auto position = trading.positions.find(symbol);
  const Lots held = position == trading.positions.end() ? 0 : position->second.quantity_lots;
  const Lots live =
      LiveLots(trading.open_orders, symbol, side) + LiveLots(trading.pending_orders, symbol, side);
  return (side == Side::kBuy ? held : -held) + live;
}

Status CheckPreTrade(const EngineState& state, const OrderIntent& intent) {
  const TradingState& t = state.trading;
  const RiskLimits& limits = state.config.risk_limits;
  if (t.risk.halted) return Refuse("halted", "trading is halted: " + t.risk.halt_reason);
  if (intent.quantity_lots <= 0) {
    return Refuse("quantity",
                  fmt::format("quantity {} lots is not positive", intent.quantity_lots));
  }
  if (intent.type != OrderType::kMarket && intent.price_ticks <= 0) {
    return Refuse("price", fmt::format("price {} ticks is not positive", intent.price_ticks));
  }
  if (limits.max_order_lots > 0 && intent.quantity_lots > limits.max_order_lots) {
    return Refuse("max_order_lots", fmt::format("{} lots is above the order limit of {}",
                                                intent.quantity_lots, limits.max_order_lots));
  }
  const Lots limit = PositionLimit(limits, intent.symbol);
  if (limit > 0) {
    const Lots exposure = WorstCaseExposure(t, intent.symbol, intent.side) + intent.quantity_lots;
    if (exposure > limit) {
      return Refuse("position_limit",
                    fmt::format("{} {}: worst-case exposure {} lots would pass the limit of {}",
                                SideName(intent.side), intent.symbol, exposure, limit));
    }
  }
  return Status::Ok();
}

std::optional<std::string> LossHaltReason(const EngineState& state) {
  const RiskLimits& limits = state.config.risk_limits;
  const RiskState& risk = state.trading.risk;
  if (limits.max_daily_loss_minor > 0 && risk.daily_pnl_minor < -limits.max_daily_loss_minor) {
    return fmt::format("circuit breaker: daily loss {} beyond the limit of {}",
                       -risk.daily_pnl_minor, limits.max_daily_loss_minor);
  }
  if (limits.max_drawdown_minor > 0 && risk.max_drawdown_minor > limits.max_drawdown_minor) {
    return fmt::format("circuit breaker: drawdown {} beyond the limit of {}",
                       risk.max_drawdown_minor, limits.max_drawdown_minor);
  }
  return std::nullopt;
}

}  // namespace crashdrill::system

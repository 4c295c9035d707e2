// EngineState: everything one engine persists, the unit the levels write and
// recovery chooses between (by trading.state_seq).
#pragma once

#include <map>
#include <string>

#include "system/state/configuration_state.h"
#include "system/state/market_data_state.h"
#include "system/state/strategy_state.h"
#include "system/state/trading_state.h"

namespace crashdrill::system {

struct EngineState {
  TradingState trading;
  std::map<std::string, StrategyState> strategies;  // by strategy_id
  ConfigurationState config;
  MarketDataState market_data;

  Seq state_seq() const { return trading.state_seq; }
  bool operator==(const EngineState&) const = default;
};

}  // namespace crashdrill::system

// StrategyState: checkpointed state of one strategy (RPO <= the L2 period).
#pragma once

#include <map>
#include <string>

#include "system/state/vocabulary.h"

namespace crashdrill::system {

struct StrategyState {
  std::string strategy_id;
  std::string name;
  std::map<std::string, int64_t> parameters;  // fixed point, units in the name
  std::string custom_state;                   // opaque bytes owned by the strategy
  bool active = false;
  TimeNs last_signal_ns = 0;
  Minor pnl_minor = 0;

  bool operator==(const StrategyState&) const = default;
};

}  // namespace crashdrill::system

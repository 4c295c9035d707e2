// Realistic engine states for the archive tests: a scripted trading life
// (orders submitted, acknowledged and filled on two symbols, cash at two
// venues, a strategy's state) applied with ApplyStateUpdate, so every state
// satisfies the invariants a Read() validates.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "system/io/clock.h"
#include "system/state/engine_state.h"
#include "system/state/state_update.h"
#include "tests/support/trading_script.h"

namespace crashdrill::testing {

using system::EngineState;
using system::StateUpdate;

// The k-th update of `life`'s script: ids and prices no other life uses.
inline StateUpdate ArchiveScriptUpdate(int life, int k) {
  using namespace system;
  if (k == 0) return BalanceSet{Balance{"SIMX", "USD", 10'000'000, 9'000'000}};
  if (k == 1) return BalanceSet{Balance{"ALTX", "EUR", 5'000'000, 5'000'000}};
  return TradingScriptUpdate(life, k - 2);
}

// `count` states, each `updates_between` script updates after the previous
// one, starting from `start` (the states of `life` continue it).
inline std::vector<EngineState> ArchiveStates(int life, int count, int updates_between,
                                              EngineState start = {}) {
  std::vector<EngineState> states;
  EngineState state = std::move(start);
  int k = 0;
  for (int i = 0; i < count; ++i) {
    for (int u = 0; u < updates_between; ++u, ++k) {
      const system::Status applied =
          ApplyStateUpdate(state, ArchiveScriptUpdate(life, k), state.state_seq() + 1,
                           1'767'225'600 * system::kNanosPerSecond + state.state_seq() * 1000);
      if (!applied.ok()) throw std::logic_error("archive script: " + applied.ToString());
    }
    system::StrategyState& strategy = state.strategies["mm-" + std::to_string(life)];
    strategy.strategy_id = "mm-" + std::to_string(life);
    strategy.custom_state = "after " + std::to_string(state.state_seq()) + " updates";
    strategy.parameters["spread_ticks"] = 2 + i;
    states.push_back(state);
  }
  return states;
}

}  // namespace crashdrill::testing

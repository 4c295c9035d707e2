// StateUndo: the entries one update may change in an EngineState, saved
// before the update is applied in place, so that a commit failing after the
// apply (its validation, or the WAL under a full disk) puts the live state
// back exactly as it was without ever copying the whole state. Cost: the
// entries the update names (an order, a symbol, a balance, a strategy, the
// configuration) and the scalar fields, never the size of the state.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "system/state/engine_state.h"
#include "system/state/state_update.h"

namespace crashdrill::system {

class StateUndo {
 public:
  // Saves what applying `update` to `state` may change.
  static StateUndo Before(const EngineState& state, const StateUpdate& update);

  // True when every entry `changes` lists was saved: a restore then undoes the
  // whole update. (False is a bug in this class, not in the update.)
  bool Covers(const TradingChanges& changes) const;

  // Puts every saved entry back, and removes the saved keys that were absent.
  // REQUIRES: `state` is the state Before() saw with `update` successfully
  // applied to it and nothing else changed. (A refused update changes
  // nothing: there is nothing to restore.)
  void Restore(EngineState& state) const;

 private:
  // The scalar fields of TradingState and its RiskState, all of which any
  // update may set; maps and the fill deque are saved entry by entry.
  struct Scalars {
    std::string account_id;
    Minor daily_pnl_minor = 0, peak_pnl_minor = 0, max_drawdown_minor = 0;
    bool halted = false;
    std::string halt_reason;
    TimeNs halted_at_ns = 0;
    Minor realized_pnl_minor = 0, unrealized_pnl_minor = 0;
    TimeNs last_update_ns = 0;
    Seq state_seq = 0, last_exchange_seq = 0;
    uint32_t trading_day = 0;
  };
  struct OrderEntries {
    std::optional<Order> open, pending;
  };
  struct SymbolEntries {
    std::optional<Position> position;
    std::optional<Lots> exposure_lots;
    std::optional<int64_t> limit_usage_bp;
  };
  struct Fills {
    size_t size = 0;
    std::vector<Fill> pushed_out;  // the oldest fills an append pushes out (when full)
  };

  void SaveOrder(const TradingState& t, const std::string& id);
  void SaveSymbol(const TradingState& t, const std::string& symbol);
  void SaveBalance(const TradingState& t, const std::string& key);
  void SaveFill(const EngineState& state, const FillReceived& update);

  Scalars scalars_;
  std::map<std::string, OrderEntries> orders_;
  std::map<std::string, SymbolEntries> symbols_;
  std::map<std::string, std::optional<Balance>> balances_;
  std::optional<Fills> fills_;                // set for a fill
  std::optional<ConfigurationState> config_;  // set for a config change
  std::map<std::string, std::optional<StrategyState>> strategies_;
};

}  // namespace crashdrill::system

// ReferenceModel: the chaos runner's oracle for P2 (no lost acknowledged write)
// and P3 (prefix consistency) of DESIGN §8. It keeps its own copy of the
// engine's critical state, fed by the same updates the engine commits, and
// applies them with rules written here from the documented semantics
// (state_update.h), not with the persistence code: it never calls the codec,
// the levels or ApplyStateUpdate. Position arithmetic is the exchange's own
// (simulator::ApplyToPosition): the engine must agree with it exactly.
//
// Modelled and compared exactly: orders (open and pending, every field),
// positions, balances, recent fills (bounded like TradingState), risk exposure,
// daily P&L with its peak and max drawdown, the halt flag and reason, realized
// P&L, state_seq, last_exchange_seq, and the configuration when known (see
// Rebase). Carried unchanged from the baseline and compared, because no update
// changes them: account id, limit usage, unrealized P&L, trading day.
// Not compared: last_update_ns, and halted_at_ns after a halt (the commit's
// wall-clock label, which the update does not carry); strategy state (not
// critical: it may lag, state_update.h); market data (rebuilt from the venue).
// Amounts are assumed to fit int64: the engine refuses a fill that would
// overflow, so such a fill is never attempted.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "system/state/engine_state.h"
#include "system/state/state_update.h"

namespace crashdrill::scenarios {

// The model's own representation of the critical state (public so tests and
// failure reports can show it). Field meanings follow TradingState.
struct ModelState {
  std::string account_id;
  std::map<std::string, system::Order> open_orders;     // by client_order_id
  std::map<std::string, system::Order> pending_orders;  // by client_order_id
  std::map<std::string, system::Position> positions;    // by symbol
  std::map<std::string, system::Balance> balances;      // by BalanceKey
  std::deque<system::Fill> recent_fills;                // in arrival order, bounded
  std::map<std::string, system::Lots> exposure_lots;    // by symbol
  std::map<std::string, int64_t> limit_usage_bp;        // no update changes it
  system::Minor daily_pnl_minor = 0;
  system::Minor peak_pnl_minor = 0;
  system::Minor max_drawdown_minor = 0;
  bool halted = false;
  std::string halt_reason;
  // Known from the baseline and after a resume (0); unknown after a halt.
  std::optional<system::TimeNs> halted_at_ns;
  system::Minor realized_pnl_minor = 0;
  system::Minor unrealized_pnl_minor = 0;  // no update changes it
  uint32_t trading_day = 0;                // no update changes it
  system::Seq state_seq = 0;
  system::Seq last_exchange_seq = 0;
  // Unknown (nullopt) after a baseline without one, until a ConfigChanged.
  std::optional<system::ConfigurationState> config;
};

class ReferenceModel {
 public:
  // Maximum number of differences one failed check describes.
  static constexpr size_t kDifferencesMax = 10;

  // Starts from an empty state at state_seq 0 (a new engine), config unknown.
  ReferenceModel() = default;

  // One critical update the engine is about to commit, as state_seq `seq`
  // (called before its WAL append). Non-critical updates (StrategyUpdated) are
  // ignored. `seq` is normally the last attempt's + 1; an attempt at a seq
  // already attempted but not acknowledged replaces that attempt and every one
  // after it (the earlier commit failed and was undone). An attempt that does
  // not fit the model (an ack of an unknown order, a gap in the seqs, a rewrite
  // of an acknowledged seq) is recorded and reported by every later check.
  void Attempt(system::Seq seq, const system::StateUpdate& update);

  // Critical update `seq` (and so every one before it) is durable. Acknowledged
  // attempts are folded into the baseline: history is kept only for the
  // unacknowledged window, so memory and check cost stay bounded by it.
  void Acknowledge(system::Seq seq);

  // P2 and P3 for a recovered state, before reconciliation: nullopt when its
  // state_seq is at least the last acknowledged one, at most the last attempt,
  // and its critical fields equal the model after exactly the attempts up to
  // its state_seq. Otherwise one line naming the property ("P2: ..." or
  // "P3: ...") and at most kDifferencesMax differences (field, key, model
  // value vs recovered value). The TradingState form does not compare config.
  std::optional<std::string> CheckRecovered(const system::TradingState& recovered) const;
  std::optional<std::string> CheckRecovered(const system::EngineState& recovered) const;

  // The recovered state (already checked) becomes the new baseline, durable
  // and acknowledged at its state_seq; the history before it, any attempt
  // after it and any recorded problem are dropped. Later attempts go on from
  // recovered.state_seq + 1. The TradingState form leaves the config unknown.
  void Rebase(const system::TradingState& recovered);
  void Rebase(const system::EngineState& recovered);

  // The model after every attempt so far.
  const ModelState& latest() const { return latest_; }
  system::Seq last_attempted_seq() const { return latest_.state_seq; }
  system::Seq last_acknowledged_seq() const { return baseline_.state_seq; }
  // The first attempt that did not fit, if any (also reported by checks).
  const std::optional<std::string>& problem() const { return problem_; }

 private:
  std::optional<std::string> Check(const system::TradingState& trading,
                                   const system::ConfigurationState* config) const;
  // Applies `update` as state_seq `seq` to `state`; on a misfit returns why
  // and leaves `state` in an unspecified (still usable) condition.
  static std::optional<std::string> Apply(ModelState& state, system::Seq seq,
                                          const system::StateUpdate& update);
  void NoteProblem(system::Seq seq, const system::StateUpdate& update, std::string why);

  ModelState baseline_;  // at the last acknowledged seq
  std::deque<std::pair<system::Seq, system::StateUpdate>> attempts_;  // after it, ascending
  ModelState latest_;                                                 // after every attempt
  std::optional<std::string> problem_;
};

}  // namespace crashdrill::scenarios

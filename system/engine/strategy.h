// The engine's seeded strategy: a market maker that quotes a few levels on
// each side around every instrument's mid price, skews them against its
// inventory, requotes what drifted away, and now and then crosses the spread.
// It exists to give the persistence levels realistic state to protect: many
// open orders, partial fills, positions in several symbols, risk usage.
// Deterministic: the same seed, state and books give the same decision.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "system/engine/risk.h"
#include "system/io/rng.h"
#include "system/state/engine_state.h"

namespace crashdrill::system {

struct Instrument {
  std::string symbol;
  Ticks price_increment_ticks = 1;
  Lots lot_increment_lots = 1;
  Ticks reference_ticks = 10'000;  // the mid to quote around before a book is seen
};

struct StrategyOptions {
  std::string strategy_id = "mm1";
  std::vector<Instrument> instruments;
  int levels_per_side = 3;
  int64_t spacing_increments = 2;       // between levels, in price increments
  int64_t size_increments_max = 5;      // order size, in lot increments, 1..this
  int64_t requote_increments = 8;       // an order this far from where it belongs is cancelled
  uint32_t cross_per_million = 30'000;  // chance per decision of an IOC across the spread
  Lots inventory_skew_lots = 50;        // one increment of skew per this many lots held
};

struct StrategyDecision {
  std::vector<OrderIntent> submit;
  std::vector<std::string> cancel;  // client order ids
};

class MarketMakingStrategy {
 public:
  MarketMakingStrategy(StrategyOptions options, uint64_t seed);

  // What to do now, given the state and the latest book of each instrument
  // (a missing or one-sided book quotes around the last mid seen).
  StrategyDecision Decide(const EngineState& state,
                          const std::map<std::string, BookSnapshot>& books);

  // The strategy's persisted state (parameters, the last mids, P&L) and back.
  StrategyState Snapshot(TimeNs now_ns, Minor pnl_minor) const;
  void Restore(const StrategyState& state);

  const StrategyOptions& options() const { return options_; }
  uint64_t decisions() const { return decisions_; }

 private:
  Ticks Mid(const Instrument& instrument, const std::map<std::string, BookSnapshot>& books);
  void QuoteSide(const EngineState& state, const Instrument& instrument, Side side, Ticks mid,
                 StrategyDecision& decision);

  StrategyOptions options_;
  Rng rng_;
  std::map<std::string, Ticks> last_mid_;
  uint64_t decisions_ = 0;
};

}  // namespace crashdrill::system

// Market: seeded background participants that keep the exchange moving. Each
// action (at a fixed cadence of simulated time) may drift a symbol's fair price by
// one increment, then one participant places a passive limit order near fair,
// cancels one of its orders, or crosses the spread with an IOC or market order, so
// resting orders of other accounts (the engine's) get filled while it is down.
// All choices come from one Random seeded at construction: same seed, same flow.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "simulator/exchange.h"
#include "simulator/random.h"

namespace crashdrill::simulator {

struct MarketConfig {
  uint32_t participants = 4;
  int64_t actions_per_second = 2'000;  // intensity; 0 = a quiet market
  uint32_t drift_per_million = 200'000;
  uint32_t cancel_per_million = 300'000;
  uint32_t cross_per_million = 150'000;
  uint32_t resting_per_participant_max = 32;  // older orders are cancelled beyond this
  int64_t half_spread_increments_max = 5;     // passive prices within fair +/- this
  int64_t order_size_increments_max = 10;     // sizes in lot increments, 1..this
  uint64_t actions_per_advance_max = 1'000'000;  // AdvanceTo never catches up more
};

class Market {
 public:
  Market(Exchange& exchange, MarketConfig config, uint64_t seed, system::TimeNs start_ns = 0);

  // Performs every action scheduled at or before `now_ns` (at most
  // actions_per_advance_max; the schedule then skips ahead to `now_ns`).
  void AdvanceTo(system::TimeNs now_ns);
  // When the next action is due; INT64_MAX for a quiet market.
  system::TimeNs NextActionNs() const { return next_action_ns_; }
  // One action now, regardless of the schedule.
  void Step(system::TimeNs now_ns);

  system::Ticks FairTicks(SymbolId symbol) const { return fair_ticks_.at(symbol); }
  uint64_t actions() const { return actions_; }

 private:
  struct Participant {
    AccountId account = 0;
    std::vector<std::string> live_client_order_ids;  // oldest first
    uint64_t next_order_number = 1;
  };

  void Drift(SymbolId symbol);
  void Prune(Participant& participant, system::TimeNs now_ns);
  void PlacePassive(Participant& participant, SymbolId symbol, system::TimeNs now_ns);
  void Cross(Participant& participant, SymbolId symbol, system::TimeNs now_ns);
  static std::string NextClientOrderId(Participant& participant);

  Exchange& exchange_;
  MarketConfig config_;
  Random random_;
  std::vector<Participant> participants_;
  std::vector<system::Ticks> fair_ticks_;
  system::TimeNs interval_ns_;
  system::TimeNs next_action_ns_;
  uint64_t actions_ = 0;
};

}  // namespace crashdrill::simulator

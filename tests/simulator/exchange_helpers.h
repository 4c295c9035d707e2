// Shared by the simulator tests: a small exchange config, order builders, a random
// order flow driven by generated values, and the invariant checks the properties use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "simulator/exchange.h"

namespace crashdrill::simulator::testing {

// ACME: price increment 1, lot 1, fair 100. BOLT: increment 5, lot 10, fair 500.
ExchangeConfig SmallConfig();

system::NewOrder Limit(std::string id, std::string symbol, system::Side side,
                       system::Ticks price_ticks, system::Lots lots);
system::NewOrder OfType(system::OrderType type, std::string id, std::string symbol,
                        system::Side side, system::Ticks price_ticks, system::Lots lots);

// One step of a generated order flow. Values are raw generated integers; Apply maps
// them onto orders (mostly valid, some off tick/lot, ids that repeat on purpose).
struct FlowOp {
  int account = 0;   // 0..3
  int kind = 0;      // 0..9: 0-1 cancel, 2 market, 3-4 IOC, else limit
  int symbol = 0;    // 0..1
  int side = 0;      // 0..1
  int price = 0;     // 0..20, offset from fair in increments, 0 = off tick
  int lots = 0;      // 0..12, in lot increments, 0 = off lot
  int id = 0;        // 0..40, the client order id number (repeats are duplicates)
};

// Opens accounts "trader-0".."trader-3" (deposits 1e9) on first use and applies `op`.
void Apply(Exchange& exchange, const FlowOp& op, system::TimeNs now_ns);

// Invariants; each returns "" when it holds, else a description.
std::string CheckNotCrossed(const Exchange& exchange);
std::string CheckPriceTimePriority(const Exchange& exchange);
std::string CheckConservation(const Exchange& exchange);
std::string CheckEachFillOncePerCounterparty(const Exchange& exchange);
std::string CheckOpenOrdersMatchBook(const Exchange& exchange);

// Counters for the summary line the property tests print.
struct FlowTotals {
  uint64_t orders = 0;
  uint64_t fills = 0;
  uint64_t cases = 0;
};
FlowTotals& Totals();
void CountFlow(const Exchange& exchange);

}  // namespace crashdrill::simulator::testing

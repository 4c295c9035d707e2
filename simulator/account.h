// Account: one participant's cash, positions and orders at the exchange, and the
// exact integer arithmetic of a fill. Cash moves by notional (price_ticks * lots)
// plus fees; positions keep average cost, realized P&L excludes fees. Every trade
// moves cash between two accounts and the fee account only, so the sum of all
// cash is constant and per symbol the positions sum to zero.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "simulator/event.h"
#include "system/state/vocabulary.h"

namespace crashdrill::simulator {

// Hashes std::string and std::string_view alike (is_transparent), so a map keyed by
// std::string is searched with a view without building a string first.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

struct PositionRecord {
  system::Lots quantity_lots = 0;
  system::Minor cost_minor = 0;  // signed notional of the open quantity
  system::Minor realized_pnl_minor = 0;
};

struct Account {
  std::string name;
  system::Minor cash_minor = 0;
  system::Minor deposited_minor = 0;
  // false for background participants: closed orders and reports are forgotten at
  // once, so their memory is bounded by their live orders.
  bool keep_history = true;
  std::vector<PositionRecord> positions;  // indexed by SymbolId
  // -> exchange_order_id
  std::unordered_map<std::string, uint64_t, StringHash, std::equal_to<>> client_order_ids;
  std::set<uint64_t> open_orders;                // exchange_order_ids
  std::deque<Event> history;                     // this account's events, bounded (oldest trimmed)
  system::Seq trimmed_through_exchange_seq = 0;  // newest exchange_seq trimmed away
  system::Seq next_report_seq = 1;
  uint64_t duplicate_client_order_ids = 0;
};

// Applies a signed quantity (positive buys) at `price_ticks` to `position`.
void ApplyToPosition(PositionRecord& position, system::Lots signed_lots, system::Ticks price_ticks);

// Fee in minor units at `rate_per_million` of `notional_minor`, rounded in the
// exchange's favour: a charge rounds up, a rebate (negative rate) rounds toward 0.
system::Minor FeeFor(system::Minor notional_minor, int64_t rate_per_million);

}  // namespace crashdrill::simulator

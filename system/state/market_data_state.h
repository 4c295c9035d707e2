// MarketDataState: recoverable state. It is checkpointed for a warm start but
// is always rebuilt from the venue after recovery; losing it loses nothing.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "system/state/vocabulary.h"

namespace crashdrill::system {

struct BookLevel {
  Ticks price_ticks = 0;
  Lots quantity_lots = 0;

  bool operator==(const BookLevel&) const = default;
};

struct BookSnapshot {
  std::string symbol;
  std::vector<BookLevel> bids;  // best (highest) first
  std::vector<BookLevel> asks;  // best (lowest) first
  Seq exchange_seq = 0;

  bool operator==(const BookSnapshot&) const = default;
};

struct PublicTrade {
  Seq exchange_seq = 0;
  std::string symbol;
  Ticks price_ticks = 0;
  Lots quantity_lots = 0;
  Side aggressor = Side::kBuy;

  bool operator==(const PublicTrade&) const = default;
};

enum class FeedStatus : uint8_t { kDisconnected = 0, kRecovering = 1, kLive = 2, kStale = 3 };

struct MarketDataState {
  static constexpr size_t kRecentTradesMax = 256;

  std::map<std::string, BookSnapshot> books;  // by symbol
  std::deque<PublicTrade> recent_trades;      // ascending exchange_seq, bounded
  FeedStatus status = FeedStatus::kDisconnected;
  TimeNs last_update_ns = 0;

  bool operator==(const MarketDataState&) const = default;
};

}  // namespace crashdrill::system

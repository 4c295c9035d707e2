// OrderBook: the resting orders of one symbol, by price level, each level a FIFO
// in arrival order (price-time priority). It holds order ids only; the exchange
// owns the orders. Invariant kept by the exchange: after matching the book is never
// crossed (best bid < best ask).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <vector>

#include "system/state/vocabulary.h"

namespace crashdrill::simulator {

class OrderBook {
 public:
  using Queue = std::list<uint64_t>;
  using Position = Queue::iterator;

  // Appends `order_id` at the back of its price level.
  Position Rest(system::Side side, system::Ticks price_ticks, uint64_t order_id);
  // Removes a resting order (cancel, or fully filled at the front).
  void Remove(system::Side side, system::Ticks price_ticks, Position position);

  std::optional<system::Ticks> BestBid() const;
  std::optional<system::Ticks> BestAsk() const;
  // The first order in time at the best price of `side`, if any.
  std::optional<uint64_t> Front(system::Side side, system::Ticks* price_ticks) const;

  // All resting order ids of `side`, in priority order (best price, then oldest).
  std::vector<uint64_t> OrdersInPriority(system::Side side) const;
  // Calls `visit(price_ticks, queue)` for the best `depth` price levels of `side`,
  // best first; a level is never empty. O(depth), whatever the book's size.
  template <typename Visit>
  void VisitLevels(system::Side side, size_t depth, Visit visit) const {
    if (side == system::Side::kBuy) {
      VisitFirst(bids_, depth, visit);
    } else {
      VisitFirst(asks_, depth, visit);
    }
  }
  size_t LevelCount(system::Side side) const;
  size_t OrderCount() const { return order_count_; }

 private:
  template <typename Levels, typename Visit>
  static void VisitFirst(const Levels& levels, size_t depth, Visit& visit) {
    for (auto level = levels.begin(); level != levels.end() && depth > 0; ++level, --depth) {
      visit(level->first, static_cast<const Queue&>(level->second));
    }
  }

  std::map<system::Ticks, Queue, std::greater<>> bids_;
  std::map<system::Ticks, Queue> asks_;
  size_t order_count_ = 0;
};

}  // namespace crashdrill::simulator

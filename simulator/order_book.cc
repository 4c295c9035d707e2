#include "simulator/order_book.h"

#include <cassert>

namespace crashdrill::simulator {

using system::Side;
using system::Ticks;

OrderBook::Position OrderBook::Rest(Side side, Ticks price_ticks, uint64_t order_id) {
  ++order_count_;
  if (side == Side::kBuy) {
    Queue& queue = bids_[price_ticks];
    return queue.insert(queue.end(), order_id);
  }
  Queue& queue = asks_[price_ticks];
  return queue.insert(queue.end(), order_id);
}

namespace {
template <typename Levels>
void RemoveFrom(Levels& levels, Ticks price_ticks, OrderBook::Position position) {
  auto level = levels.find(price_ticks);
  assert(level != levels.end());
  level->second.erase(position);
  if (level->second.empty()) levels.erase(level);
}

template <typename Levels>
void AppendAll(const Levels& levels, std::vector<uint64_t>& out) {
  for (const auto& [price, queue] : levels) out.insert(out.end(), queue.begin(), queue.end());
}
}  // namespace

void OrderBook::Remove(Side side, Ticks price_ticks, Position position) {
  assert(order_count_ > 0);
  --order_count_;
  if (side == Side::kBuy) {
    RemoveFrom(bids_, price_ticks, position);
  } else {
    RemoveFrom(asks_, price_ticks, position);
  }
}

std::optional<Ticks> OrderBook::BestBid() const {
  if (bids_.empty()) return std::nullopt;
  return bids_.begin()->first;
}

std::optional<Ticks> OrderBook::BestAsk() const {
  if (asks_.empty()) return std::nullopt;
  return asks_.begin()->first;
}

std::optional<uint64_t> OrderBook::Front(Side side, Ticks* price_ticks) const {
  if (side == Side::kBuy) {
    if (bids_.empty()) return std::nullopt;
    *price_ticks = bids_.begin()->first;
    return bids_.begin()->second.front();
  }
  if (asks_.empty()) return std::nullopt;
  *price_ticks = asks_.begin()->first;
  return asks_.begin()->second.front();
}

std::vector<uint64_t> OrderBook::OrdersInPriority(Side side) const {
  std::vector<uint64_t> out;
  out.reserve(order_count_);
  if (side == Side::kBuy) {
    AppendAll(bids_, out);
  } else {
    AppendAll(asks_, out);
  }
  return out;
}

size_t OrderBook::LevelCount(Side side) const {
  return side == Side::kBuy ? bids_.size() : asks_.size();
}

}  // namespace crashdrill::simulator

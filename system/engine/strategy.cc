#include "system/engine/strategy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace crashdrill::system {
namespace {

Ticks RoundToIncrement(Ticks price, Ticks increment) {
  return std::max<Ticks>(increment, price / increment * increment);
}

}  // namespace

MarketMakingStrategy::MarketMakingStrategy(StrategyOptions options, uint64_t seed)
    : options_(std::move(options)), rng_(seed) {}

Ticks MarketMakingStrategy::Mid(const Instrument& instrument,
                                const std::map<std::string, BookSnapshot>& books) {
  Ticks& last = last_mid_.try_emplace(instrument.symbol, instrument.reference_ticks).first->second;
  const auto book = books.find(instrument.symbol);
  if (book != books.end()) {
    const auto& bids = book->second.bids;
    const auto& asks = book->second.asks;
    if (!bids.empty() && !asks.empty()) {
      last = (bids.front().price_ticks + asks.front().price_ticks) / 2;
    } else if (!bids.empty()) {
      last = std::max(last, bids.front().price_ticks);
    } else if (!asks.empty()) {
      last = std::min(last, asks.front().price_ticks);
    }
  }
  return last;
}

void MarketMakingStrategy::QuoteSide(const EngineState& state, const Instrument& instrument,
                                     Side side, Ticks mid, StrategyDecision& decision) {
  const TradingState& t = state.trading;
  const Ticks inc = instrument.price_increment_ticks;
  const auto position = t.positions.find(instrument.symbol);
  const Lots held = position == t.positions.end() ? 0 : position->second.quantity_lots;
  const int64_t skew = options_.inventory_skew_lots > 0 ? held / options_.inventory_skew_lots : 0;
  std::vector<Ticks> wanted;
  for (int k = 0; k < options_.levels_per_side; ++k) {
    const int64_t away = (k + 1) * options_.spacing_increments;
    const int64_t offset = (side == Side::kBuy ? -away : away) - skew;
    wanted.push_back(RoundToIncrement(mid + offset * inc, inc));
  }
  // Live orders of this side: keep those near a wanted level, cancel the rest.
  std::vector<bool> covered(wanted.size(), false);
  const auto review = [&](const std::map<std::string, Order>& orders, bool can_cancel) {
    for (const auto& [id, order] : orders) {
      if (order.symbol != instrument.symbol || order.side != side ||
          order.type != OrderType::kLimit || order.cancel_requested) {
        continue;
      }
      bool keep = false;
      for (size_t i = 0; i < wanted.size(); ++i) {
        const Ticks distance = std::llabs(order.price_ticks - wanted[i]);
        if (distance <= options_.requote_increments * inc) {
          keep = !covered[i] || distance == 0;
          if (!covered[i]) covered[i] = true;
          break;
        }
      }
      if (!keep && can_cancel) decision.cancel.push_back(id);
    }
  };
  review(t.open_orders, /*can_cancel=*/true);
  review(t.pending_orders, /*can_cancel=*/false);  // not live yet: wait for the ack
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (covered[i]) continue;
    const Lots size = instrument.lot_increment_lots *
                      rng_.Between(1, std::max<int64_t>(1, options_.size_increments_max));
    decision.submit.push_back(
        {instrument.symbol, side, OrderType::kLimit, wanted[i], size, options_.strategy_id});
  }
}

StrategyDecision MarketMakingStrategy::Decide(const EngineState& state,
                                              const std::map<std::string, BookSnapshot>& books) {
  ++decisions_;
  StrategyDecision decision;
  for (const Instrument& instrument : options_.instruments) {
    const Ticks mid = Mid(instrument, books);
    QuoteSide(state, instrument, Side::kBuy, mid, decision);
    QuoteSide(state, instrument, Side::kSell, mid, decision);
    if (rng_.Chance(options_.cross_per_million, 1'000'000)) {
      const Side side = rng_.Chance(1, 2) ? Side::kBuy : Side::kSell;
      const int64_t through = 3 * options_.spacing_increments * instrument.price_increment_ticks;
      const Ticks price = RoundToIncrement(side == Side::kBuy ? mid + through : mid - through,
                                           instrument.price_increment_ticks);
      const Lots size = instrument.lot_increment_lots *
                        rng_.Between(1, std::max<int64_t>(1, options_.size_increments_max));
      decision.submit.push_back({instrument.symbol, side, OrderType::kImmediateOrCancel, price,
                                 size, options_.strategy_id});
    }
  }
  return decision;
}

StrategyState MarketMakingStrategy::Snapshot(TimeNs now_ns, Minor pnl_minor) const {
  StrategyState s;
  s.strategy_id = options_.strategy_id;
  s.name = "market maker";
  s.parameters["levels_per_side"] = options_.levels_per_side;
  s.parameters["spacing_increments"] = options_.spacing_increments;
  s.parameters["size_increments_max"] = options_.size_increments_max;
  s.parameters["decisions"] = static_cast<int64_t>(decisions_);
  for (const auto& [symbol, mid] : last_mid_) s.parameters["mid_ticks." + symbol] = mid;
  s.active = true;
  s.last_signal_ns = now_ns;
  s.pnl_minor = pnl_minor;
  return s;
}

void MarketMakingStrategy::Restore(const StrategyState& state) {
  static constexpr std::string_view kMid = "mid_ticks.";
  for (const auto& [name, value] : state.parameters) {
    if (name.starts_with(kMid) && value > 0) last_mid_[name.substr(kMid.size())] = value;
  }
  if (auto it = state.parameters.find("decisions"); it != state.parameters.end()) {
    decisions_ = static_cast<uint64_t>(std::max<int64_t>(0, it->second));
  }
}

}  // namespace crashdrill::system

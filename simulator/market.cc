#include "simulator/market.h"

#include <algorithm>
#include <climits>

namespace crashdrill::simulator {

using system::Lots;
using system::OrderType;
using system::Side;
using system::Ticks;
using system::TimeNs;

Market::Market(Exchange& exchange, MarketConfig config, uint64_t seed, TimeNs start_ns)
    : exchange_(exchange),
      config_(config),
      random_(seed),
      interval_ns_(config.actions_per_second > 0 ? std::max<TimeNs>(
                                                       1, 1'000'000'000 / config.actions_per_second)
                                                 : 0),
      next_action_ns_(config.actions_per_second > 0 ? start_ns + interval_ns_ : INT64_MAX) {
  for (uint32_t i = 0; i < config_.participants; ++i) {
    Participant participant;
    participant.account = exchange_.OpenAccount("background-" + std::to_string(i), 0,
                                                /*keep_history=*/false);
    participants_.push_back(std::move(participant));
  }
  for (const SymbolSpec& spec : exchange_.symbols()) {
    const Ticks increment = spec.price_increment_ticks;
    fair_ticks_.push_back(std::max(spec.initial_fair_ticks / increment, Ticks{100}) * increment);
  }
}

void Market::AdvanceTo(TimeNs now_ns) {
  uint64_t performed = 0;
  while (next_action_ns_ <= now_ns && performed < config_.actions_per_advance_max) {
    Step(next_action_ns_);
    next_action_ns_ += interval_ns_;
    ++performed;
  }
  if (next_action_ns_ <= now_ns) {  // too far behind: skip instead of catching up
    next_action_ns_ = now_ns + interval_ns_;
  }
}

void Market::Step(TimeNs now_ns) {
  ++actions_;
  if (participants_.empty() || fair_ticks_.empty()) return;
  const auto symbol = static_cast<SymbolId>(random_.Below(fair_ticks_.size()));
  if (ChancePerMillion(random_, config_.drift_per_million)) Drift(symbol);
  Participant& participant = participants_[random_.Below(participants_.size())];
  Prune(participant, now_ns);
  const uint64_t roll = random_.Below(1'000'000);
  auto& live = participant.live_client_order_ids;
  if (roll < config_.cancel_per_million && !live.empty()) {
    const size_t index = random_.Below(live.size());
    exchange_.Cancel(participant.account, live[index], now_ns);
    live.erase(live.begin() + static_cast<std::ptrdiff_t>(index));
  } else if (roll < uint64_t{config_.cancel_per_million} + config_.cross_per_million) {
    Cross(participant, symbol, now_ns);
  } else {
    PlacePassive(participant, symbol, now_ns);
  }
}

void Market::Drift(SymbolId symbol) {
  const Ticks increment = exchange_.symbols()[symbol].price_increment_ticks;
  const Ticks step = random_.Below(2) == 0 ? -increment : increment;
  fair_ticks_[symbol] = std::clamp(fair_ticks_[symbol] + step, 100 * increment,
                                   kMaxPriceTicks / 2 / increment * increment);
}

void Market::Prune(Participant& participant, TimeNs now_ns) {
  const Account& account = exchange_.account(participant.account);
  auto& live = participant.live_client_order_ids;
  std::erase_if(live, [&](const std::string& id) { return !account.client_order_ids.contains(id); });
  while (live.size() >= config_.resting_per_participant_max && !live.empty()) {
    exchange_.Cancel(participant.account, live.front(), now_ns);
    live.erase(live.begin());
  }
}

void Market::PlacePassive(Participant& participant, SymbolId symbol, TimeNs now_ns) {
  const SymbolSpec& spec = exchange_.symbols()[symbol];
  system::NewOrder order;
  order.client_order_id = NextClientOrderId(participant);
  order.symbol = spec.name;
  order.side = random_.Below(2) == 0 ? Side::kBuy : Side::kSell;
  order.type = OrderType::kLimit;
  const Ticks offset = random_.Between(1, config_.half_spread_increments_max) *
                       spec.price_increment_ticks;
  order.price_ticks = fair_ticks_[symbol] + (order.side == Side::kBuy ? -offset : offset);
  order.quantity_lots = random_.Between(1, config_.order_size_increments_max) *
                        spec.lot_increment_lots;
  exchange_.Submit(participant.account, order, now_ns);
  if (exchange_.account(participant.account).client_order_ids.contains(order.client_order_id)) {
    participant.live_client_order_ids.push_back(std::move(order.client_order_id));
  }
}

void Market::Cross(Participant& participant, SymbolId symbol, TimeNs now_ns) {
  const SymbolSpec& spec = exchange_.symbols()[symbol];
  system::NewOrder order;
  order.client_order_id = NextClientOrderId(participant);
  order.symbol = spec.name;
  order.side = random_.Below(2) == 0 ? Side::kBuy : Side::kSell;
  const bool market = random_.Below(4) == 0;
  order.type = market ? OrderType::kMarket : OrderType::kImmediateOrCancel;
  if (!market) {
    const Ticks reach = random_.Between(0, config_.half_spread_increments_max) *
                        spec.price_increment_ticks;
    order.price_ticks = fair_ticks_[symbol] + (order.side == Side::kBuy ? reach : -reach);
  }
  order.quantity_lots = random_.Between(1, config_.order_size_increments_max) *
                        spec.lot_increment_lots;
  exchange_.Submit(participant.account, order, now_ns);
}

std::string Market::NextClientOrderId(Participant& participant) {
  return "bg-" + std::to_string(participant.next_order_number++);
}

}  // namespace crashdrill::simulator

// RapidCheck generators for sequences of state updates that a live engine
// could produce: each step is drawn from what the current state allows.
#pragma once

#include <rapidcheck.h>

#include <vector>

#include "system/state/state_update.h"
#include "tests/support/state_generators.h"

namespace crashdrill::testing {

template <typename Map>
std::vector<std::string> KeysOf(const Map& map) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : map) keys.push_back(key);
  return keys;
}

// One update that fits `state` (submit, ack, reject, cancel, fill, halt, ...).
inline rc::Gen<StateUpdate> GenNextUpdate(const EngineState& state, int order_number) {
  return rc::gen::exec([&state, order_number]() -> StateUpdate {
    const TradingState& t = state.trading;
    std::vector<int> choices = {0, 0, 0, 6, 7};  // submit is common; halt/resume rare
    if (!t.pending_orders.empty()) choices.insert(choices.end(), {1, 1, 2, 5});
    if (!t.open_orders.empty()) choices.insert(choices.end(), {3, 4, 5, 5, 5});
    const Seq exchange_seq = t.last_exchange_seq + *rc::gen::inRange<Seq>(1, 5);
    switch (*rc::gen::elementOf(choices)) {
      case 0: {
        Order order = *GenOrder("c-" + std::to_string(order_number), false);
        order.filled_lots = 0;
        order.cancel_requested = false;
        order.venue = "SIMX";
        return OrderSubmitted{order};
      }
      case 1: {
        const auto& id = *rc::gen::elementOf(KeysOf(t.pending_orders));
        return OrderAcknowledged{id, *rc::gen::inRange<uint64_t>(1, 1u << 30), exchange_seq};
      }
      case 2:
        return OrderRejected{*rc::gen::elementOf(KeysOf(t.pending_orders)), "price band",
                             exchange_seq};
      case 3:
        return CancelRequested{*rc::gen::elementOf(KeysOf(t.open_orders))};
      case 4:
        return CancelAcknowledged{*rc::gen::elementOf(KeysOf(t.open_orders)), exchange_seq};
      case 5: {
        const bool from_open = !t.open_orders.empty();
        const auto& orders = from_open ? t.open_orders : t.pending_orders;
        const Order& order = orders.at(*rc::gen::elementOf(KeysOf(orders)));
        Fill fill = *GenFill(exchange_seq);
        fill.client_order_id = order.client_order_id;
        fill.symbol = order.symbol;
        fill.side = order.side;
        fill.quantity_lots = *rc::gen::inRange<Lots>(1, order.remaining_lots() + 1);
        return FillReceived{fill, "USD"};
      }
      case 6:
        return RiskHalted{*rc::gen::element<std::string>("max daily loss", "operator")};
      default:
        return RiskResumed{};
    }
  });
}

// Any update, including the ones a live engine makes rarely (position and
// balance corrections from reconciliation, config changes, strategy state).
inline rc::Gen<StateUpdate> GenAnyUpdate() {
  return rc::gen::exec([]() -> StateUpdate {
    EngineState state;
    state.trading = *GenValidTradingState();
    switch (*rc::gen::inRange(0, 10)) {
      case 0: {
        const std::string symbol = *GenSymbol();
        return PositionSet{{symbol, *rc::gen::inRange<Lots>(-100, 100),
                            *rc::gen::arbitrary<Minor>(), *rc::gen::arbitrary<Minor>()}};
      }
      case 1:
        return BalanceSet{{"SIMX", "USD", *rc::gen::arbitrary<Minor>(),
                           *rc::gen::arbitrary<Minor>()}};
      case 2:
        return ConfigChanged{*GenConfigurationState()};
      case 3:
        return StrategyUpdated{*GenStrategyState("mm-1")};
      default:
        return *GenNextUpdate(state, *rc::gen::inRange(0, 1000));
    }
  });
}

}  // namespace crashdrill::testing

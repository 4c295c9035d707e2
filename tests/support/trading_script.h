// A scripted trading life for level, archive and backup tests: the k-th
// update of `life` submits, acknowledges or fills one order after another on
// two symbols, with ids, prices and exchange seqs no other life uses, so
// every prefix of the script applies to the state the previous one made and
// two lives never write the same record.
#pragma once

#include <string>

#include "system/state/state_update.h"

namespace crashdrill::testing {

inline system::StateUpdate TradingScriptUpdate(int life, int k) {
  using namespace system;
  const std::string id = "L" + std::to_string(life) + "-o" + std::to_string(k / 3);
  const std::string symbol = (k / 3 + life) % 2 == 0 ? "ESZ6" : "NQZ6";
  const Side side = (k / 3) % 2 == 0 ? Side::kBuy : Side::kSell;
  const Ticks price = 1'000 + life * 100 + k;
  switch (k % 3) {
    case 0: {
      Order order;
      order.client_order_id = id;
      order.symbol = symbol;
      order.venue = "SIMX";
      order.side = side;
      order.price_ticks = price;
      order.quantity_lots = 3;
      return OrderSubmitted{order};
    }
    case 1:
      return OrderAcknowledged{id, static_cast<uint64_t>(1'000 * (life + 1) + k),
                               static_cast<Seq>(100 * (life + 1) + k)};
    default: {
      Fill fill;
      fill.client_order_id = id;
      fill.exchange_seq = static_cast<Seq>(100 * (life + 1) + k);
      fill.symbol = symbol;
      fill.side = side;
      fill.price_ticks = price;
      fill.quantity_lots = 1 + k % 2;
      return FillReceived{fill, "USD"};
    }
  }
}

}  // namespace crashdrill::testing

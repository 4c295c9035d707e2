// The trading vocabulary shared by the engine, its persisted state and the
// exchange simulator. Fixed point everywhere: prices in integer ticks,
// quantities in integer lots, money in integer minor units. The value of one
// lot traded at one tick is one minor unit, so notional = price_ticks * lots.
#pragma once

#include <cstdint>
#include <string>

namespace crashdrill::system {

using Ticks = int64_t;   // price in ticks of the instrument
using Lots = int64_t;    // quantity in lots; signed where it is a position
using Minor = int64_t;   // money in minor units of the account currency
using Seq = uint64_t;    // state_seq or exchange_seq; 0 means "none yet"
using TimeNs = int64_t;  // wall-clock label in ns since the epoch (never used to order)

enum class Side : uint8_t { kBuy = 1, kSell = 2 };
enum class OrderType : uint8_t { kLimit = 1, kMarket = 2, kImmediateOrCancel = 3 };

std::string_view SideName(Side side);
std::string_view OrderTypeName(OrderType type);

// An order of the engine's account. `client_order_id` is unique per account and
// is what reconciliation matches on; `exchange_order_id` is 0 until the venue
// acknowledged the order.
struct Order {
  std::string client_order_id;
  uint64_t exchange_order_id = 0;
  std::string symbol;
  std::string venue;
  std::string strategy_id;
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  Ticks price_ticks = 0;  // 0 for market orders
  Lots quantity_lots = 0;
  Lots filled_lots = 0;
  bool cancel_requested = false;
  TimeNs created_ns = 0;
  TimeNs updated_ns = 0;

  Lots remaining_lots() const { return quantity_lots - filled_lots; }
  bool operator==(const Order&) const = default;
};

// One execution of one of the account's orders, as the venue reported it.
struct Fill {
  Seq exchange_seq = 0;
  uint64_t trade_id = 0;
  std::string client_order_id;
  uint64_t exchange_order_id = 0;
  std::string symbol;
  Side side = Side::kBuy;
  Ticks price_ticks = 0;
  Lots quantity_lots = 0;
  Minor fee_minor = 0;  // paid by the account (negative for a rebate)
  bool maker = false;
  TimeNs exchange_time_ns = 0;

  bool operator==(const Fill&) const = default;
};

// Net position in one symbol. `cost_minor` is the signed notional paid for the
// open quantity (average price = cost_minor / quantity_lots).
struct Position {
  std::string symbol;
  Lots quantity_lots = 0;
  Minor cost_minor = 0;
  Minor realized_pnl_minor = 0;

  bool operator==(const Position&) const = default;
};

// Cash of the account at one venue in one currency.
struct Balance {
  std::string venue;
  std::string currency;
  Minor total_minor = 0;
  Minor available_minor = 0;  // total less what open orders reserve

  bool operator==(const Balance&) const = default;
};

}  // namespace crashdrill::system

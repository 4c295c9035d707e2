// Venue: the engine's only door to an exchange, for trading and for recovery.
// Poll-based and single-threaded: Submit/Cancel send a request, Poll returns the
// account's execution reports in order, the Query* calls are what recovery uses.
//
// Contract. Every call returns a Status/Result. kUnavailable means the link failed
// (partition, drop, timeout, closed socket) and the call may be retried. A Submit or
// Cancel that returned kUnavailable MAY OR MAY NOT have reached the exchange: the
// engine resolves it with QueryOrder(client_order_id) and never re-sends an order
// the venue already has. Submit/Cancel returning OK only means "sent"; acceptance is
// a kNewAck (or kReject) report. Reports of one account carry consecutive
// `account_report_seq` (1, 2, ...), so a gap in Poll means reports were dropped on
// the way and must be fetched with QueryReportsSince; `exchange_seq` is global to
// the exchange (gaps are other accounts' events). Queries by sequence page: they
// return at most `max_count` entries after the given sequence; ask again from the
// last one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "system/io/result.h"
#include "system/io/status.h"
#include "system/state/market_data_state.h"
#include "system/state/vocabulary.h"

namespace crashdrill::system {

enum class ExecType : uint8_t {
  kNewAck = 1,        // the order is live at the exchange (exchange_order_id set)
  kReject = 2,        // the order was refused; `reason` says why; nothing is live
  kPartialFill = 3,   // `fill` executed; `leaves_lots` > 0 remain live
  kFill = 4,          // `fill` executed; the order is complete
  kCancelAck = 5,     // the order is closed; quantity - filled lots were cancelled (reason)
  kCancelReject = 6,  // a cancel request was refused; `reason` says why
};

enum class RejectReason : uint8_t {
  kNone = 0,
  kDuplicateClientOrderId = 1,  // the id is live or was already used by this account
  kUnknownSymbol = 2,
  kInvalidPrice = 3,          // <= 0 or too large for a limit/IOC, != 0 for a market
  kPriceNotOnTick = 4,        // not a multiple of the symbol's price increment
  kInvalidQuantity = 5,       // <= 0 or too large
  kQuantityNotOnLot = 6,      // not a multiple of the symbol's lot increment
  kInvalidClientOrderId = 7,  // empty or longer than kMaxClientOrderIdBytes
  kUnknownOrder = 8,          // cancel of an id this account never used
  kOrderClosed = 9,           // cancel of an order already filled or cancelled
  kSelfTradePrevented = 10,   // cancel-ack: a resting order met its own account
  kRemainderCancelled = 11,   // cancel-ack: unfilled rest of a market/IOC order
  kCanceledByClient = 12,     // cancel-ack: the account asked for it
  kTooManyOrders = 13,        // the account reached its order-history limit
};

std::string_view ExecTypeName(ExecType type);
std::string_view RejectReasonName(RejectReason reason);

inline constexpr size_t kMaxClientOrderIdBytes = 64;
inline constexpr size_t kMaxSymbolBytes = 32;

struct NewOrder {
  std::string client_order_id;
  std::string symbol;
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  Ticks price_ticks = 0;  // 0 for market orders
  Lots quantity_lots = 0;

  bool operator==(const NewOrder&) const = default;
};

// One event of one account's order, as the exchange reports it. `fill` is set for
// kPartialFill and kFill only (fill.exchange_seq == exchange_seq).
struct ExecutionReport {
  Seq exchange_seq = 0;
  Seq account_report_seq = 0;
  ExecType type = ExecType::kNewAck;
  RejectReason reason = RejectReason::kNone;
  std::string client_order_id;
  uint64_t exchange_order_id = 0;  // 0 for a reject of a new order
  std::string symbol;
  Side side = Side::kBuy;
  OrderType order_type = OrderType::kLimit;
  Ticks price_ticks = 0;
  Lots quantity_lots = 0;  // the order's total quantity
  Lots filled_lots = 0;    // cumulative, after this report
  Lots leaves_lots = 0;    // still live after this report
  Fill fill;
  TimeNs exchange_time_ns = 0;

  bool operator==(const ExecutionReport&) const = default;
};

enum class OrderState : uint8_t { kOpen = 1, kFilled = 2, kCancelled = 3 };

// An order as the exchange knows it, open or closed (for resolving a submit whose
// outcome the engine never learned).
struct VenueOrder {
  Order order;  // exchange_order_id, quantity, filled, price, side, type, symbol
  OrderState state = OrderState::kOpen;
  Seq last_exchange_seq = 0;

  bool operator==(const VenueOrder&) const = default;
};

class Venue {
 public:
  virtual ~Venue() = default;

  // Sends a new order. OK = sent; the outcome arrives as a report.
  virtual Status Submit(const NewOrder& order) = 0;
  // Sends a cancel of the account's order `client_order_id`.
  virtual Status Cancel(std::string_view client_order_id) = 0;
  // Up to `max_count` reports not returned by Poll before, oldest first.
  virtual Result<std::vector<ExecutionReport>> Poll(size_t max_count) = 0;

  // Recovery queries about this account, as of now.
  virtual Result<std::vector<Position>> QueryPositions() = 0;
  virtual Result<std::vector<Balance>> QueryBalances() = 0;
  virtual Result<std::vector<Order>> QueryOpenOrders() = 0;
  // kNotFound if the account never submitted `client_order_id` (or it was rejected).
  virtual Result<VenueOrder> QueryOrder(std::string_view client_order_id) = 0;
  // Reports with exchange_seq > `after_exchange_seq`, oldest first, at most
  // `max_count`. kFailedPrecondition if the exchange no longer keeps reports that
  // old (its bounded per-account history was trimmed past that point).
  virtual Result<std::vector<ExecutionReport>> QueryReportsSince(Seq after_exchange_seq,
                                                                 size_t max_count) = 0;
  // The fills among those reports.
  virtual Result<std::vector<Fill>> QueryFillsSince(Seq after_exchange_seq, size_t max_count) = 0;

  // Market data, not about this account: what the strategy sees and what recovery
  // rebuilds MarketDataState from.
  // The top `depth` price levels of `symbol`'s book as of now, aggregated per price
  // (bids best=highest first, asks best=lowest first) and the exchange_seq it is as of.
  // Every order resting at the exchange counts, this account's own included. A venue
  // may serve fewer levels than asked (the loopback venue at most 64 per side).
  // kNotFound for an unknown symbol.
  virtual Result<BookSnapshot> QueryBook(std::string_view symbol, size_t depth) = 0;
};

}  // namespace crashdrill::system

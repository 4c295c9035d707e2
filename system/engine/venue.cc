#include "system/engine/venue.h"

namespace crashdrill::system {

std::string_view ExecTypeName(ExecType type) {
  switch (type) {
    case ExecType::kNewAck: return "new_ack";
    case ExecType::kReject: return "reject";
    case ExecType::kPartialFill: return "partial_fill";
    case ExecType::kFill: return "fill";
    case ExecType::kCancelAck: return "cancel_ack";
    case ExecType::kCancelReject: return "cancel_reject";
  }
  return "invalid";
}

std::string_view RejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kNone: return "none";
    case RejectReason::kDuplicateClientOrderId: return "duplicate_client_order_id";
    case RejectReason::kUnknownSymbol: return "unknown_symbol";
    case RejectReason::kInvalidPrice: return "invalid_price";
    case RejectReason::kPriceNotOnTick: return "price_not_on_tick";
    case RejectReason::kInvalidQuantity: return "invalid_quantity";
    case RejectReason::kQuantityNotOnLot: return "quantity_not_on_lot";
    case RejectReason::kInvalidClientOrderId: return "invalid_client_order_id";
    case RejectReason::kUnknownOrder: return "unknown_order";
    case RejectReason::kOrderClosed: return "order_closed";
    case RejectReason::kSelfTradePrevented: return "self_trade_prevented";
    case RejectReason::kRemainderCancelled: return "remainder_cancelled";
    case RejectReason::kCanceledByClient: return "canceled_by_client";
    case RejectReason::kTooManyOrders: return "too_many_orders";
  }
  return "invalid";
}

}  // namespace crashdrill::system

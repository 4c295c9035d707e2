// Payload encoding of each StateUpdate, built on the state codec's primitives.
#include <fmt/format.h>

#include "system/state/byte_codec.h"
#include "system/state/codec.h"
#include "system/state/codec_types.h"
#include "system/state/state_update.h"

namespace crashdrill::system {
namespace {

struct Encoder {
  ByteWriter& w;
  void operator()(const OrderSubmitted& u) { codec::PutOrder(w, u.order); }
  void operator()(const OrderAcknowledged& u) {
    w.String(u.client_order_id);
    w.U64(u.exchange_order_id);
    w.U64(u.exchange_seq);
  }
  void operator()(const OrderRejected& u) {
    w.String(u.client_order_id);
    w.String(u.reason);
    w.U64(u.exchange_seq);
  }
  void operator()(const CancelRequested& u) { w.String(u.client_order_id); }
  void operator()(const CancelAcknowledged& u) {
    w.String(u.client_order_id);
    w.U64(u.exchange_seq);
  }
  void operator()(const FillReceived& u) {
    codec::PutFill(w, u.fill);
    w.String(u.currency);
  }
  void operator()(const PositionSet& u) {
    w.String(u.position.symbol);
    w.I64(u.position.quantity_lots);
    w.I64(u.position.cost_minor);
    w.I64(u.position.realized_pnl_minor);
  }
  void operator()(const BalanceSet& u) {
    w.String(u.balance.venue);
    w.String(u.balance.currency);
    w.I64(u.balance.total_minor);
    w.I64(u.balance.available_minor);
  }
  void operator()(const RiskHalted& u) { w.String(u.reason); }
  void operator()(const RiskResumed&) {}
  void operator()(const ConfigChanged& u) { codec::Put(w, u.config, kSchemaVersionCurrent); }
  void operator()(const StrategyUpdated& u) { codec::Put(w, u.strategy, kSchemaVersionCurrent); }
};

StateUpdate DecodeByType(ByteReader& r, RecordType type) {
  switch (type) {
    case RecordType::kOrderSubmit: {
      OrderSubmitted u;
      codec::GetOrder(r, u.order);
      return u;
    }
    case RecordType::kOrderAcknowledged:
      return OrderAcknowledged{r.String("client_order_id"), r.U64("exchange_order_id"),
                               r.U64("exchange_seq")};
    case RecordType::kOrderRejected:
      return OrderRejected{r.String("client_order_id"), r.String("reason"), r.U64("exchange_seq")};
    case RecordType::kCancelRequested:
      return CancelRequested{r.String("client_order_id")};
    case RecordType::kCancelAcknowledged:
      return CancelAcknowledged{r.String("client_order_id"), r.U64("exchange_seq")};
    case RecordType::kFillReceived: {
      FillReceived u;
      codec::GetFill(r, u.fill);
      u.currency = r.String("currency");
      return u;
    }
    case RecordType::kPositionUpdate:
      return PositionSet{{r.String("symbol"), r.I64("quantity_lots"), r.I64("cost_minor"),
                          r.I64("realized_pnl_minor")}};
    case RecordType::kBalanceUpdate:
      return BalanceSet{{r.String("venue"), r.String("currency"), r.I64("total_minor"),
                         r.I64("available_minor")}};
    case RecordType::kRiskHalt:
      return RiskHalted{r.String("reason")};
    case RecordType::kRiskResume:
      return RiskResumed{};
    case RecordType::kConfigChange: {
      ConfigChanged u;
      codec::Get(r, u.config, kSchemaVersionCurrent);
      return u;
    }
    case RecordType::kStrategyUpdate: {
      StrategyUpdated u;
      codec::Get(r, u.strategy, kSchemaVersionCurrent);
      return u;
    }
  }
  r.Fail("type", fmt::format("unknown record type {}", static_cast<int>(type)));
  return RiskResumed{};
}

}  // namespace

std::string_view RecordTypeName(RecordType type) {
  switch (type) {
    case RecordType::kOrderSubmit: return "order_submit";
    case RecordType::kOrderAcknowledged: return "order_acknowledged";
    case RecordType::kOrderRejected: return "order_rejected";
    case RecordType::kCancelRequested: return "cancel_requested";
    case RecordType::kCancelAcknowledged: return "cancel_acknowledged";
    case RecordType::kFillReceived: return "fill_received";
    case RecordType::kPositionUpdate: return "position_update";
    case RecordType::kBalanceUpdate: return "balance_update";
    case RecordType::kRiskHalt: return "risk_halt";
    case RecordType::kRiskResume: return "risk_resume";
    case RecordType::kConfigChange: return "config_change";
    case RecordType::kStrategyUpdate: return "strategy_update";
  }
  return "invalid";
}

RecordType TypeOf(const StateUpdate& update) {
  // The variant's alternatives are in RecordType order.
  return static_cast<RecordType>(update.index() + 1);
}

bool IsCritical(const StateUpdate& update) {
  return !std::holds_alternative<StrategyUpdated>(update);
}

std::string EncodeStateUpdate(const StateUpdate& update) {
  ByteWriter w;
  std::visit(Encoder{w}, update);
  const MutableByteSpan bytes = w.written();
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

Result<StateUpdate> DecodeStateUpdate(RecordType type, std::string_view payload,
                                      std::string_view source) {
  ByteReader r(AsBytes(payload), source, 0);
  ByteReader::Scope scope(r, RecordTypeName(type).data());
  StateUpdate update = DecodeByType(r, type);
  r.ExpectEnd();
  if (!r.ok()) return r.status();
  return update;
}

}  // namespace crashdrill::system

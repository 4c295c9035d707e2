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
  void operator()(const ReportsSeen& u) { w.U64(u.exchange_seq); }
};

// The larger alternatives are emplaced by moving in an aggregate-initialised
// T{}: emplace<T>() value-initialises, zero-filling the whole object before
// its constructor runs, which cost a third of a fill's decode. (Not
// emplace<T>(member{}): clang 14 has no parenthesised aggregate init.)
template <typename T>
T& EmplaceFresh(StateUpdate& out) {
  return out.emplace<T>(T{});
}

// Decodes into the alternative of `type`, built in place in `out`: a replayed
// record's fields are written once, where they stay.
void DecodeByType(ByteReader& r, RecordType type, StateUpdate& out) {
  switch (type) {
    case RecordType::kOrderSubmit:
      codec::GetOrder(r, EmplaceFresh<OrderSubmitted>(out).order);
      return;
    case RecordType::kOrderAcknowledged: {
      OrderAcknowledged& u = out.emplace<OrderAcknowledged>();
      r.StringInto("client_order_id", u.client_order_id);
      u.exchange_order_id = r.U64("exchange_order_id");
      u.exchange_seq = r.U64("exchange_seq");
      return;
    }
    case RecordType::kOrderRejected: {
      OrderRejected& u = out.emplace<OrderRejected>();
      r.StringInto("client_order_id", u.client_order_id);
      r.StringInto("reason", u.reason);
      u.exchange_seq = r.U64("exchange_seq");
      return;
    }
    case RecordType::kCancelRequested:
      r.StringInto("client_order_id", out.emplace<CancelRequested>().client_order_id);
      return;
    case RecordType::kCancelAcknowledged: {
      CancelAcknowledged& u = out.emplace<CancelAcknowledged>();
      r.StringInto("client_order_id", u.client_order_id);
      u.exchange_seq = r.U64("exchange_seq");
      return;
    }
    case RecordType::kFillReceived: {
      FillReceived& u = EmplaceFresh<FillReceived>(out);
      codec::GetFill(r, u.fill);
      r.StringInto("currency", u.currency);
      return;
    }
    case RecordType::kPositionUpdate:
      codec::GetPosition(r, EmplaceFresh<PositionSet>(out).position);
      return;
    case RecordType::kBalanceUpdate:
      codec::GetBalance(r, EmplaceFresh<BalanceSet>(out).balance);
      return;
    case RecordType::kRiskHalt:
      r.StringInto("reason", out.emplace<RiskHalted>().reason);
      return;
    case RecordType::kRiskResume:
      out.emplace<RiskResumed>();
      return;
    case RecordType::kConfigChange:
      codec::Get(r, out.emplace<ConfigChanged>().config, kSchemaVersionCurrent);
      return;
    case RecordType::kStrategyUpdate:
      codec::Get(r, out.emplace<StrategyUpdated>().strategy, kSchemaVersionCurrent);
      return;
    case RecordType::kReportsSeen:
      out.emplace<ReportsSeen>().exchange_seq = r.U64("exchange_seq");
      return;
  }
  r.Fail("type", fmt::format("unknown record type {}", static_cast<int>(type)));
}

}  // namespace

std::string_view RecordTypeName(RecordType type) {
  switch (type) {
    case RecordType::kOrderSubmit:
      return "order_submit";
    case RecordType::kOrderAcknowledged:
      return "order_acknowledged";
    case RecordType::kOrderRejected:
      return "order_rejected";
    case RecordType::kCancelRequested:
      return "cancel_requested";
    case RecordType::kCancelAcknowledged:
      return "cancel_acknowledged";
    case RecordType::kFillReceived:
      return "fill_received";
    case RecordType::kPositionUpdate:
      return "position_update";
    case RecordType::kBalanceUpdate:
      return "balance_update";
    case RecordType::kRiskHalt:
      return "risk_halt";
    case RecordType::kRiskResume:
      return "risk_resume";
    case RecordType::kConfigChange:
      return "config_change";
    case RecordType::kStrategyUpdate:
      return "strategy_update";
    case RecordType::kReportsSeen:
      return "reports_seen";
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
  // Decoded where it is returned (one object, named return value): no move
  // of the update after it is built.
  Result<StateUpdate> out(StateUpdate(std::in_place_type<RiskResumed>));
  DecodeByType(r, type, *out);
  r.ExpectEnd();
  if (!r.ok()) out = r.status();
  return out;
}

}  // namespace crashdrill::system

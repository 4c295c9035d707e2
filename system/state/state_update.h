// StateUpdate: one change of the engine's state — the payload of one WAL
// record — and how it applies. Applying is deterministic (no clock, no
// randomness: the record carries its seq and time) and refuses an update that
// does not fit the state (an ack for an unknown order) instead of guessing, so
// replaying the WAL over a snapshot rebuilds exactly the state that was live.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "system/io/result.h"
#include "system/state/engine_state.h"

namespace crashdrill::system {

// The WAL record types (wal_format.h stores them as one byte).
enum class RecordType : uint8_t {
  kOrderSubmit = 1,  // intent, durable before the order is sent
  kOrderAcknowledged = 2,
  kOrderRejected = 3,
  kCancelRequested = 4,
  kCancelAcknowledged = 5,
  kFillReceived = 6,
  kPositionUpdate = 7,
  kBalanceUpdate = 8,
  kRiskHalt = 9,
  kRiskResume = 10,
  kConfigChange = 11,
  kStrategyUpdate = 12,
  kReportsSeen = 13,
};
inline constexpr uint8_t kRecordTypeMax = 13;
std::string_view RecordTypeName(RecordType type);

struct OrderSubmitted { Order order; bool operator==(const OrderSubmitted&) const = default; };
struct OrderAcknowledged {
  std::string client_order_id;
  uint64_t exchange_order_id = 0;
  Seq exchange_seq = 0;
  bool operator==(const OrderAcknowledged&) const = default;
};
struct OrderRejected {
  std::string client_order_id;
  std::string reason;
  Seq exchange_seq = 0;
  bool operator==(const OrderRejected&) const = default;
};
struct CancelRequested {
  std::string client_order_id;
  bool operator==(const CancelRequested&) const = default;
};
struct CancelAcknowledged {
  std::string client_order_id;
  Seq exchange_seq = 0;
  bool operator==(const CancelAcknowledged&) const = default;
};
// A fill of one of the account's orders; cash moves in `currency` at the order's venue.
struct FillReceived {
  Fill fill;
  std::string currency;
  bool operator==(const FillReceived&) const = default;
};
struct PositionSet { Position position; bool operator==(const PositionSet&) const = default; };
struct BalanceSet { Balance balance; bool operator==(const BalanceSet&) const = default; };
struct RiskHalted {
  std::string reason;
  bool operator==(const RiskHalted&) const = default;
};
struct RiskResumed { bool operator==(const RiskResumed&) const = default; };
struct ConfigChanged {
  ConfigurationState config;
  bool operator==(const ConfigChanged&) const = default;
};
struct StrategyUpdated {
  StrategyState strategy;
  bool operator==(const StrategyUpdated&) const = default;
};
// The state reflects every venue report up to exchange_seq: reconciliation
// adopted the venue's orders, positions and balances as they were after it,
// including reports that fitted no local order then. Without it a restart
// would apply those reports again to what was adopted.
struct ReportsSeen {
  Seq exchange_seq = 0;
  bool operator==(const ReportsSeen&) const = default;
};

using StateUpdate =
    std::variant<OrderSubmitted, OrderAcknowledged, OrderRejected, CancelRequested,
                 CancelAcknowledged, FillReceived, PositionSet, BalanceSet, RiskHalted,
                 RiskResumed, ConfigChanged, StrategyUpdated, ReportsSeen>;

RecordType TypeOf(const StateUpdate& update);
// True for updates of critical state: never acknowledged before they are durable.
bool IsCritical(const StateUpdate& update);

// The sequence rule (DESIGN §3 state classes; every level and recovery relies on it):
//
//   state_seq numbers critical updates only. The n-th critical update is
//   state_seq n and is WAL record n, so the WAL's seqs are contiguous and a
//   gap in them is a lost critical record. A non-critical update (strategy
//   state) does not advance state_seq and changes nothing in TradingState: it
//   is applied with the state_seq it was made after (the state's own) and
//   reaches disk only inside whole-state copies (L2, snapshots, archive),
//   never the WAL.
//
// So, per class, a copy taken at state_seq N and replayed through WAL record
// M >= N holds: critical state (trading, config) exactly as after the first M
// critical updates; strategy state exactly as after the strategy updates made
// before the copy was taken — every one made before critical update N, maybe
// some made after it, none made after critical update N+1. Strategy state may
// lag the critical state it is recovered with, by at most the copy's age (RPO
// <= the L2 period); it is never newer than critical N+1 and never a mix within
// its class. Market data (recoverable) is in no update: it is rebuilt from the
// venue. Copies with the same state_seq hold the same critical state and may
// differ only in strategy state.

std::string EncodeStateUpdate(const StateUpdate& update);
// `source` names the record in errors (e.g. "wal_...:4096").
Result<StateUpdate> DecodeStateUpdate(RecordType type, std::string_view payload,
                                      std::string_view source);

// The entries of a TradingState that updates changed, by key, so a copy kept
// entry by entry (the L1 image) re-encodes only those. The scalar fields
// (seqs, P&L, risk flags) are not listed: such a copy always rewrites them.
struct TradingChanges {
  std::set<std::string> orders;    // client_order_id, in open or pending orders (or removed)
  std::set<std::string> symbols;   // in positions, risk.exposure_lots, risk.limit_usage_bp
  std::set<std::string> balances;  // BalanceKey
  size_t fills_appended = 0;       // pushed onto recent_fills (older ones may have dropped)

  void Merge(const TradingChanges& other);
  bool empty() const {
    return orders.empty() && symbols.empty() && balances.empty() && fills_appended == 0;
  }
};

// Applies `update` in place. A critical update is the change numbered
// `state_seq` (above the state's) made at `time_ns`; a non-critical one must
// carry the state's own state_seq, and neither it nor `time_ns` is recorded
// (the sequence rule above). An update that does not fit is
// kFailedPrecondition (a fill whose amounts would overflow int64:
// kInvalidArgument) and leaves `state` exactly as it was. When `changes` is
// given, every trading entry the update changed is added to it (nothing is
// added when the update is refused).
Status ApplyStateUpdate(EngineState& state, const StateUpdate& update, Seq state_seq,
                        TimeNs time_ns, TradingChanges* changes = nullptr);

}  // namespace crashdrill::system

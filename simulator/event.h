// Event: one entry of the exchange's event log, which is the exchange's truth.
// Every event has a global exchange_seq and belongs to one account. The log is
// hashed incrementally (XXH3-64 over a canonical little-endian encoding of every
// event), so equal seeds and inputs give equal hashes on every platform.
#pragma once

#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "system/engine/venue.h"

namespace crashdrill::simulator {

using AccountId = uint32_t;
using SymbolId = uint32_t;
inline constexpr SymbolId kNoSymbol = UINT32_MAX;

struct Event {
  system::Seq exchange_seq = 0;
  system::Seq account_report_seq = 0;
  AccountId account = 0;
  SymbolId symbol = kNoSymbol;  // kNoSymbol for a reject of an unknown symbol
  system::ExecType type = system::ExecType::kNewAck;
  system::RejectReason reason = system::RejectReason::kNone;
  system::Side side = system::Side::kBuy;
  system::OrderType order_type = system::OrderType::kLimit;
  bool maker = false;
  uint64_t exchange_order_id = 0;
  system::Ticks price_ticks = 0;
  system::Lots quantity_lots = 0;
  system::Lots filled_lots = 0;
  system::Lots leaves_lots = 0;
  uint64_t trade_id = 0;  // nonzero for fills
  system::Ticks fill_price_ticks = 0;
  system::Lots fill_lots = 0;
  system::Minor fee_minor = 0;
  system::TimeNs time_ns = 0;
  std::string client_order_id;

  bool IsFill() const {
    return type == system::ExecType::kFill || type == system::ExecType::kPartialFill;
  }
  bool operator==(const Event&) const = default;
};

// The most bytes the canonical encoding of one event takes: 15 fixed 8-byte
// fields, 6 one-byte fields, the client order id.
inline constexpr size_t kMaxEncodedEventBytes = 8 * 15 + 6 + system::kMaxClientOrderIdBytes;

// Running XXH3-64 over the canonical encoding of each event appended. Events are
// encoded into a batch and hashed a batch at a time: XXH3 over the concatenation
// does not depend on how it is cut, and one large update costs far less than one
// per event.
class EventHasher {
 public:
  EventHasher();
  ~EventHasher();
  EventHasher(const EventHasher&) = delete;
  EventHasher& operator=(const EventHasher&) = delete;

  void Add(const Event& event);
  uint64_t Digest() const;

 private:
  void Flush();

  XXH3_state_t* state_;
  char pending_[16 * kMaxEncodedEventBytes];  // encoded, not yet hashed
  size_t pending_size_ = 0;
};

// Appends the canonical bytes of `event` (fixed-width little-endian fields, then
// the client order id with a 1-byte length) to `out`.
void EncodeCanonical(const Event& event, std::string& out);

}  // namespace crashdrill::simulator

#include "simulator/event.h"

#include <cassert>
#include <new>

namespace crashdrill::simulator {
namespace {

void PutU64(std::string& out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}
void PutI64(std::string& out, int64_t value) { PutU64(out, static_cast<uint64_t>(value)); }
void PutU8(std::string& out, uint8_t value) { out.push_back(static_cast<char>(value)); }

}  // namespace

void EncodeCanonical(const Event& event, std::string& out) {
  PutU64(out, event.exchange_seq);
  PutU64(out, event.account_report_seq);
  PutU64(out, event.account);
  PutU64(out, event.symbol);
  PutU8(out, static_cast<uint8_t>(event.type));
  PutU8(out, static_cast<uint8_t>(event.reason));
  PutU8(out, static_cast<uint8_t>(event.side));
  PutU8(out, static_cast<uint8_t>(event.order_type));
  PutU8(out, event.maker ? 1 : 0);
  PutU64(out, event.exchange_order_id);
  PutI64(out, event.price_ticks);
  PutI64(out, event.quantity_lots);
  PutI64(out, event.filled_lots);
  PutI64(out, event.leaves_lots);
  PutU64(out, event.trade_id);
  PutI64(out, event.fill_price_ticks);
  PutI64(out, event.fill_lots);
  PutI64(out, event.fee_minor);
  PutI64(out, event.time_ns);
  assert(event.client_order_id.size() <= system::kMaxClientOrderIdBytes);
  PutU8(out, static_cast<uint8_t>(event.client_order_id.size()));
  out.append(event.client_order_id);
}

EventHasher::EventHasher() : state_(XXH3_createState()) {
  if (state_ == nullptr) throw std::bad_alloc();
  XXH3_64bits_reset(state_);
}

EventHasher::~EventHasher() { XXH3_freeState(state_); }

void EventHasher::Add(const Event& event) {
  thread_local std::string buffer;
  buffer.clear();
  EncodeCanonical(event, buffer);
  XXH3_64bits_update(state_, buffer.data(), buffer.size());
}

uint64_t EventHasher::Digest() const { return XXH3_64bits_digest(state_); }

}  // namespace crashdrill::simulator

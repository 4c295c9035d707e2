#include "simulator/event.h"

#include <bit>
#include <cassert>
#include <cstring>
#include <new>

namespace crashdrill::simulator {
namespace {

// Fixed-width little-endian fields into a caller's buffer (the canonical encoding)
// of at least kMaxEncodedEventBytes. Whole words are copied, not bytes: a byte
// loop through a char buffer makes the compiler reload and store the size after
// every byte (char may alias it), which made encoding the largest single cost of
// matching.
class Encoder {
 public:
  explicit Encoder(char* bytes) : bytes_(bytes) {}
  void U64(uint64_t value) {
    if constexpr (std::endian::native == std::endian::big) value = __builtin_bswap64(value);
    std::memcpy(bytes_ + size_, &value, sizeof value);
    size_ += sizeof value;
  }
  void I64(int64_t value) { U64(static_cast<uint64_t>(value)); }
  void U8(uint8_t value) { bytes_[size_++] = static_cast<char>(value); }
  void Bytes(const std::string& text) {
    std::memcpy(bytes_ + size_, text.data(), text.size());
    size_ += text.size();
  }
  size_t size() const { return size_; }

 private:
  char* bytes_;
  size_t size_ = 0;
};

void Encode(const Event& event, Encoder& out) {
  out.U64(event.exchange_seq);
  out.U64(event.account_report_seq);
  out.U64(event.account);
  out.U64(event.symbol);
  out.U8(static_cast<uint8_t>(event.type));
  out.U8(static_cast<uint8_t>(event.reason));
  out.U8(static_cast<uint8_t>(event.side));
  out.U8(static_cast<uint8_t>(event.order_type));
  out.U8(event.maker ? 1 : 0);
  out.U64(event.exchange_order_id);
  out.I64(event.price_ticks);
  out.I64(event.quantity_lots);
  out.I64(event.filled_lots);
  out.I64(event.leaves_lots);
  out.U64(event.trade_id);
  out.I64(event.fill_price_ticks);
  out.I64(event.fill_lots);
  out.I64(event.fee_minor);
  out.I64(event.time_ns);
  assert(event.client_order_id.size() <= system::kMaxClientOrderIdBytes);
  out.U8(static_cast<uint8_t>(event.client_order_id.size()));
  out.Bytes(event.client_order_id);
}

}  // namespace

void EncodeCanonical(const Event& event, std::string& out) {
  char bytes[kMaxEncodedEventBytes];
  Encoder encoder(bytes);
  Encode(event, encoder);
  out.append(bytes, encoder.size());
}

EventHasher::EventHasher() : state_(XXH3_createState()) {
  if (state_ == nullptr) throw std::bad_alloc();
  XXH3_64bits_reset(state_);
}

EventHasher::~EventHasher() { XXH3_freeState(state_); }

void EventHasher::Add(const Event& event) {
  if (pending_size_ + kMaxEncodedEventBytes > sizeof pending_) Flush();
  Encoder encoder(pending_ + pending_size_);
  Encode(event, encoder);
  pending_size_ += encoder.size();
}

void EventHasher::Flush() {
  XXH3_64bits_update(state_, pending_, pending_size_);
  pending_size_ = 0;
}

uint64_t EventHasher::Digest() const {
  // The pending bytes go into a copy, so Digest stays a pure read.
  XXH3_state_t* copy = XXH3_createState();
  if (copy == nullptr) throw std::bad_alloc();
  XXH3_copyState(copy, state_);
  XXH3_64bits_update(copy, pending_, pending_size_);
  const uint64_t digest = XXH3_64bits_digest(copy);
  XXH3_freeState(copy);
  return digest;
}

}  // namespace crashdrill::simulator

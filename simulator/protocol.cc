#include "simulator/protocol.h"

#include <functional>

namespace crashdrill::simulator {

using system::ExecType;
using system::OrderType;
using system::Side;

namespace {
uint32_t LoadU32(const char* p) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(p[i]);
  return value;
}

template <typename Enum>
bool DecodeEnum(Reader& reader, uint8_t low, uint8_t high, Enum& out) {
  const uint8_t raw = reader.U8();
  if (!reader.ok() || raw < low || raw > high) return false;
  out = static_cast<Enum>(raw);
  return true;
}
}  // namespace

bool IsRequestType(uint8_t type) { return type >= 1 && type <= 11; }

static bool IsKnownType(uint8_t type) { return IsRequestType(type) || (type >= 64 && type <= 73); }

void AppendFrame(const Frame& frame, std::string& out) {
  Writer header;
  header.U32(static_cast<uint32_t>(kBodyHeaderBytes + frame.payload.size()));
  header.U8(kProtocolVersion);
  header.U8(static_cast<uint8_t>(frame.type));
  header.U32(frame.request_id);
  out += header.Take();
  out += frame.payload;
}

FrameParse ParseFrame(std::string_view buffer, Frame& frame, size_t& consumed, std::string& error) {
  if (buffer.size() < kFrameHeaderBytes) return FrameParse::kNeedMore;
  const uint32_t length = LoadU32(buffer.data());
  if (length < kBodyHeaderBytes || length > kMaxFrameBytes) {
    error = "frame length " + std::to_string(length) + " outside [6, " +
            std::to_string(kMaxFrameBytes) + "]";
    return FrameParse::kError;
  }
  if (buffer.size() >= kFrameHeaderBytes + 2) {  // reject bad headers before the body arrives
    const auto version = static_cast<uint8_t>(buffer[4]);
    const auto type = static_cast<uint8_t>(buffer[5]);
    if (version != kProtocolVersion) {
      error = "protocol version " + std::to_string(version) + " is not supported";
      return FrameParse::kError;
    }
    if (!IsKnownType(type)) {
      error = "unknown message type " + std::to_string(type);
      return FrameParse::kError;
    }
  }
  if (buffer.size() < kFrameHeaderBytes + length) return FrameParse::kNeedMore;
  frame.type = static_cast<MessageType>(static_cast<uint8_t>(buffer[5]));
  frame.request_id = LoadU32(buffer.data() + 6);
  frame.payload.assign(buffer.data() + kFrameHeaderBytes + kBodyHeaderBytes,
                       length - kBodyHeaderBytes);
  consumed = kFrameHeaderBytes + length;
  return FrameParse::kFrame;
}

void Writer::U32(uint32_t value) {
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void Writer::U64(uint64_t value) {
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void Writer::String(std::string_view value) {
  const size_t size = std::min<size_t>(value.size(), UINT16_MAX);
  U8(static_cast<uint8_t>(size & 0xff));
  U8(static_cast<uint8_t>(size >> 8));
  out_.append(value.substr(0, size));
}

bool Reader::Take(size_t bytes, std::string_view* out) {
  if (!ok_ || in_.size() < bytes) {
    ok_ = false;
    return false;
  }
  *out = in_.substr(0, bytes);
  in_.remove_prefix(bytes);
  return true;
}

uint8_t Reader::U8() {
  std::string_view bytes;
  return Take(1, &bytes) ? static_cast<uint8_t>(bytes[0]) : 0;
}

uint32_t Reader::U32() {
  std::string_view bytes;
  return Take(4, &bytes) ? LoadU32(bytes.data()) : 0;
}

uint64_t Reader::U64() {
  const uint64_t low = U32();
  const uint64_t high = U32();
  return ok_ ? (high << 32) | low : 0;
}

std::string Reader::String(size_t max_bytes) {
  const size_t size = U8() | (size_t{U8()} << 8);
  std::string_view bytes;
  if (!ok_ || size > max_bytes || !Take(size, &bytes)) {
    ok_ = false;
    return {};
  }
  return std::string(bytes);
}

uint32_t Reader::Count(size_t min_item_bytes, uint32_t max_count) {
  const uint32_t count = U32();
  if (!ok_ || count > max_count || count * min_item_bytes > in_.size()) {
    ok_ = false;
    return 0;
  }
  return count;
}

void Encode(Writer& w, const system::NewOrder& order) {
  w.String(order.client_order_id);
  w.String(order.symbol);
  w.U8(static_cast<uint8_t>(order.side));
  w.U8(static_cast<uint8_t>(order.type));
  w.I64(order.price_ticks);
  w.I64(order.quantity_lots);
}

bool Decode(Reader& r, system::NewOrder& order) {
  order.client_order_id = r.String(system::kMaxClientOrderIdBytes);
  order.symbol = r.String(system::kMaxSymbolBytes);
  if (!DecodeEnum(r, 1, 2, order.side) || !DecodeEnum(r, 1, 3, order.type)) return false;
  order.price_ticks = r.I64();
  order.quantity_lots = r.I64();
  return r.ok();
}

void Encode(Writer& w, const system::Fill& fill) {
  w.U64(fill.exchange_seq);
  w.U64(fill.trade_id);
  w.String(fill.client_order_id);
  w.U64(fill.exchange_order_id);
  w.String(fill.symbol);
  w.U8(static_cast<uint8_t>(fill.side));
  w.I64(fill.price_ticks);
  w.I64(fill.quantity_lots);
  w.I64(fill.fee_minor);
  w.U8(fill.maker ? 1 : 0);
  w.I64(fill.exchange_time_ns);
}

bool Decode(Reader& r, system::Fill& fill) {
  fill.exchange_seq = r.U64();
  fill.trade_id = r.U64();
  fill.client_order_id = r.String(system::kMaxClientOrderIdBytes);
  fill.exchange_order_id = r.U64();
  fill.symbol = r.String(system::kMaxSymbolBytes);
  if (!DecodeEnum(r, 0, 2, fill.side)) return false;  // 0: the empty fill of a non-fill
  fill.price_ticks = r.I64();
  fill.quantity_lots = r.I64();
  fill.fee_minor = r.I64();
  uint8_t maker = 0;
  if (!DecodeEnum(r, 0, 1, maker)) return false;
  fill.maker = maker == 1;
  fill.exchange_time_ns = r.I64();
  return r.ok();
}

void Encode(Writer& w, const system::ExecutionReport& report) {
  w.U64(report.exchange_seq);
  w.U64(report.account_report_seq);
  w.U8(static_cast<uint8_t>(report.type));
  w.U8(static_cast<uint8_t>(report.reason));
  w.String(report.client_order_id);
  w.U64(report.exchange_order_id);
  w.String(report.symbol);
  w.U8(static_cast<uint8_t>(report.side));
  w.U8(static_cast<uint8_t>(report.order_type));
  w.I64(report.price_ticks);
  w.I64(report.quantity_lots);
  w.I64(report.filled_lots);
  w.I64(report.leaves_lots);
  Encode(w, report.fill);
  w.I64(report.exchange_time_ns);
}

bool Decode(Reader& r, system::ExecutionReport& report) {
  report.exchange_seq = r.U64();
  report.account_report_seq = r.U64();
  if (!DecodeEnum(r, 1, 6, report.type) || !DecodeEnum(r, 0, 13, report.reason)) return false;
  report.client_order_id = r.String(system::kMaxClientOrderIdBytes);
  report.exchange_order_id = r.U64();
  report.symbol = r.String(system::kMaxSymbolBytes);
  if (!DecodeEnum(r, 1, 2, report.side) || !DecodeEnum(r, 1, 3, report.order_type)) return false;
  report.price_ticks = r.I64();
  report.quantity_lots = r.I64();
  report.filled_lots = r.I64();
  report.leaves_lots = r.I64();
  if (!Decode(r, report.fill)) return false;
  report.exchange_time_ns = r.I64();
  return r.ok();
}

void Encode(Writer& w, const system::Order& order) {
  w.String(order.client_order_id);
  w.U64(order.exchange_order_id);
  w.String(order.symbol);
  w.String(order.venue);
  w.String(order.strategy_id);
  w.U8(static_cast<uint8_t>(order.side));
  w.U8(static_cast<uint8_t>(order.type));
  w.I64(order.price_ticks);
  w.I64(order.quantity_lots);
  w.I64(order.filled_lots);
  w.U8(order.cancel_requested ? 1 : 0);
  w.I64(order.created_ns);
  w.I64(order.updated_ns);
}

bool Decode(Reader& r, system::Order& order) {
  order.client_order_id = r.String(system::kMaxClientOrderIdBytes);
  order.exchange_order_id = r.U64();
  order.symbol = r.String(system::kMaxSymbolBytes);
  order.venue = r.String(kMaxAccountNameBytes);
  order.strategy_id = r.String(kMaxAccountNameBytes);
  if (!DecodeEnum(r, 1, 2, order.side) || !DecodeEnum(r, 1, 3, order.type)) return false;
  order.price_ticks = r.I64();
  order.quantity_lots = r.I64();
  order.filled_lots = r.I64();
  uint8_t cancel_requested = 0;
  if (!DecodeEnum(r, 0, 1, cancel_requested)) return false;
  order.cancel_requested = cancel_requested == 1;
  order.created_ns = r.I64();
  order.updated_ns = r.I64();
  return r.ok();
}

void Encode(Writer& w, const system::Position& position) {
  w.String(position.symbol);
  w.I64(position.quantity_lots);
  w.I64(position.cost_minor);
  w.I64(position.realized_pnl_minor);
}

bool Decode(Reader& r, system::Position& position) {
  position.symbol = r.String(system::kMaxSymbolBytes);
  position.quantity_lots = r.I64();
  position.cost_minor = r.I64();
  position.realized_pnl_minor = r.I64();
  return r.ok();
}

void Encode(Writer& w, const system::Balance& balance) {
  w.String(balance.venue);
  w.String(balance.currency);
  w.I64(balance.total_minor);
  w.I64(balance.available_minor);
}

bool Decode(Reader& r, system::Balance& balance) {
  balance.venue = r.String(kMaxAccountNameBytes);
  balance.currency = r.String(kMaxAccountNameBytes);
  balance.total_minor = r.I64();
  balance.available_minor = r.I64();
  return r.ok();
}

void Encode(Writer& w, const system::VenueOrder& order) {
  Encode(w, order.order);
  w.U8(static_cast<uint8_t>(order.state));
  w.U64(order.last_exchange_seq);
}

bool Decode(Reader& r, system::VenueOrder& order) {
  if (!Decode(r, order.order) || !DecodeEnum(r, 1, 3, order.state)) return false;
  order.last_exchange_seq = r.U64();
  return r.ok();
}

namespace {
void EncodeLevels(Writer& w, const std::vector<system::BookLevel>& levels) {
  w.U32(static_cast<uint32_t>(levels.size()));
  for (const system::BookLevel& level : levels) {
    w.I64(level.price_ticks);
    w.I64(level.quantity_lots);
  }
}

// `better(a, b)`: price a ranks strictly before price b on this side.
template <typename Better>
bool DecodeLevels(Reader& r, Better better, std::vector<system::BookLevel>& levels) {
  constexpr size_t kLevelBytes = 16;
  const uint32_t count = r.Count(kLevelBytes, kMaxBookLevels);
  levels.clear();
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    system::BookLevel level;
    level.price_ticks = r.I64();
    level.quantity_lots = r.I64();
    if (level.price_ticks <= 0 || level.quantity_lots <= 0) return false;
    if (!levels.empty() && !better(levels.back().price_ticks, level.price_ticks)) return false;
    levels.push_back(level);
  }
  return r.ok();
}
}  // namespace

void Encode(Writer& w, const system::BookSnapshot& book) {
  w.String(book.symbol);
  w.U64(book.exchange_seq);
  EncodeLevels(w, book.bids);
  EncodeLevels(w, book.asks);
}

bool Decode(Reader& r, system::BookSnapshot& book) {
  book.symbol = r.String(system::kMaxSymbolBytes);
  book.exchange_seq = r.U64();
  return DecodeLevels(r, std::greater<system::Ticks>(), book.bids) &&
         DecodeLevels(r, std::less<system::Ticks>(), book.asks);
}

}  // namespace crashdrill::simulator

// The loopback wire protocol, version 1. A frame is a little-endian u32 body
// length, then the body: u8 version, u8 message type, u32 request id, payload.
// Decoders trust nothing: every length and count is bounded by kMaxFrameBytes, by
// the bytes that remain and by per-field limits, and a frame that breaks any rule
// is a protocol error (the server replies kProtocolError and closes the session).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "system/engine/venue.h"
#include "system/state/market_data_state.h"

namespace crashdrill::simulator {

inline constexpr uint8_t kProtocolVersion = 1;
inline constexpr uint32_t kMaxFrameBytes = 1 << 20;
inline constexpr size_t kFrameHeaderBytes = 4;
inline constexpr size_t kBodyHeaderBytes = 6;
inline constexpr uint32_t kMaxItemsPerReply = 2048;  // a query page; fits kMaxFrameBytes
inline constexpr size_t kMaxAccountNameBytes = 64;
// The most price levels per side a kBook reply carries: the server serves at most
// this many whatever depth is asked, so a book query stays one small frame.
inline constexpr uint32_t kMaxBookLevels = 64;

enum class MessageType : uint8_t {
  // engine -> exchange
  kHello = 1,  // account name; binds the session to the account
  kSubmit = 2,
  kCancel = 3,
  kPoll = 4,
  kQueryPositions = 5,
  kQueryBalances = 6,
  kQueryOpenOrders = 7,
  kQueryOrder = 8,
  kQueryReportsSince = 9,
  kQueryFillsSince = 10,
  kQueryBook = 11,  // symbol, u32 depth (the server serves at most kMaxBookLevels)
  // exchange -> engine
  kOk = 64,
  kReports = 65,
  kPositions = 66,
  kBalances = 67,
  kOrders = 68,
  kVenueOrder = 69,
  kFills = 70,
  kError = 71,          // a Status that is not OK (code, message)
  kProtocolError = 72,  // the session is closed after this
  kBook = 73,           // a BookSnapshot
};

bool IsRequestType(uint8_t type);

struct Frame {
  MessageType type = MessageType::kOk;
  uint32_t request_id = 0;
  std::string payload;
};

// Appends a whole frame (length prefix included) to `out`.
void AppendFrame(const Frame& frame, std::string& out);

enum class FrameParse { kNeedMore, kFrame, kError };
// Parses one frame from the front of `buffer`; on kFrame sets `consumed`. kError
// (with `error`) for an oversized length, a wrong version or an unknown type.
FrameParse ParseFrame(std::string_view buffer, Frame& frame, size_t& consumed, std::string& error);

class Writer {
 public:
  void U8(uint8_t value) { out_.push_back(static_cast<char>(value)); }
  void U32(uint32_t value);
  void U64(uint64_t value);
  void I64(int64_t value) { U64(static_cast<uint64_t>(value)); }
  void String(std::string_view value);  // u16 length + bytes
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Bounds-checked reads; after the first failure every read fails and ok() is false.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  uint8_t U8();
  uint32_t U32();
  uint64_t U64();
  int64_t I64() { return static_cast<int64_t>(U64()); }
  std::string String(size_t max_bytes);
  // A count of items each at least `min_item_bytes` long, bounded by the bytes left
  // and by `max_count`.
  uint32_t Count(size_t min_item_bytes, uint32_t max_count = kMaxItemsPerReply);
  bool ok() const { return ok_; }
  bool AtEnd() const { return ok_ && in_.empty(); }

 private:
  bool Take(size_t bytes, std::string_view* out);
  std::string_view in_;
  bool ok_ = true;
};

void Encode(Writer& writer, const system::NewOrder& order);
void Encode(Writer& writer, const system::ExecutionReport& report);
void Encode(Writer& writer, const system::Fill& fill);
void Encode(Writer& writer, const system::Order& order);
void Encode(Writer& writer, const system::Position& position);
void Encode(Writer& writer, const system::Balance& balance);
void Encode(Writer& writer, const system::VenueOrder& order);
void Encode(Writer& writer, const system::BookSnapshot& book);

bool Decode(Reader& reader, system::NewOrder& order);
bool Decode(Reader& reader, system::ExecutionReport& report);
bool Decode(Reader& reader, system::Fill& fill);
bool Decode(Reader& reader, system::Order& order);
bool Decode(Reader& reader, system::Position& position);
bool Decode(Reader& reader, system::Balance& balance);
bool Decode(Reader& reader, system::VenueOrder& order);
// Accepts only a book as Exchange::BookOf makes it: at most kMaxBookLevels per side,
// positive prices and quantities, bids strictly descending, asks strictly ascending.
bool Decode(Reader& reader, system::BookSnapshot& book);

// A list: u32 count then items; decoding bounds the count by the bytes left.
template <typename T>
std::string EncodeList(const std::vector<T>& items) {
  Writer writer;
  writer.U32(static_cast<uint32_t>(items.size()));
  for (const T& item : items) Encode(writer, item);
  return writer.Take();
}

template <typename T>
std::optional<std::vector<T>> DecodeList(std::string_view payload) {
  Reader reader(payload);
  const uint32_t count = reader.Count(4);
  std::vector<T> items;
  for (uint32_t i = 0; i < count && reader.ok(); ++i) {
    T item;
    if (!Decode(reader, item)) return std::nullopt;
    items.push_back(std::move(item));
  }
  if (!reader.AtEnd()) return std::nullopt;
  return items;
}

}  // namespace crashdrill::simulator

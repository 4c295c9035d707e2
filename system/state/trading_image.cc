#include "system/state/trading_image.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "system/state/byte_codec.h"
#include "system/state/codec_types.h"

namespace crashdrill::system {
namespace {

constexpr size_t kImageHeaderBytes = 8;
constexpr size_t kRecordHeaderBytes = 8;

enum Tag : uint8_t {
  kFree = 0,
  kScalars = 1,
  kOpenOrder = 2,
  kPendingOrder = 3,
  kPosition = 4,
  kExposure = 5,
  kLimitUsage = 6,
  kBalance = 7,
  kFill = 8,
};
constexpr uint8_t kTagMax = kFill;

const char* TagName(uint8_t tag) {
  switch (tag) {
    case kFree: return "free";
    case kScalars: return "scalars";
    case kOpenOrder: return "open_order";
    case kPendingOrder: return "pending_order";
    case kPosition: return "position";
    case kExposure: return "exposure";
    case kLimitUsage: return "limit_usage";
    case kBalance: return "balance";
    case kFill: return "fill";
  }
  return "unknown";
}

size_t RecordBytes(size_t payload_bytes) {
  return kRecordHeaderBytes + (payload_bytes + 7) / 8 * 8;
}

void StoreU32(std::byte* p, uint32_t value) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::byte>(value >> (8 * i));
}

uint32_t LoadU32(const std::byte* p) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<uint32_t>(p[i]);
  return value;
}

// A record header over `record_bytes` bytes: for a free record, its payload
// length covers the whole extent.
void StoreRecordHeader(std::byte* at, uint8_t tag, uint32_t payload_bytes) {
  StoreU32(at, payload_bytes);
  at[4] = static_cast<std::byte>(tag);
  at[5] = at[6] = at[7] = std::byte{0};
}

void PutScalarsPayload(ByteWriter& w, const TradingState& s) {
  w.String(s.account_id);
  w.I64(s.risk.daily_pnl_minor);
  w.I64(s.risk.peak_pnl_minor);
  w.I64(s.risk.max_drawdown_minor);
  w.Bool(s.risk.halted);
  w.String(s.risk.halt_reason);
  w.I64(s.risk.halted_at_ns);
  w.I64(s.realized_pnl_minor);
  w.I64(s.unrealized_pnl_minor);
  w.I64(s.last_update_ns);
  w.U64(s.state_seq);
  w.U64(s.last_exchange_seq);
  w.U32(s.trading_day);
}

void GetScalarsPayload(ByteReader& r, TradingState& s) {
  s.account_id = r.String("account_id");
  s.risk.daily_pnl_minor = r.I64("daily_pnl_minor");
  s.risk.peak_pnl_minor = r.I64("peak_pnl_minor");
  s.risk.max_drawdown_minor = r.I64("max_drawdown_minor");
  s.risk.halted = r.Bool("halted");
  s.risk.halt_reason = r.String("halt_reason");
  s.risk.halted_at_ns = r.I64("halted_at_ns");
  s.realized_pnl_minor = r.I64("realized_pnl_minor");
  s.unrealized_pnl_minor = r.I64("unrealized_pnl_minor");
  s.last_update_ns = r.I64("last_update_ns");
  s.state_seq = r.U64("state_seq");
  s.last_exchange_seq = r.U64("last_exchange_seq");
  s.trading_day = r.U32("trading_day");
}

void PutKeyed(ByteWriter& w, const std::string& key, int64_t value) {
  w.String(key);
  w.I64(value);
}

// What differs between two states, for Verify's message.
std::string FirstDifference(const TradingState& image, const TradingState& state) {
  auto entries = [](const char* what, size_t a, size_t b) {
    return fmt::format("{}: image has {} entries, state {}", what, a, b);
  };
  if (image.open_orders != state.open_orders) {
    return entries("open_orders", image.open_orders.size(), state.open_orders.size());
  }
  if (image.pending_orders != state.pending_orders) {
    return entries("pending_orders", image.pending_orders.size(), state.pending_orders.size());
  }
  if (image.positions != state.positions) {
    return entries("positions", image.positions.size(), state.positions.size());
  }
  if (image.balances != state.balances) {
    return entries("balances", image.balances.size(), state.balances.size());
  }
  if (image.recent_fills != state.recent_fills) {
    return entries("recent_fills", image.recent_fills.size(), state.recent_fills.size());
  }
  if (image.risk != state.risk) return "risk";
  return "scalars";
}

}  // namespace

void TradingImage::Reset(const TradingState& state) {
  arena_.assign(std::max<size_t>(arena_.size(), 4096), std::byte{0});
  size_ = kImageHeaderBytes;
  StoreU32(arena_.data(), kMagic);
  arena_[4] = static_cast<std::byte>(kFormatVersion & 0xff);
  arena_[5] = static_cast<std::byte>(kFormatVersion >> 8);
  free_bytes_ = 0;
  for (Index* index : {&open_orders_, &pending_orders_, &positions_, &exposure_, &limit_usage_,
                       &balances_}) {
    index->clear();
  }
  fills_.clear();
  scalars_ = {};
  PutScalars(state);
  auto put_all = [&](Index& index, uint8_t tag, const auto& map, auto put) {
    for (const auto& entry : map) {  // (clang 14 cannot capture structured bindings)
      Extent extent;
      Place(&extent, tag, [&](ByteWriter& w) { put(w, entry.first, entry.second); });
      index.emplace(entry.first, extent);
    }
  };
  auto order = [](ByteWriter& w, const std::string&, const Order& o) { codec::PutOrder(w, o); };
  put_all(open_orders_, kOpenOrder, state.open_orders, order);
  put_all(pending_orders_, kPendingOrder, state.pending_orders, order);
  put_all(positions_, kPosition, state.positions,
          [](ByteWriter& w, const std::string&, const Position& p) { codec::PutPosition(w, p); });
  put_all(exposure_, kExposure, state.risk.exposure_lots, PutKeyed);
  put_all(limit_usage_, kLimitUsage, state.risk.limit_usage_bp, PutKeyed);
  put_all(balances_, kBalance, state.balances,
          [](ByteWriter& w, const std::string&, const Balance& b) { codec::PutBalance(w, b); });
  next_fill_ordinal_ = 0;
  for (const Fill& fill : state.recent_fills) {
    Extent extent;
    const uint64_t ordinal = next_fill_ordinal_++;
    Place(&extent, kFill, [&](ByteWriter& w) {
      w.U64(ordinal);
      codec::PutFill(w, fill);
    });
    fills_.push_back(extent);
  }
}

void TradingImage::Refresh(const TradingState& state, const TradingChanges& changes) {
  if (empty()) return Reset(state);
  PutScalars(state);
  auto order = [](ByteWriter& w, const Order& o) { codec::PutOrder(w, o); };
  for (const std::string& id : changes.orders) {
    Sync(open_orders_, kOpenOrder, state.open_orders, id, order);
    Sync(pending_orders_, kPendingOrder, state.pending_orders, id, order);
  }
  for (const std::string& symbol : changes.symbols) {
    Sync(positions_, kPosition, state.positions, symbol,
         [](ByteWriter& w, const Position& p) { codec::PutPosition(w, p); });
    Sync(exposure_, kExposure, state.risk.exposure_lots, symbol,
         [&](ByteWriter& w, int64_t lots) { PutKeyed(w, symbol, lots); });
    Sync(limit_usage_, kLimitUsage, state.risk.limit_usage_bp, symbol,
         [&](ByteWriter& w, int64_t bp) { PutKeyed(w, symbol, bp); });
  }
  for (const std::string& key : changes.balances) {
    Sync(balances_, kBalance, state.balances, key,
         [](ByteWriter& w, const Balance& b) { codec::PutBalance(w, b); });
  }
  // The newest `appended` fills of the state are new; of the image's fills,
  // the ones the window pushed out are dropped from the front.
  const size_t appended = std::min(changes.fills_appended, state.recent_fills.size());
  while (fills_.size() > state.recent_fills.size() - appended) {
    Free(fills_.front());
    fills_.pop_front();
  }
  for (size_t i = state.recent_fills.size() - appended; i < state.recent_fills.size(); ++i) {
    Extent extent;
    const uint64_t ordinal = next_fill_ordinal_++;
    Place(&extent, kFill, [&](ByteWriter& w) {
      w.U64(ordinal);
      codec::PutFill(w, state.recent_fills[i]);
    });
    fills_.push_back(extent);
  }
  // Rare, and bounded in cost by a full encode.
  if (free_bytes_ > compact_after_free_bytes_ && free_bytes_ > size_ - free_bytes_) {
    Reset(state);
    ++compactions_;
  }
}

Status TradingImage::Verify(const TradingState& state) const {
  auto decoded = DecodeTradingImage(bytes(), "L1 image", 0);
  if (!decoded.ok()) {
    return Status::Error(StatusCode::kInternal, "verify", "L1 image",
                         "the image does not decode: " + decoded.status().ToString());
  }
  if (*decoded == state) return Status::Ok();
  return Status::Error(StatusCode::kInternal, "verify", "L1 image",
                       fmt::format("the image drifted from the state at state_seq {}: {}",
                                   state.state_seq, FirstDifference(*decoded, state)));
}

template <typename Map, typename Put>
void TradingImage::Sync(Index& index, uint8_t tag, const Map& map, const std::string& key,
                        Put put) {
  const auto found = map.find(key);
  auto entry = index.find(key);
  if (found == map.end()) {
    if (entry != index.end()) {
      Free(entry->second);
      index.erase(entry);
    }
    return;
  }
  if (entry == index.end()) entry = index.emplace(key, Extent{}).first;
  Place(&entry->second, tag, [&](ByteWriter& w) { put(w, found->second); });
}

void TradingImage::PutScalars(const TradingState& state) {
  Place(&scalars_, kScalars, [&](ByteWriter& w) { PutScalarsPayload(w, state); });
}

// Encodes a record's payload and puts it in its extent if it fits there (the
// rest of the extent becomes a free record), or frees the extent and appends.
template <typename Put>
void TradingImage::Place(Extent* extent, uint8_t tag, Put put) {
  if (scratch_.size() < 256) scratch_.resize(256);
  size_t length = 0;
  for (;;) {
    ByteWriter w{MutableByteSpan(scratch_)};
    put(w);
    length = w.size();
    if (w.fits()) break;
    scratch_.resize(std::max(length, 2 * scratch_.size()));
  }
  const size_t record = RecordBytes(length);
  if (record > extent->capacity) {
    if (extent->capacity != 0) Free(*extent);
    if (arena_.size() < size_ + record) arena_.resize(std::max(2 * arena_.size(), size_ + record));
    *extent = {size_, record, record};
    size_ += record;
  } else {
    free_bytes_ = free_bytes_ + extent->used - record;  // the slack grows or shrinks
    extent->used = record;
  }
  std::byte* at = arena_.data() + extent->offset;
  StoreRecordHeader(at, tag, static_cast<uint32_t>(length));
  std::memcpy(at + kRecordHeaderBytes, scratch_.data(), length);
  std::memset(at + kRecordHeaderBytes + length, 0, record - kRecordHeaderBytes - length);
  if (record < extent->capacity) {
    // The slack after the record: a free record, skipped by the decoder.
    StoreRecordHeader(at + record, kFree,
                      static_cast<uint32_t>(extent->capacity - record - kRecordHeaderBytes));
  }
}

void TradingImage::Free(const Extent& extent) {
  StoreRecordHeader(arena_.data() + extent.offset, kFree,
                    static_cast<uint32_t>(extent.capacity - kRecordHeaderBytes));
  free_bytes_ += extent.used;  // its slack was counted already
}

Result<TradingState> DecodeTradingImage(ByteSpan bytes, std::string_view source,
                                        uint64_t base_offset) {
  if (bytes.size() < kImageHeaderBytes || LoadU32(bytes.data()) != TradingImage::kMagic) {
    return Status::Corruption(source, base_offset, "image.magic", "not a trading-state image");
  }
  const uint32_t version = static_cast<uint32_t>(bytes[4]) | static_cast<uint32_t>(bytes[5]) << 8;
  if (version != TradingImage::kFormatVersion || bytes[6] != std::byte{0} ||
      bytes[7] != std::byte{0}) {
    return Status::Corruption(source, base_offset + 4, "image.version",
                              fmt::format("image format version {}, this build reads {}", version,
                                          TradingImage::kFormatVersion));
  }
  TradingState state;
  bool have_scalars = false;
  std::vector<std::pair<uint64_t, Fill>> fills;
  size_t at = kImageHeaderBytes;
  while (at < bytes.size()) {
    const uint64_t record_offset = base_offset + at;
    if (bytes.size() - at < kRecordHeaderBytes) {
      return Status::Corruption(source, record_offset, "image.record",
                                "partial record header at the end of the image");
    }
    const uint32_t length = LoadU32(bytes.data() + at);
    const uint8_t tag = static_cast<uint8_t>(bytes[at + 4]);
    const std::string field = fmt::format("image.record.{}", TagName(tag));
    if (tag > kTagMax || bytes[at + 5] != std::byte{0} || bytes[at + 6] != std::byte{0} ||
        bytes[at + 7] != std::byte{0}) {
      return Status::Corruption(source, record_offset, "image.record.tag",
                                fmt::format("unknown record tag {}", tag));
    }
    const size_t record = RecordBytes(length);
    if (record > bytes.size() - at) {
      return Status::Corruption(source, record_offset, field,
                                fmt::format("record of {} bytes runs past the image's {}",
                                            record, bytes.size()));
    }
    ByteReader r(bytes.subspan(at + kRecordHeaderBytes, length), source,
                 record_offset + kRecordHeaderBytes);
    ByteReader::Scope scope(r, TagName(tag));
    bool duplicate = false;
    switch (tag) {
      case kFree:
        at += record;
        continue;
      case kScalars:
        duplicate = have_scalars;
        have_scalars = true;
        GetScalarsPayload(r, state);
        break;
      case kOpenOrder:
      case kPendingOrder: {
        Order order;
        codec::GetOrder(r, order);
        auto& map = tag == kOpenOrder ? state.open_orders : state.pending_orders;
        const std::string key = order.client_order_id;
        duplicate = r.ok() && !map.emplace(key, std::move(order)).second;
        break;
      }
      case kPosition: {
        Position position;
        codec::GetPosition(r, position);
        const std::string key = position.symbol;
        duplicate = r.ok() && !state.positions.emplace(key, std::move(position)).second;
        break;
      }
      case kExposure:
      case kLimitUsage: {
        std::string key = r.String("key");
        const int64_t value = r.I64("value");
        auto& map = tag == kExposure ? state.risk.exposure_lots : state.risk.limit_usage_bp;
        duplicate = r.ok() && !map.emplace(std::move(key), value).second;
        break;
      }
      case kBalance: {
        Balance balance;
        codec::GetBalance(r, balance);
        const std::string key = BalanceKey(balance.venue, balance.currency);
        duplicate = r.ok() && !state.balances.emplace(key, std::move(balance)).second;
        break;
      }
      case kFill: {
        const uint64_t ordinal = r.U64("ordinal");
        Fill fill;
        codec::GetFill(r, fill);
        fills.emplace_back(ordinal, std::move(fill));
        break;
      }
    }
    r.ExpectEnd();
    if (!r.ok()) return r.status();
    if (duplicate) {
      return Status::Corruption(source, record_offset, field,
                                "duplicate key: a second record for the same entry");
    }
    at += record;
  }
  if (!have_scalars) {
    return Status::Corruption(source, base_offset, "image.record.scalars",
                              "the image has no scalars record");
  }
  if (fills.size() > TradingState::kRecentFillsMax) {
    return Status::Corruption(source, base_offset, "image.record.fill",
                              fmt::format("{} fills exceed the window of {}", fills.size(),
                                          TradingState::kRecentFillsMax));
  }
  std::sort(fills.begin(), fills.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < fills.size(); ++i) {
    if (i > 0 && fills[i].first == fills[i - 1].first) {
      return Status::Corruption(source, base_offset, "image.record.fill.ordinal",
                                fmt::format("fill ordinal {} appears twice", fills[i].first));
    }
    state.recent_fills.push_back(std::move(fills[i].second));
  }
  return state;
}

}  // namespace crashdrill::system

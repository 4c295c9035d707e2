// TradingImage: the critical trading state encoded entry by entry, kept up to
// date by re-encoding only the entries updates changed. It is what an L1 slot
// holds: writing L1 is then a copy and a checksum of these bytes, not a walk
// of every map and field of the state.
//
// Layout (little-endian, every record 8-byte aligned):
//   u32 magic "CDTI", u16 format version, u16 zero
//   records: u32 payload length, u8 tag, u8[3] zero, payload, zero padding to 8
// Tags: 1 scalars (exactly one), 2 open order, 3 pending order, 4 position,
// 5 exposure, 6 limit usage, 7 balance, 8 fill (u64 ordinal first: fills
// decode in ordinal order), 0 free space (skipped). Records appear in no
// particular order; a key that appears twice is corruption.
//
// Correctness rests on TradingChanges naming every entry an update changed
// (ApplyStateUpdate fills it in at each change). Verify() re-derives the
// state from the image and compares, so a missed change is caught and
// repaired rather than trusted.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "system/io/fs.h"
#include "system/state/state_update.h"
#include "system/state/trading_state.h"

namespace crashdrill::system {

class TradingImage {
 public:
  static constexpr uint32_t kMagic = 0x49544443;  // "CDTI"
  static constexpr uint16_t kFormatVersion = 1;

  // Free space is reclaimed by re-encoding everything once it exceeds both
  // `compact_after_free_bytes` and the live bytes.
  explicit TradingImage(size_t compact_after_free_bytes = 64 << 10)
      : compact_after_free_bytes_(compact_after_free_bytes) {}

  // Re-encodes every entry of `state`; the image holds no free space after.
  void Reset(const TradingState& state);
  // Re-encodes the scalars and the entries `changes` names, as `state` has
  // them now (an entry `state` no longer has is removed). REQUIRES: the image
  // matched the state before the updates that `changes` describes.
  void Refresh(const TradingState& state, const TradingChanges& changes);
  // KInternal naming the first difference if the image does not decode to
  // `state`. A check of the bookkeeping, not of stored bytes.
  Status Verify(const TradingState& state) const;

  ByteSpan bytes() const { return {arena_.data(), size_}; }
  size_t free_bytes() const { return free_bytes_; }
  // How many times Refresh reclaimed free space.
  uint64_t compactions() const { return compactions_; }
  bool empty() const { return size_ == 0; }

 private:
  struct Extent {
    size_t offset = 0;
    size_t capacity = 0;  // bytes the record may use, header included
    size_t used = 0;      // bytes the record uses; the rest is a free record
  };
  using Index = std::unordered_map<std::string, Extent>;

  template <typename Put>
  void Place(Extent* extent, uint8_t tag, Put put);
  Extent Append(uint8_t tag, ByteSpan payload);
  void Free(const Extent& extent);
  template <typename Map, typename Put>
  void Sync(Index& index, uint8_t tag, const Map& map, const std::string& key, Put put);
  void PutScalars(const TradingState& state);

  size_t compact_after_free_bytes_;
  std::vector<std::byte> arena_;
  size_t size_ = 0;
  size_t free_bytes_ = 0;  // in free records, including the slack of extents
  std::vector<std::byte> scratch_;
  Extent scalars_;
  Index open_orders_, pending_orders_, positions_, exposure_, limit_usage_, balances_;
  std::deque<Extent> fills_;
  uint64_t next_fill_ordinal_ = 0;
  uint64_t compactions_ = 0;
};

// Decodes an image. `source` and `base_offset` name the file and where the
// image starts in it, for errors: corruption names the record's offset and tag.
Result<TradingState> DecodeTradingImage(ByteSpan bytes, std::string_view source,
                                        uint64_t base_offset);

}  // namespace crashdrill::system

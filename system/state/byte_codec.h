// ByteWriter / ByteReader: the little-endian primitives of the state codec.
// The reader never trusts a length or a count: each is bounded by the bytes
// that remain before it is used. The first problem is kept (sticky) as a
// corruption Status naming the source, the byte offset and the field path
// ("trading.open_orders[3].symbol"); later reads return zeros.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "system/io/fs.h"
#include "system/io/status.h"

namespace crashdrill::system {

// Writes little-endian values at a cursor. Two modes:
//  - growable (default): owns its buffer and doubles it as needed;
//  - fixed: writes into caller-provided bytes (an L1 slot) and never grows.
//    Running out of room is not an error here: the writer stops storing,
//    keeps counting, and the caller compares size() with the room it gave.
// Every store is one bounds check and one memcpy of a known size, because
// the L1 hot path encodes the whole critical state on every write.
class ByteWriter {
 public:
  ByteWriter() = default;
  explicit ByteWriter(MutableByteSpan fixed)
      : begin_(fixed.data()),
        cursor_(fixed.data()),
        end_(fixed.data() + fixed.size()),
        fixed_(true) {}
  ByteWriter(const ByteWriter&) = delete;
  ByteWriter& operator=(const ByteWriter&) = delete;

  void U8(uint8_t value) { PutLittleEndian(value); }
  void U16(uint16_t value) { PutLittleEndian(value); }
  void U32(uint32_t value) { PutLittleEndian(value); }
  void U64(uint64_t value) { PutLittleEndian(value); }
  void I64(int64_t value) { U64(static_cast<uint64_t>(value)); }
  void Bool(bool value) { U8(value ? 1 : 0); }
  // u32 length, then the bytes.
  void String(std::string_view value) {
    U32(static_cast<uint32_t>(value.size()));
    Put(value.data(), value.size());
  }
  void Count(size_t count) { U32(static_cast<uint32_t>(count)); }
  void Raw(ByteSpan bytes) { Put(bytes.data(), bytes.size()); }

  // Bytes written so far; in fixed mode, including those that did not fit.
  size_t size() const { return static_cast<size_t>(cursor_ - begin_) + dropped_; }
  // Fixed mode only: false once a store did not fit.
  bool fits() const { return dropped_ == 0; }
  // What was stored (all of it unless !fits()).
  MutableByteSpan written() { return {begin_, static_cast<size_t>(cursor_ - begin_)}; }
  // Growable mode only: the buffer, cut to size().
  std::vector<std::byte> Take();

 private:
  template <typename T>
  void PutLittleEndian(T value) {
    if constexpr (std::endian::native != std::endian::little) value = ByteSwap(value);
    Put(&value, sizeof(T));
  }
  template <typename T>
  static T ByteSwap(T value) {
    T out = 0;
    for (size_t i = 0; i < sizeof(T); ++i)
      out = static_cast<T>((out << 8) | ((value >> (8 * i)) & 0xff));
    return out;
  }
  void Put(const void* data, size_t bytes) {
    if (static_cast<size_t>(end_ - cursor_) < bytes) [[unlikely]] {
      if (!Grow(bytes)) {
        dropped_ += bytes;
        end_ = cursor_;  // nothing after a dropped store is stored either
        return;
      }
    }
    if (bytes != 0) std::memcpy(cursor_, data, bytes);
    cursor_ += bytes;
  }
  // Makes room for `bytes` more; false in fixed mode (nothing more is stored).
  bool Grow(size_t bytes);

  std::vector<std::byte> owned_;
  std::byte* begin_ = nullptr;
  std::byte* cursor_ = nullptr;
  std::byte* end_ = nullptr;
  bool fixed_ = false;
  size_t dropped_ = 0;
};

// Every read is inline and costs one bounds check and one load of a known
// size: replay decodes a million records a second through here. What goes
// wrong is handled out of line (cold): the error, its message and its field
// path are built only when there is one.
class ByteReader {
 public:
  // Longest string the codec accepts; anything longer is corruption.
  static constexpr uint32_t kStringBytesMax = 1u << 24;

  // `base_offset` is where `data` starts in the source, so offsets in errors
  // are offsets in the file.
  ByteReader(ByteSpan data, std::string_view source, uint64_t base_offset)
      : data_(data), source_(source), base_offset_(base_offset) {}

  uint8_t U8(const char* field) { return Get<uint8_t>(field); }
  uint16_t U16(const char* field) { return Get<uint16_t>(field); }
  uint32_t U32(const char* field) { return Get<uint32_t>(field); }
  uint64_t U64(const char* field) { return Get<uint64_t>(field); }
  int64_t I64(const char* field) { return static_cast<int64_t>(U64(field)); }
  bool Bool(const char* field) {
    const uint8_t value = U8(field);
    if (value > 1 && ok()) [[unlikely]]
      return FailBool(value, field);
    return value == 1;
  }
  std::string String(const char* field) { return std::string(StringView(field)); }
  // The same checks as String, assigned into `out` (whose storage is reused).
  void StringInto(const char* field, std::string& out) { out.assign(StringView(field)); }
  // A u32 element count, bounded by remaining() / element_bytes_min.
  uint32_t Count(const char* field, size_t element_bytes_min) {
    const uint32_t count = U32(field);
    if (element_bytes_min > 0 && count > remaining() / element_bytes_min && ok()) [[unlikely]] {
      return FailCount(count, field);
    }
    return count;
  }
  // A u8 that must be one of [first, last]; returns `first` after an error.
  uint8_t Enum(const char* field, uint8_t first, uint8_t last) {
    const uint8_t value = U8(field);
    if ((value < first || value > last) && ok()) [[unlikely]] {
      return FailEnum(value, first, last, field);
    }
    return ok() ? value : first;
  }

  // Records a corruption at the current offset (e.g. a duplicate key).
  void Fail(const char* field, std::string_view message);

  // Field-path scopes: pushed while decoding a nested value or element. The
  // stack is inline (no allocation per decoded value); scopes nested deeper
  // than kScopesMax are left out of error paths, never out of the decode.
  class Scope {
   public:
    Scope(ByteReader& reader, const char* name, int64_t index = -1) : reader_(reader) {
      if (reader_.depth_ < kScopesMax) reader_.scopes_[reader_.depth_] = {name, index};
      ++reader_.depth_;
    }
    ~Scope() { --reader_.depth_; }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    ByteReader& reader_;
  };

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  size_t remaining() const { return data_.size() - position_; }
  uint64_t offset() const { return base_offset_ + position_; }
  // Corruption unless every byte was consumed.
  void ExpectEnd() {
    if (ok() && remaining() != 0) [[unlikely]]
      FailTrailing();
  }

 private:
  // Left uninitialised: only the entries below depth_ are read, and zeroing
  // the stack showed in the profile of every decoded record.
  struct ScopeName {
    const char* name;
    int64_t index;
  };
  static constexpr size_t kScopesMax = 8;

  // A little-endian T at the cursor; 0 (and nothing consumed) once there is
  // an error or when fewer than sizeof(T) bytes remain (then an error).
  template <typename T>
  T Get(const char* field) {
    if (!ok() || remaining() < sizeof(T)) [[unlikely]] {
      FailTruncated(sizeof(T), field);
      return 0;
    }
    T value;
    std::memcpy(&value, data_.data() + position_, sizeof(T));
    if constexpr (std::endian::native != std::endian::little) value = ByteSwap(value);
    position_ += sizeof(T);
    return value;
  }
  template <typename T>
  static T ByteSwap(T value) {
    T out = 0;
    for (size_t i = 0; i < sizeof(T); ++i)
      out = static_cast<T>((out << 8) | ((value >> (8 * i)) & 0xff));
    return out;
  }
  // The string's bytes in `data_`, after its u32 length; empty after an error.
  std::string_view StringView(const char* field) {
    const uint32_t length = U32(field);
    if (length > kStringBytesMax || length > remaining()) [[unlikely]] {
      FailStringLength(length, field);  // not after an earlier error: then length is 0
      return {};
    }
    const std::string_view value(reinterpret_cast<const char*>(data_.data() + position_), length);
    position_ += length;
    return value;
  }

  // The failures, out of line. Each leaves the cursor at the start of the
  // value that failed, so the error's offset is the value's.
  [[gnu::cold]] void FailTruncated(size_t bytes, const char* field);
  [[gnu::cold]] bool FailBool(uint8_t value, const char* field);
  [[gnu::cold]] void FailStringLength(uint32_t length, const char* field);
  [[gnu::cold]] uint32_t FailCount(uint32_t count, const char* field);
  [[gnu::cold]] uint8_t FailEnum(uint8_t value, uint8_t first, uint8_t last, const char* field);
  [[gnu::cold]] void FailTrailing();
  std::string FieldPath(const char* field) const;

  ByteSpan data_;
  std::string_view source_;
  uint64_t base_offset_;
  size_t position_ = 0;
  ScopeName scopes_[kScopesMax];
  size_t depth_ = 0;
  Status status_;
};

}  // namespace crashdrill::system

// ByteWriter / ByteReader: the little-endian primitives of the state codec.
// The reader never trusts a length or a count: each is bounded by the bytes
// that remain before it is used. The first problem is kept (sticky) as a
// corruption Status naming the source, the byte offset and the field path
// ("trading.open_orders[3].symbol"); later reads return zeros.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "system/io/fs.h"
#include "system/io/status.h"

namespace crashdrill::system {

class ByteWriter {
 public:
  ByteWriter() = default;
  // Writes after what `buffer` holds, reusing its capacity (hot paths).
  explicit ByteWriter(std::vector<std::byte>&& buffer) : buffer_(std::move(buffer)) {}

  void U8(uint8_t value) { buffer_.push_back(static_cast<std::byte>(value)); }
  void U16(uint16_t value) { PutLittleEndian(value, 2); }
  void U32(uint32_t value) { PutLittleEndian(value, 4); }
  void U64(uint64_t value) { PutLittleEndian(value, 8); }
  void I64(int64_t value) { U64(static_cast<uint64_t>(value)); }
  void Bool(bool value) { U8(value ? 1 : 0); }
  // u32 length, then the bytes.
  void String(std::string_view value);
  void Count(size_t count) { U32(static_cast<uint32_t>(count)); }
  void Raw(ByteSpan bytes) { buffer_.insert(buffer_.end(), bytes.begin(), bytes.end()); }

  size_t size() const { return buffer_.size(); }
  std::vector<std::byte>& buffer() { return buffer_; }
  std::vector<std::byte> Take() { return std::move(buffer_); }

 private:
  void PutLittleEndian(uint64_t value, int bytes) {
    const size_t at = buffer_.size();
    buffer_.resize(at + static_cast<size_t>(bytes));
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(buffer_.data() + at, &value, static_cast<size_t>(bytes));
    } else {
      for (int i = 0; i < bytes; ++i) buffer_[at + static_cast<size_t>(i)] = static_cast<std::byte>(value >> (8 * i));
    }
  }
  std::vector<std::byte> buffer_;
};

class ByteReader {
 public:
  // Longest string the codec accepts; anything longer is corruption.
  static constexpr uint32_t kStringBytesMax = 1u << 24;

  // `base_offset` is where `data` starts in the source, so offsets in errors
  // are offsets in the file.
  ByteReader(ByteSpan data, std::string_view source, uint64_t base_offset)
      : data_(data), source_(source), base_offset_(base_offset) {}

  uint8_t U8(const char* field);
  uint16_t U16(const char* field);
  uint32_t U32(const char* field);
  uint64_t U64(const char* field);
  int64_t I64(const char* field) { return static_cast<int64_t>(U64(field)); }
  bool Bool(const char* field);
  std::string String(const char* field);
  // A u32 element count, bounded by remaining() / element_bytes_min.
  uint32_t Count(const char* field, size_t element_bytes_min);
  // A u8 that must be one of [first, last]; returns `first` after an error.
  uint8_t Enum(const char* field, uint8_t first, uint8_t last);

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
  void ExpectEnd();

 private:
  struct ScopeName {
    const char* name = nullptr;
    int64_t index = -1;
  };
  static constexpr size_t kScopesMax = 8;
  // True if `bytes` more can be read; records truncation otherwise.
  bool Need(size_t bytes, const char* field);
  uint64_t GetLittleEndian(int bytes, const char* field);
  std::string FieldPath(const char* field) const;

  ByteSpan data_;
  std::string_view source_;
  uint64_t base_offset_;
  size_t position_ = 0;
  std::array<ScopeName, kScopesMax> scopes_;
  size_t depth_ = 0;
  Status status_;
};

}  // namespace crashdrill::system

#include "system/state/byte_codec.h"

#include <algorithm>

#include <fmt/format.h>

#include "system/io/check.h"

namespace crashdrill::system {

bool ByteWriter::Grow(size_t bytes) {
  if (fixed_ || dropped_ != 0) return false;
  const size_t used = static_cast<size_t>(cursor_ - begin_);
  owned_.resize(std::max<size_t>({64, 2 * owned_.size(), used + bytes}));
  begin_ = owned_.data();
  cursor_ = begin_ + used;
  end_ = begin_ + owned_.size();
  return true;
}

std::vector<std::byte> ByteWriter::Take() {
  CD_CHECK(!fixed_, "ByteWriter::Take in fixed mode: the bytes are in the caller's buffer");
  owned_.resize(static_cast<size_t>(cursor_ - begin_));
  begin_ = cursor_ = end_ = nullptr;
  return std::move(owned_);
}

bool ByteReader::Need(size_t bytes, const char* field) {
  if (!status_.ok()) return false;
  if (remaining() >= bytes) return true;
  Fail(field, fmt::format("truncated: needs {} bytes, {} remain", bytes, remaining()));
  return false;
}

uint64_t ByteReader::GetLittleEndian(int bytes, const char* field) {
  if (!Need(static_cast<size_t>(bytes), field)) return 0;
  uint64_t value = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&value, data_.data() + position_, static_cast<size_t>(bytes));
  } else {
    for (int i = 0; i < bytes; ++i) {
      value |= static_cast<uint64_t>(data_[position_ + static_cast<size_t>(i)]) << (8 * i);
    }
  }
  position_ += static_cast<size_t>(bytes);
  return value;
}

uint8_t ByteReader::U8(const char* field) {
  return static_cast<uint8_t>(GetLittleEndian(1, field));
}
uint16_t ByteReader::U16(const char* field) {
  return static_cast<uint16_t>(GetLittleEndian(2, field));
}
uint32_t ByteReader::U32(const char* field) {
  return static_cast<uint32_t>(GetLittleEndian(4, field));
}
uint64_t ByteReader::U64(const char* field) { return GetLittleEndian(8, field); }

bool ByteReader::Bool(const char* field) {
  const size_t at = position_;
  const uint8_t value = U8(field);
  if (value > 1 && ok()) {
    position_ = at;
    Fail(field, fmt::format("boolean byte is {}, not 0 or 1", value));
    return false;
  }
  return value == 1;
}

std::string ByteReader::String(const char* field) {
  const size_t at = position_;
  const uint32_t length = U32(field);
  if (!ok()) return {};
  if (length > kStringBytesMax || length > remaining()) {
    position_ = at;
    Fail(field, fmt::format("string length {} exceeds the {} bytes that remain", length,
                            remaining() - 4));
    return {};
  }
  std::string value(reinterpret_cast<const char*>(data_.data() + position_), length);
  position_ += length;
  return value;
}

uint32_t ByteReader::Count(const char* field, size_t element_bytes_min) {
  const size_t at = position_;
  const uint32_t count = U32(field);
  if (!ok()) return 0;
  if (element_bytes_min > 0 && count > remaining() / element_bytes_min) {
    position_ = at;
    Fail(field, fmt::format("count {} cannot fit in the {} bytes that remain", count,
                            remaining()));
    return 0;
  }
  return count;
}

uint8_t ByteReader::Enum(const char* field, uint8_t first, uint8_t last) {
  const size_t at = position_;
  const uint8_t value = U8(field);
  if (!ok()) return first;
  if (value < first || value > last) {
    position_ = at;
    Fail(field, fmt::format("value {} is outside the enumeration [{}, {}]", value, first, last));
    return first;
  }
  return value;
}

void ByteReader::Fail(const char* field, std::string_view message) {
  if (!status_.ok()) return;
  status_ = Status::Corruption(source_, offset(), FieldPath(field), message);
}

void ByteReader::ExpectEnd() {
  if (ok() && remaining() != 0) {
    Fail("end", fmt::format("{} unexpected bytes after the last field", remaining()));
  }
}

std::string ByteReader::FieldPath(const char* field) const {
  std::string path;
  for (size_t i = 0; i < std::min(depth_, kScopesMax); ++i) {
    const ScopeName& scope = scopes_[i];
    if (!path.empty()) path.push_back('.');
    path += scope.name;
    if (scope.index >= 0) path += fmt::format("[{}]", scope.index);
  }
  if (!path.empty()) path.push_back('.');
  path += field;
  return path;
}

}  // namespace crashdrill::system

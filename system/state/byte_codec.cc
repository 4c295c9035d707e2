#include "system/state/byte_codec.h"

#include <fmt/format.h>

#include <algorithm>

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

void ByteReader::FailTruncated(size_t bytes, const char* field) {
  if (!ok()) return;  // the first error stands; later reads return zeros
  Fail(field, fmt::format("truncated: needs {} bytes, {} remain", bytes, remaining()));
}

bool ByteReader::FailBool(uint8_t value, const char* field) {
  position_ -= 1;
  Fail(field, fmt::format("boolean byte is {}, not 0 or 1", value));
  return false;
}

void ByteReader::FailStringLength(uint32_t length, const char* field) {
  position_ -= 4;
  Fail(field,
       fmt::format("string length {} exceeds the {} bytes that remain", length, remaining() - 4));
}

uint32_t ByteReader::FailCount(uint32_t count, const char* field) {
  position_ -= 4;
  Fail(field, fmt::format("count {} cannot fit in the {} bytes that remain", count, remaining()));
  return 0;
}

uint8_t ByteReader::FailEnum(uint8_t value, uint8_t first, uint8_t last, const char* field) {
  position_ -= 1;
  Fail(field, fmt::format("value {} is outside the enumeration [{}, {}]", value, first, last));
  return first;
}

void ByteReader::Fail(const char* field, std::string_view message) {
  if (!status_.ok()) return;
  status_ = Status::Corruption(source_, offset(), FieldPath(field), message);
}

void ByteReader::FailTrailing() {
  Fail("end", fmt::format("{} unexpected bytes after the last field", remaining()));
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

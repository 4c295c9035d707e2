// What the fuzz targets share: a cursor that takes the fuzzer's bytes apart
// (never failing: a short input reads as zeros, so every input is a case),
// the "what went wrong" convention of the checks (an empty string when the
// property held), and the entry point that turns a problem into a crash
// libFuzzer reports and saves.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "system/io/fs.h"
#include "system/io/status.h"

namespace crashdrill::testing {

using Bytes = std::vector<std::byte>;

class FuzzCursor {
 public:
  explicit FuzzCursor(system::ByteSpan bytes) : bytes_(bytes) {}

  uint8_t U8() { return at_ < bytes_.size() ? static_cast<uint8_t>(bytes_[at_++]) : 0; }
  uint64_t U64() {  // little-endian; missing bytes are zero
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value |= uint64_t{U8()} << (8 * i);
    return value;
  }
  // Up to `bytes` of what is left.
  system::ByteSpan Take(size_t bytes) {
    const size_t n = std::min(bytes, bytes_.size() - at_);
    const system::ByteSpan out = bytes_.subspan(at_, n);
    at_ += n;
    return out;
  }
  system::ByteSpan Rest() { return Take(bytes_.size() - at_); }
  bool empty() const { return at_ >= bytes_.size(); }

 private:
  system::ByteSpan bytes_;
  size_t at_ = 0;
};

inline void PutLittleEndian(Bytes& out, size_t at, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out[at + static_cast<size_t>(i)] = std::byte(value >> (8 * i));
}

inline std::string_view AsText(system::ByteSpan bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// "what: status" for a problem report.
inline std::string Describe(std::string_view what, const system::Status& status) {
  return std::string(what) + ": " + status.ToString();
}

// The body of LLVMFuzzerTestOneInput: runs `check` and aborts (libFuzzer
// saves the input as crash-<sha1>) when it names a problem.
template <typename Check>
int RunFuzzCheck(const char* target, const uint8_t* data, size_t size, Check check) {
  const std::string problem =
      check(system::ByteSpan(reinterpret_cast<const std::byte*>(data), size));
  if (!problem.empty()) {
    std::fprintf(stderr, "%s: %s\n", target, problem.c_str());
    std::abort();
  }
  return 0;
}

}  // namespace crashdrill::testing

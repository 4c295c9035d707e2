// What every input to the WAL format's parsers must satisfy
// (system/levels/wal_format.h): ParseWalFrame and ParseWalSegmentHeader never
// read past the bytes they are given (the sanitizers watch that); a frame they
// accept is exactly what AppendWalFrame writes for the record they return; a
// frame whose checksum matches and whose fields are in range is accepted.
//
// Input: byte 0 chooses the mode, the rest is the bytes parsed. Mode bit 0
// "sealed": before parsing, the frame checksum (and the segment header
// checksum) is recomputed over the bytes as given, as a writer would have, so
// mutations reach the checks that follow the checksum.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "system/levels/wal_format.h"
#include "system/state/codec.h"
#include "tests/fuzz/fuzz_support.h"

namespace crashdrill::testing {

inline constexpr uint8_t kWalFormatSealed = 1;

// The checksum rule of wal_format.h applied to `bytes` in place: the frame at
// `at` (when its length fits) and, for a segment header, bytes 0..8.
inline void SealWalFrame(Bytes& bytes, size_t at) {
  if (bytes.size() < at + system::kWalFrameHeaderBytes) return;
  size_t length = 0;
  for (size_t i = 0; i < 4; ++i) length |= static_cast<size_t>(bytes[at + 8 + i]) << (8 * i);
  if (length > system::kWalPayloadBytesMax || at + system::WalFrameBytes(length) > bytes.size()) {
    return;
  }
  // Format 2: the checksum covers the padding too.
  const uint64_t sum = system::Checksum64(
      system::ByteSpan(bytes).subspan(at + 8, system::WalFrameBytes(length) - 8));
  PutLittleEndian(bytes, at, sum, 8);
}

inline void SealWalSegmentHeader(Bytes& bytes) {
  if (bytes.size() < system::kWalSegmentHeaderBytes) return;
  const uint64_t sum =
      system::Checksum64(system::ByteSpan(bytes).subspan(8, system::kWalSegmentHeaderBytes - 8));
  PutLittleEndian(bytes, 0, sum, 8);
}

inline std::string CheckWalFrame(system::ByteSpan bytes) {
  using namespace crashdrill::system;
  const ParsedFrame frame = ParseWalFrame(bytes);
  const bool long_enough = bytes.size() >= kWalFrameHeaderBytes;
  if (frame.status == FrameStatus::kBad) {
    return frame.problem.empty() ? "a bad frame without a problem" : std::string();
  }
  if (frame.status == FrameStatus::kEnd) {
    const size_t checked = std::min<size_t>(bytes.size(), long_enough ? 13 : bytes.size());
    const bool zero = std::all_of(bytes.begin(), bytes.begin() + static_cast<long>(checked),
                                  [](std::byte b) { return b == std::byte{0}; });
    return zero ? std::string() : "the end of the log read from a header that is not zero";
  }
  // Valid: the record is what the writer would have written.
  const WalRecordView& view = frame.record;
  if (frame.frame_bytes != WalFrameBytes(view.payload.size()) || frame.frame_bytes > bytes.size()) {
    return fmt::format("a valid frame claims {} bytes of {} with a {}-byte payload",
                       frame.frame_bytes, bytes.size(), view.payload.size());
  }
  if (reinterpret_cast<const std::byte*>(view.payload.data()) !=
      bytes.data() + kWalFrameHeaderBytes) {
    return "the payload of a valid frame does not point after its header";
  }
  if (WalFrameBytesClaimed(bytes) != frame.frame_bytes) {
    return "WalFrameBytesClaimed disagrees with the frame ParseWalFrame accepted";
  }
  Bytes again;
  AppendWalFrame(view.ToRecord(), view.batch_first_seq, again);
  // Format 2: the checksum covers the padding, which must be zero, so the
  // whole frame comes back byte for byte.
  if (again.size() != frame.frame_bytes ||
      !std::equal(again.begin(), again.end(), bytes.begin())) {
    return fmt::format("a valid frame (seq {}, type {}) re-encodes to other bytes", view.state_seq,
                       static_cast<int>(view.type));
  }
  return {};
}

// A sealed frame with a known type, zero reserved bytes and padding, and a
// length that fits must parse as valid: the parser's checksum rule is the writer's.
inline std::string CheckSealedFrameIsAccepted(system::ByteSpan bytes) {
  using namespace crashdrill::system;
  if (bytes.size() < kWalFrameHeaderBytes) return {};
  const auto byte = [&](size_t i) { return static_cast<uint32_t>(bytes[i]); };
  const uint32_t length = byte(8) | byte(9) << 8 | byte(10) << 16 | byte(11) << 24;
  const uint32_t type = byte(12);
  const bool fits = length <= kWalPayloadBytesMax && WalFrameBytes(length) <= bytes.size();
  if (type == 0 || type > kRecordTypeMax || byte(13) != 0 || byte(14) != 0 || byte(15) != 0 ||
      !fits) {
    return {};
  }
  for (size_t i = kWalFrameHeaderBytes + length; i < WalFrameBytes(length); ++i) {
    if (byte(i) != 0) return {};  // padding must be zero
  }
  const ParsedFrame frame = ParseWalFrame(bytes);
  if (frame.status != FrameStatus::kValid) {
    return fmt::format("a sealed frame of type {} with {} payload bytes was refused: {}", type,
                       length, frame.problem);
  }
  return {};
}

inline std::string CheckWalSegmentHeader(system::ByteSpan bytes) {
  using namespace crashdrill::system;
  const std::optional<Seq> previous = ParseWalSegmentHeader(bytes);
  if (!previous) return {};
  const Bytes again = WalSegmentHeader(*previous);
  // A valid header re-encodes to the same bytes: magic, version, previous
  // seq, and the reserved bytes 24..32, which must be zero.
  if (!std::equal(again.begin(), again.end(), bytes.begin())) {
    return fmt::format("a valid segment header (previous seq {}) re-encodes to other bytes",
                       *previous);
  }
  return {};
}

inline std::string CheckWalFormat(system::ByteSpan input) {
  FuzzCursor cursor(input);
  const uint8_t mode = cursor.U8();
  Bytes bytes;
  const system::ByteSpan rest = cursor.Rest();
  bytes.assign(rest.begin(), rest.end());
  const bool sealed = (mode & kWalFormatSealed) != 0;
  if (sealed) SealWalFrame(bytes, 0);
  std::string problem = CheckWalFrame(bytes);
  if (problem.empty() && sealed) problem = CheckSealedFrameIsAccepted(bytes);
  if (!problem.empty()) return "frame: " + problem;
  if (sealed) SealWalSegmentHeader(bytes);
  problem = CheckWalSegmentHeader(bytes);
  return problem.empty() ? std::string() : "segment header: " + problem;
}

}  // namespace crashdrill::testing

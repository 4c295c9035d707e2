#include "system/levels/wal_format.h"

#include "system/levels/numbered_name.h"

#define XXH_STATIC_LINKING_ONLY
#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cstring>

namespace crashdrill::system {
namespace {

constexpr std::string_view kSegmentPrefix = "wal_";
constexpr uint32_t kSegmentMagic = 0x4C574443;  // "CDWL" as little-endian bytes
// Version 2: the frame checksum covers the padding too (version 1 left it out).
constexpr uint32_t kSegmentFormatVersion = 2;

// Every call passes a constant `bytes`: inlined, a little-endian load is one
// instruction (the byte loop it replaces was a fifth of replay's parsing).
[[gnu::always_inline]] inline uint64_t Load(const std::byte* p, int bytes) {
  uint64_t value = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&value, p, static_cast<size_t>(bytes));
  } else {
    for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | static_cast<uint64_t>(p[i]);
  }
  return value;
}

void Store(std::byte* p, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<std::byte>(value >> (8 * i));
}

}  // namespace

size_t WalFrameBytes(size_t payload_bytes) {
  const size_t raw = kWalFrameHeaderBytes + payload_bytes;
  return (raw + kWalAlignment - 1) / kWalAlignment * kWalAlignment;
}

void AppendWalFrame(const WalRecord& record, Seq batch_first_seq, std::vector<std::byte>& out) {
  const size_t start = out.size();
  out.resize(start + WalFrameBytes(record.payload.size()));  // zero padding included
  std::byte* frame = out.data() + start;
  Store(frame + 8, record.payload.size(), 4);
  Store(frame + 12, static_cast<uint8_t>(record.type), 1);
  Store(frame + 16, record.state_seq, 8);
  Store(frame + 24, static_cast<uint64_t>(record.time_ns), 8);
  Store(frame + 32, batch_first_seq, 8);
  std::memcpy(frame + kWalFrameHeaderBytes, record.payload.data(), record.payload.size());
  Store(frame, XXH3_64bits(frame + 8, WalFrameBytes(record.payload.size()) - 8), 8);
}

size_t WalFrameBytesClaimed(ByteSpan header) {
  const uint32_t length = static_cast<uint32_t>(Load(header.data() + 8, 4));
  return length > kWalPayloadBytesMax ? kWalFrameHeaderBytes : WalFrameBytes(length);
}

ParsedFrame ParseWalFrame(ByteSpan bytes) {
  ParsedFrame out;
  if (bytes.size() < kWalFrameHeaderBytes) {
    const bool all_zero =
        std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; });
    out.status = all_zero ? FrameStatus::kEnd : FrameStatus::kBad;
    out.problem = "partial frame header at the end of the segment";
    return out;
  }
  const std::byte* frame = bytes.data();
  const uint64_t checksum = Load(frame, 8);
  const uint32_t length = static_cast<uint32_t>(Load(frame + 8, 4));
  // The type byte and the three zero bytes after it, in one load.
  const uint32_t type_word = static_cast<uint32_t>(Load(frame + 12, 4));
  const uint8_t type = static_cast<uint8_t>(type_word & 0xff);
  if (checksum == 0 && length == 0 && type == 0) {
    out.status = FrameStatus::kEnd;
    return out;
  }
  out.status = FrameStatus::kBad;
  if (type == 0 || type > kRecordTypeMax || (type_word >> 8) != 0) {
    out.problem = fmt::format("record type {} is not a known type", type);
  } else if (length > kWalPayloadBytesMax || WalFrameBytes(length) > bytes.size()) {
    out.problem = fmt::format("payload length {} runs past the segment", length);
  } else if (XXH3_64bits(frame + 8, WalFrameBytes(length) - 8) != checksum) {
    out.problem = "checksum mismatch";
  } else if (!std::all_of(frame + kWalFrameHeaderBytes + length, frame + WalFrameBytes(length),
                          [](std::byte b) { return b == std::byte{0}; })) {
    out.problem = "padding is not zero";  // the writer pads with zeros: one encoding per record
  } else {
    out.status = FrameStatus::kValid;
    out.frame_bytes = WalFrameBytes(length);
    out.record.type = static_cast<RecordType>(type);
    out.record.state_seq = Load(frame + 16, 8);
    out.record.time_ns = static_cast<TimeNs>(Load(frame + 24, 8));
    out.record.batch_first_seq = Load(frame + 32, 8);
    out.record.payload = {reinterpret_cast<const char*>(frame + kWalFrameHeaderBytes), length};
  }
  return out;
}

std::vector<std::byte> WalSegmentHeader(Seq previous_last_seq) {
  std::vector<std::byte> header(kWalSegmentHeaderBytes);
  Store(header.data() + 8, kSegmentMagic, 4);
  Store(header.data() + 12, kSegmentFormatVersion, 4);
  Store(header.data() + 16, previous_last_seq, 8);
  Store(header.data(), XXH3_64bits(header.data() + 8, kWalSegmentHeaderBytes - 8), 8);
  return header;
}

std::optional<Seq> ParseWalSegmentHeader(ByteSpan bytes) {
  if (bytes.size() < kWalSegmentHeaderBytes) return std::nullopt;
  const std::byte* h = bytes.data();
  if (Load(h, 8) != XXH3_64bits(h + 8, kWalSegmentHeaderBytes - 8) ||
      Load(h + 8, 4) != kSegmentMagic || Load(h + 12, 4) != kSegmentFormatVersion ||
      Load(h + 24, 8) != 0) {
    return std::nullopt;
  }
  return Load(h + 16, 8);
}

std::string WalSegmentName(Seq first_state_seq) {
  return NumberedName(kSegmentPrefix, first_state_seq);
}

std::optional<Seq> ParseWalSegmentName(std::string_view name) {
  return ParseNumberedName(kSegmentPrefix, name);
}

}  // namespace crashdrill::system

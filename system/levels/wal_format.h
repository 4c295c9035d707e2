// The WAL's on-disk format. A segment file `wal_<first state_seq>` is
// preallocated and zero-filled. It opens with a 32-byte header — u64 XXH3 of
// the next 24 bytes, u32 magic "CDWL", u32 format version (2), u64 the last
// state_seq of the previous segment (0 for the first), u64 zero — written and
// synced before any record. Records follow at 8-byte-aligned offsets as frames:
//
//   u64 checksum   XXH3-64 over every following byte of the frame, padding included
//   u32 length     payload bytes
//   u8  type       RecordType, never 0
//   u8[3] zero
//   u64 state_seq  strictly increasing across the whole log
//   i64 time_ns    wall-clock label, never used to order
//   u64 batch_first_seq  state_seq of the first frame made durable by the same Sync
//   payload        `length` bytes, then zero padding to a multiple of 8 (checked:
//                  one encoding per record)
//
// An all-zero frame header ends the written part of a segment. Where the log
// stops being valid (a zero or bad frame), what follows decides what it is:
// - nothing valid, or only frames of the same batch (batch_first_seq at or
//   before the stopping point): a torn tail of a write no Sync completed —
//   the end of the log, repaired before the next append;
// - a valid frame of a later batch: that batch was written only after the
//   stopping point's batch was synced, so durable data went bad — corruption.
// Limitation, stated here because no framing can remove it: damage at rest to
// the last batch is indistinguishable from a torn write; it is reported as a
// torn tail together with the count of valid-looking frames discarded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "system/io/fs.h"
#include "system/state/state_update.h"
#include "system/state/vocabulary.h"

namespace crashdrill::system {



struct WalRecord {
  RecordType type = RecordType::kOrderSubmit;
  Seq state_seq = 0;
  TimeNs time_ns = 0;
  std::string payload;

  bool operator==(const WalRecord&) const = default;
};

// A record as parsed in place; `payload` points into the segment buffer.
struct WalRecordView {
  RecordType type = RecordType::kOrderSubmit;
  Seq state_seq = 0;
  TimeNs time_ns = 0;
  Seq batch_first_seq = 0;
  std::string_view payload;

  WalRecord ToRecord() const { return {type, state_seq, time_ns, std::string(payload)}; }
};

inline constexpr size_t kWalFrameHeaderBytes = 40;
inline constexpr size_t kWalSegmentHeaderBytes = 32;
inline constexpr size_t kWalAlignment = 8;
inline constexpr uint32_t kWalPayloadBytesMax = 16u << 20;

// Bytes a record occupies in a segment, padding included.
size_t WalFrameBytes(size_t payload_bytes);
// Appends the frame of `record` to `out`.
void AppendWalFrame(const WalRecord& record, Seq batch_first_seq, std::vector<std::byte>& out);

enum class FrameStatus { kValid, kEnd, kBad };
struct ParsedFrame {
  FrameStatus status = FrameStatus::kEnd;
  WalRecordView record;       // when kValid
  size_t frame_bytes = 0;     // when kValid
  std::string problem;        // when kBad
};
// The bytes the frame whose header starts `header` claims to occupy: header,
// payload and padding, or just the header when its length is out of bounds.
// For reading in chunks: ParseWalFrame needs that many bytes (or the rest of
// the segment). REQUIRES: header.size() >= kWalFrameHeaderBytes.
size_t WalFrameBytesClaimed(ByteSpan header);

// Parses the frame at the start of `bytes` (which may run to the segment end).
ParsedFrame ParseWalFrame(ByteSpan bytes);

std::vector<std::byte> WalSegmentHeader(Seq previous_last_seq);
// The previous segment's last state_seq, or nullopt if the header is not valid.
std::optional<Seq> ParseWalSegmentHeader(ByteSpan bytes);

std::string WalSegmentName(Seq first_state_seq);
// The first state_seq of a segment file name, or nullopt if it is not one.
std::optional<Seq> ParseWalSegmentName(std::string_view name);

}  // namespace crashdrill::system

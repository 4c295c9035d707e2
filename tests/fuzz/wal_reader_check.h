// What WalReader and Wal::Open must do with any directory of segment files
// (system/levels/wal_reader.h, wal.h), checked on a SimDisk holding the
// fuzzed files:
// - the result (status, WalEnd, records visited) never depends on the chunk
//   size the segments are read with;
// - records come in strictly increasing state_seq, and reading after a seq
//   visits exactly the later ones with the same outcome;
// - an error is kCorruption (the disk injects no I/O fault here);
// - when the log reads as clean or torn, Wal::Open repairs it and a record
//   appended after it reads back after exactly the records read before.
//
// Input: byte 0 = flags (bits 0-2: the chunk size compared with the default,
// bit 3: reseal every segment header and frame checksum, walking the frames
// as the reader would, so mutations reach past the checksums); then up to
// kWalFuzzSegmentsMax segment files separated by kWalFuzzSegmentMarker. A
// segment is named as a writer names it, after its header's previous
// state_seq (or after its predecessor when the header does not parse).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <vector>

#include "faults/sim_disk.h"
#include "system/levels/wal.h"
#include "system/levels/wal_reader.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/wal_format_check.h"

namespace crashdrill::testing {

inline constexpr std::string_view kWalFuzzSegmentMarker = "|wal-segment|";
inline constexpr size_t kWalFuzzSegmentsMax = 4;
inline constexpr uint8_t kWalFuzzReseal = 1 << 3;
inline constexpr std::array<size_t, 8> kWalFuzzChunkBytes = {1, 7, 8, 40, 41, 64, 333, 4096};
inline const std::string kWalFuzzDir = "/wal";

// The input that holds `segments` (for the seed corpus).
inline Bytes WalReaderInput(uint8_t flags, const std::vector<Bytes>& segments) {
  Bytes input{std::byte(flags)};
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) {
      const system::ByteSpan marker = system::AsBytes(kWalFuzzSegmentMarker);
      input.insert(input.end(), marker.begin(), marker.end());
    }
    input.insert(input.end(), segments[i].begin(), segments[i].end());
  }
  return input;
}

inline std::vector<Bytes> SplitWalSegments(system::ByteSpan rest) {
  const system::ByteSpan marker = system::AsBytes(kWalFuzzSegmentMarker);
  std::vector<Bytes> segments;
  auto begin = rest.begin();
  while (segments.size() + 1 < kWalFuzzSegmentsMax) {
    const auto found = std::search(begin, rest.end(), marker.begin(), marker.end());
    if (found == rest.end()) break;
    segments.emplace_back(begin, found);
    begin = found + static_cast<long>(marker.size());
  }
  segments.emplace_back(begin, rest.end());
  return segments;
}

// Recomputes the checksums a writer would have written: the header, then
// each frame in turn up to the first that is zero or does not fit.
inline void ResealWalSegment(Bytes& segment) {
  using namespace crashdrill::system;
  SealWalSegmentHeader(segment);
  size_t at = kWalSegmentHeaderBytes;
  while (at + kWalFrameHeaderBytes <= segment.size()) {
    SealWalFrame(segment, at);
    const ParsedFrame frame = ParseWalFrame(system::ByteSpan(segment).subspan(at));
    if (frame.status != FrameStatus::kValid) break;
    at += frame.frame_bytes;
  }
}

struct WalFuzzRecord {
  system::WalRecord record;
  system::Seq batch_first_seq = 0;
  bool operator==(const WalFuzzRecord&) const = default;
};

struct WalReadOutcome {
  system::Status status;
  system::WalEnd end;
  std::vector<WalFuzzRecord> records;
};

inline WalReadOutcome ReadWalForFuzz(system::Fs& fs, system::Seq after_seq, size_t chunk_bytes) {
  WalReadOutcome out;
  system::WalReader reader(fs, kWalFuzzDir, chunk_bytes);
  out.status = reader.Read(
      after_seq,
      [&](const system::WalRecordView& view) {
        out.records.push_back({view.ToRecord(), view.batch_first_seq});
        return system::Status::Ok();
      },
      out.end);
  return out;
}

inline std::string DescribeEnd(const system::WalEnd& end) {
  return fmt::format("kind {} segment {} offset {} last_seq {} starts_after {} discarded {} ({})",
                     static_cast<int>(end.kind), end.segment, end.offset, end.last_seq,
                     end.starts_after_seq, end.discarded_frames, end.detail);
}

// starts_after_seq is compared only when both reads start at the same seq:
// a read after a later seq skips the segments wholly at or below it.
inline bool SameEnd(const system::WalEnd& a, const system::WalEnd& b, bool same_start) {
  return a.kind == b.kind && a.segment == b.segment && a.offset == b.offset &&
         a.last_seq == b.last_seq && (!same_start || a.starts_after_seq == b.starts_after_seq) &&
         a.discarded_frames == b.discarded_frames && a.detail == b.detail;
}

// Empty if `b` is `a` (records: those of `a` after `after_seq`).
inline std::string CompareOutcomes(const WalReadOutcome& a, const WalReadOutcome& b,
                                   system::Seq after_seq, std::string_view what) {
  std::vector<WalFuzzRecord> expected;
  for (const WalFuzzRecord& r : a.records) {
    if (r.record.state_seq > after_seq) expected.push_back(r);
  }
  // A read after a later seq does not read the segments wholly below it, so
  // a break in the chain of segment headers there is found only by a read
  // from the start (Wal::Open reads only the tail; replay reads all it needs).
  if (after_seq > 0 && !a.status.ok()) {
    if (!b.status.ok() && !b.status.IsCorruption()) {
      return fmt::format("{}: status {}", what, b.status.ToString());
    }
    return {};
  }
  if (after_seq > 0 && b.end.starts_after_seq > after_seq) {
    return fmt::format("{}: the read starts after state_seq {}, past {}", what,
                       b.end.starts_after_seq, after_seq);
  }
  if (a.status.ToString() != b.status.ToString()) {
    return fmt::format("{}: status {} instead of {}", what, b.status.ToString(),
                       a.status.ToString());
  }
  if (!SameEnd(a.end, b.end, after_seq == 0)) {
    return fmt::format("{}: end {} instead of {}", what, DescribeEnd(b.end), DescribeEnd(a.end));
  }
  if (b.records != expected) {
    return fmt::format("{}: {} records visited instead of {}", what, b.records.size(),
                       expected.size());
  }
  return {};
}

inline std::string CheckWalOutcome(const WalReadOutcome& read) {
  using system::WalEnd;
  for (size_t i = 1; i < read.records.size(); ++i) {
    if (read.records[i].record.state_seq <= read.records[i - 1].record.state_seq) {
      return fmt::format("record {} has state_seq {} after {}", i, read.records[i].record.state_seq,
                         read.records[i - 1].record.state_seq);
    }
  }
  if (!read.status.ok()) {
    if (read.status.code() != system::StatusCode::kCorruption ||
        read.end.kind != WalEnd::Kind::kCorruption) {
      return Describe("an error that is not corruption", read.status) + " / " +
             DescribeEnd(read.end);
    }
    return {};
  }
  if (read.end.kind == WalEnd::Kind::kCorruption) return "OK but the end says corruption";
  if (!read.records.empty() && read.end.last_seq != read.records.back().record.state_seq) {
    return fmt::format("the log ends at {} but its last record is {}", read.end.last_seq,
                       read.records.back().record.state_seq);
  }
  return {};
}

// Wal::Open on a log that read as clean or torn, then one append: the log
// reads back as what it held, plus that record, and ends clean.
inline std::string CheckRepairAndAppend(system::Fs& fs, const WalReadOutcome& before) {
  using namespace crashdrill::system;
  if (before.end.last_seq == std::numeric_limits<Seq>::max()) return {};  // no next seq exists
  Wal wal(fs, {.dir = kWalFuzzDir, .segment_bytes = 512});
  WalEnd opened;
  if (Status status = wal.Open(&opened); !status.ok()) {
    return Describe("Wal::Open of a log that reads as " + DescribeEnd(before.end), status);
  }
  if (!SameEnd(opened, before.end, /*same_start=*/false)) {  // Open reads only the tail
    return "Wal::Open saw the log end at " + DescribeEnd(opened) + ", the reader at " +
           DescribeEnd(before.end);
  }
  const std::string payload = "appended after repair";
  Result<Seq> appended = wal.AppendNext(RecordType::kRiskHalt, 7, payload);
  if (!appended.ok()) return Describe("append after Wal::Open", appended.status());
  if (*appended != before.end.last_seq + 1) {
    return fmt::format("append after a log ending at {} got state_seq {}", before.end.last_seq,
                       *appended);
  }
  WalReadOutcome after = ReadWalForFuzz(fs, 0, WalReader::kDefaultChunkBytes);
  std::vector<WalFuzzRecord> expected = before.records;
  expected.push_back({{RecordType::kRiskHalt, *appended, 7, payload}, *appended});
  if (!after.status.ok() || after.end.kind != WalEnd::Kind::kClean) {
    return "after repair and append the log reads as " + after.status.ToString() + " / " +
           DescribeEnd(after.end) + "; before: " + DescribeEnd(before.end);
  }
  if (after.records != expected) {
    return fmt::format("after repair and append {} records read back instead of {}; before: {}",
                       after.records.size(), expected.size(), DescribeEnd(before.end));
  }
  return {};
}

inline std::string CheckWalReader(system::ByteSpan input) {
  using namespace crashdrill::system;
  FuzzCursor cursor(input);
  const uint8_t flags = cursor.U8();
  std::vector<Bytes> segments = SplitWalSegments(cursor.Rest());
  faults::SimDisk disk({});
  if (Status made = disk.MakeDir(kWalFuzzDir); !made.ok()) return Describe("mkdir", made);
  Seq name = 0;
  for (Bytes& segment : segments) {
    // Names rise strictly; past the largest seq there is none left (it would
    // wrap to a name already used).
    if (name == std::numeric_limits<Seq>::max()) break;
    if ((flags & kWalFuzzReseal) != 0) ResealWalSegment(segment);
    const std::optional<Seq> previous = ParseWalSegmentHeader(segment);
    name = previous && *previous >= name && *previous < std::numeric_limits<Seq>::max()
               ? *previous + 1
               : name + 1;
    auto file = disk.Open(JoinPath(kWalFuzzDir, WalSegmentName(name)), OpenOptions::CreateNew());
    if (!file.ok()) return Describe("create segment", file.status());
    if (Status wrote = (*file)->WriteAt(0, segment); !wrote.ok()) return Describe("write", wrote);
  }
  const WalReadOutcome read = ReadWalForFuzz(disk, 0, WalReader::kDefaultChunkBytes);
  std::string problem = CheckWalOutcome(read);
  if (!problem.empty()) return problem;
  const size_t chunk_bytes = kWalFuzzChunkBytes[flags & 7];
  problem = CompareOutcomes(read, ReadWalForFuzz(disk, 0, chunk_bytes), 0,
                            fmt::format("read in {}-byte chunks", chunk_bytes));
  if (!problem.empty()) return problem;
  if (!read.records.empty()) {
    const Seq middle = read.records[read.records.size() / 2].record.state_seq;
    problem = CompareOutcomes(read, ReadWalForFuzz(disk, middle, chunk_bytes), middle,
                              fmt::format("read after state_seq {}", middle));
    if (!problem.empty()) return problem;
  }
  if (!read.status.ok()) return {};
  return CheckRepairAndAppend(disk, read);
}

}  // namespace crashdrill::testing

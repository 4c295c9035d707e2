#include "system/levels/wal_reader.h"

#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>

namespace crashdrill::system {
namespace {

// memcmp against a zero block: the unwritten rest of a preallocated segment
// is megabytes of zeros that every Open checks, so this runs at memory speed.
bool AllZero(ByteSpan bytes) {
  static constexpr std::array<std::byte, 4096> kZeros{};
  while (bytes.size() > kZeros.size()) {
    if (std::memcmp(bytes.data(), kZeros.data(), kZeros.size()) != 0) return false;
    bytes = bytes.subspan(kZeros.size());
  }
  return std::memcmp(bytes.data(), kZeros.data(), bytes.size()) == 0;
}

// One past the last non-zero byte of `bytes` (0 if all are zero).
uint64_t NonZeroEnd(ByteSpan bytes) {
  constexpr size_t kBlock = 4096;
  uint64_t end = bytes.size();
  while (end > 0) {
    const uint64_t begin = end > kBlock ? end - kBlock : 0;
    if (!AllZero(bytes.subspan(begin, end - begin))) {
      while (bytes[end - 1] == std::byte{0}) --end;
      return end;
    }
    end = begin;
  }
  return 0;
}

struct LaterFrames {
  size_t valid = 0;              // valid frames found after the stop point
  bool later_batch = false;      // one of them starts a batch
  uint64_t later_batch_offset = 0;
  uint64_t nonzero_end = 0;      // one past the last non-zero byte (0 if none)
};

// Valid frames at aligned offsets after `from` in `bytes`, and where the
// non-zero bytes end.
LaterFrames ScanAfter(ByteSpan bytes, uint64_t from) {
  LaterFrames out;
  out.nonzero_end = NonZeroEnd(bytes);
  // No frame can start at or after the last non-zero byte's 8-byte word.
  for (uint64_t at = from; at < out.nonzero_end && at + kWalFrameHeaderBytes <= bytes.size();
       at += kWalAlignment) {
    if (bytes[at] == std::byte{0} && AllZero(bytes.subspan(at, 8))) continue;  // fast skip
    const ParsedFrame frame = ParseWalFrame(bytes.subspan(at));
    if (frame.status != FrameStatus::kValid) continue;
    ++out.valid;
    if (frame.record.state_seq == frame.record.batch_first_seq && !out.later_batch) {
      out.later_batch = true;
      out.later_batch_offset = at;
    }
  }
  return out;
}

Status CorruptionAt(const std::string& path, uint64_t offset, std::string detail,
                    WalEnd& end) {
  end.kind = WalEnd::Kind::kCorruption;
  end.detail = detail;
  return Status::Corruption(path, offset, "wal", detail);
}

// A window of a segment file, read in chunks into the reader's reused buffer:
// replay touches each byte once, so reading a whole segment into fresh memory
// would spend more on page faults than on parsing.
class SegmentWindow {
 public:
  SegmentWindow(File& file, uint64_t size, size_t chunk_bytes,
                std::unique_ptr<std::byte[]>& buffer, size_t& buffer_bytes)
      : file_(file), size_(size), chunk_bytes_(std::max<size_t>(chunk_bytes, 1)),
        buffer_(buffer), buffer_bytes_(buffer_bytes) {}

  uint64_t size() const { return size_; }

  // The bytes from `offset` to the end of the window, at least
  // min(bytes, size() - offset) of them. The span is valid until the next call.
  Result<ByteSpan> At(uint64_t offset, size_t bytes) {
    const uint64_t want = std::min<uint64_t>(bytes, size_ - offset);
    if (offset < start_ || offset + want > end_) {
      // A chunk, but not into what the file system says was never written.
      const uint64_t chunk = std::max<uint64_t>(
          want, std::min<uint64_t>(chunk_bytes_, zeros_from_ > offset ? zeros_from_ - offset : 0));
      const uint64_t load = std::min<uint64_t>(chunk, size_ - offset);
      if (load > buffer_bytes_) {
        buffer_.reset(new std::byte[load]);  // default-initialised: no zero-fill
        buffer_bytes_ = load;
      }
      start_ = end_ = offset;
      CD_RETURN_IF_ERROR(ReadFully(file_, offset, MutableByteSpan(buffer_.get(), load)));
      end_ = offset + load;
      // The file system reads ahead while this chunk is parsed and replayed:
      // up to kAheadBytes past it, never into what was never written (zero
      // pages would then count as data).
      if (end_ + kAheadBytes / 2 > advised_to_ && advised_to_ < zeros_from_) {
        const uint64_t from = std::max(end_, advised_to_);
        const uint64_t to = std::min<uint64_t>(end_ + kAheadBytes, zeros_from_);
        if (to > from) file_.WillRead(from, to - from);
        advised_to_ = to;
      }
    }
    return ByteSpan(buffer_.get() + (offset - start_), end_ - offset);
  }

  // True if every byte from `offset` to the end of the segment is zero.
  // What the file system reports as never written is not read.
  Result<bool> ZeroFrom(uint64_t offset) {
    while (offset < zeros_from_) {
      // Not a byte past zeros_from_: on ext4 a read of never-written space
      // puts its zero pages in the page cache, and SEEK_DATA then reports
      // them as data, so every restart would read further into the zeros.
      CD_ASSIGN_OR_RETURN(const ByteSpan bytes,
                          At(offset, std::min<uint64_t>(chunk_bytes_, zeros_from_ - offset)));
      const size_t length = static_cast<size_t>(std::min<uint64_t>(bytes.size(), zeros_from_ - offset));
      if (!AllZero(bytes.first(length))) return false;
      offset += length;
    }
    return true;
  }

  // The bytes from `offset` to the end of the segment, in memory of their own
  // (only for classifying where a log stops, once per crash), up to where the
  // file system reports only zeros follow.
  Result<std::vector<std::byte>> Rest(uint64_t offset) {
    std::vector<std::byte> rest(zeros_from_ > offset ? zeros_from_ - offset : 0);
    CD_RETURN_IF_ERROR(ReadFully(file_, offset, rest));
    return rest;
  }

  // Asks the file system, before anything is read (read-ahead would make
  // unwritten space look written), where the written part of the file ends.
  Status FindZeros() {
    CD_ASSIGN_OR_RETURN(const uint64_t zeros_from, file_.ZerosFrom());
    zeros_from_ = std::min(zeros_from, size_);
    return Status::Ok();
  }

 private:
  static Status ReadFully(File& file, uint64_t offset, MutableByteSpan out) {
    size_t done = 0;
    while (done < out.size()) {
      CD_ASSIGN_OR_RETURN(size_t n, file.ReadAt(offset + done, out.subspan(done)));
      if (n == 0) {
        return Status::Error(StatusCode::kIoError, "read", file.path(),
                             fmt::format("segment shrank while reading: no bytes at offset {}",
                                         offset + done));
      }
      done += n;
    }
    return Status::Ok();
  }

  File& file_;
  const uint64_t size_;
  const size_t chunk_bytes_;
  std::unique_ptr<std::byte[]>& buffer_;
  size_t& buffer_bytes_;
  uint64_t start_ = 0, end_ = 0;  // the window is [start_, end_) of the file
  uint64_t zeros_from_ = size_;   // every byte from here on reads as zero
  static constexpr uint64_t kAheadBytes = 16 << 20;
  uint64_t advised_to_ = 0;  // WillRead was asked up to here
};

}  // namespace

Result<std::vector<WalSegment>> WalReader::Segments() {
  CD_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_.List(dir_));
  std::vector<WalSegment> segments;
  for (const std::string& name : names) {
    if (auto first = ParseWalSegmentName(name)) {
      segments.push_back({JoinPath(dir_, name), *first});
    }
  }
  std::sort(segments.begin(), segments.end(),
            [](const WalSegment& a, const WalSegment& b) { return a.first_seq < b.first_seq; });
  return segments;
}

Status WalReader::Read(Seq after_seq, const std::function<Status(const WalRecordView&)>& visit,
                       WalEnd& end, Seq until_seq) {
  end = WalEnd{};
  until_seq_ = until_seq;
  CD_ASSIGN_OR_RETURN(std::vector<WalSegment> segments, Segments());
  // A segment whose successor starts at or below after_seq + 1 holds nothing
  // to visit: start at the one that may hold after_seq + 1, unless its header
  // is not valid (then the log before it decides where the log ends).
  size_t first = 0;
  while (first + 1 < segments.size() && segments[first + 1].first_seq - 1 <= after_seq) ++first;
  if (first > 0) {
    CD_ASSIGN_OR_RETURN(const bool valid, HeaderIsValid(segments[first]));
    if (!valid) --first;
  }
  for (size_t i = first; i < segments.size(); ++i) {
    bool stopped = false;
    CD_RETURN_IF_ERROR(
        ReadSegment(segments[i], i + 1 == segments.size(), after_seq, visit, end, stopped));
    if (stopped && end.reached_until) return Status::Ok();
    if (stopped && i + 1 < segments.size()) {
      // A later segment is created only after this one was synced to its end.
      return CorruptionAt(end.segment, end.offset,
                          fmt::format("the log stops here ({}) but a later segment {} exists",
                                      end.detail, segments[i + 1].path),
                          end);
    }
    if (stopped) return Status::Ok();
  }
  return Status::Ok();
}

Result<bool> WalReader::HeaderIsValid(const WalSegment& segment) {
  CD_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs_.Open(segment.path, OpenOptions::Read()));
  std::array<std::byte, kWalSegmentHeaderBytes> head{};
  CD_ASSIGN_OR_RETURN(const size_t n, file->ReadAt(0, head));
  return n == head.size() && ParseWalSegmentHeader(head).has_value();
}

Status WalReader::ReadSegment(const WalSegment& segment, bool is_last, Seq after_seq,
                              const std::function<Status(const WalRecordView&)>& visit,
                              WalEnd& end, bool& stopped) {
  CD_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs_.Open(segment.path, OpenOptions::Read()));
  CD_ASSIGN_OR_RETURN(const uint64_t size, file->Size());
  SegmentWindow window(*file, size, chunk_bytes_, buffer_, buffer_bytes_);
  CD_RETURN_IF_ERROR(window.FindZeros());
  end.segment = segment.path;
  CD_ASSIGN_OR_RETURN(const ByteSpan head, window.At(0, kWalSegmentHeaderBytes));
  const std::optional<Seq> previous_last = ParseWalSegmentHeader(head);
  if (!previous_last) {
    CD_ASSIGN_OR_RETURN(const std::vector<std::byte> all, window.Rest(0));
    const LaterFrames later = ScanAfter(all, kWalSegmentHeaderBytes);
    if (!is_last || later.valid > 0) {
      return CorruptionAt(segment.path, 0, "segment header is not valid", end);
    }
    end.kind = WalEnd::Kind::kTornTail;  // crashed while creating the segment
    end.offset = 0;
    end.dirty_end = later.nonzero_end;
    end.detail = "segment header torn while the segment was created";
    stopped = true;
    return Status::Ok();
  }
  if (end.last_seq == 0 && segment.first_seq > 0 && end.starts_after_seq == 0 &&
      *previous_last > 0) {
    // The oldest segment read: older ones were dropped once a snapshot covered
    // them, or hold nothing after after_seq.
    end.starts_after_seq = *previous_last;
    end.last_seq = *previous_last;
  }
  if (*previous_last != end.last_seq) {
    return CorruptionAt(segment.path, 16,
                        fmt::format("segment continues from state_seq {} but the log before it "
                                    "ends at {}", *previous_last, end.last_seq),
                        end);
  }
  uint64_t offset = kWalSegmentHeaderBytes;
  while (offset < size) {
    // The frame header, then the whole frame (or the rest of the segment).
    CD_ASSIGN_OR_RETURN(ByteSpan bytes, window.At(offset, kWalFrameHeaderBytes));
    if (bytes.size() >= kWalFrameHeaderBytes && WalFrameBytesClaimed(bytes) > bytes.size()) {
      CD_ASSIGN_OR_RETURN(bytes, window.At(offset, WalFrameBytesClaimed(bytes)));
    }
    const ParsedFrame frame = ParseWalFrame(bytes);
    if (frame.status != FrameStatus::kValid) {
      end.offset = offset;
      if (frame.status == FrameStatus::kEnd) {
        CD_ASSIGN_OR_RETURN(const bool zero, window.ZeroFrom(offset));
        if (zero) return Status::Ok();  // the unwritten, preallocated rest of the segment
      }
      CD_ASSIGN_OR_RETURN(const std::vector<std::byte> rest, window.Rest(offset));
      LaterFrames later = ScanAfter(rest, kWalAlignment);
      later.later_batch_offset += offset;
      end.dirty_end = offset + later.nonzero_end;
      const std::string what = frame.status == FrameStatus::kEnd
                                   ? std::string("zeroed frame header")
                                   : frame.problem;
      if (later.later_batch) {
        return CorruptionAt(segment.path, offset,
                            fmt::format("{}, followed by a durable batch at offset {}", what,
                                        later.later_batch_offset),
                            end);
      }
      end.kind = WalEnd::Kind::kTornTail;
      end.discarded_frames = later.valid;
      end.detail = fmt::format("torn tail: {}", what);
      stopped = true;
      return Status::Ok();
    }
    const WalRecordView& record = frame.record;
    if (record.state_seq <= end.last_seq) {
      return CorruptionAt(segment.path, offset,
                          fmt::format("state_seq {} after {}", record.state_seq, end.last_seq),
                          end);
    }
    if (record.state_seq > after_seq) CD_RETURN_IF_ERROR(visit(record));
    end.last_seq = record.state_seq;
    offset += frame.frame_bytes;
    if (until_seq_ != kReadToTheEnd && record.state_seq >= until_seq_) {
      end.offset = offset;
      end.reached_until = true;
      stopped = true;
      return Status::Ok();
    }
  }
  end.offset = offset;  // the segment is exactly full
  return Status::Ok();
}

}  // namespace crashdrill::system

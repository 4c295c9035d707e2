#include "system/levels/wal_reader.h"

#include <algorithm>

#include <fmt/format.h>

namespace crashdrill::system {
namespace {

bool AllZero(ByteSpan bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; });
}

struct LaterFrames {
  size_t valid = 0;              // valid frames found after the stop point
  bool later_batch = false;      // one of them starts a batch
  uint64_t later_batch_offset = 0;
};

// Valid frames at aligned offsets after `from` in `bytes`.
LaterFrames ScanAfter(ByteSpan bytes, uint64_t from) {
  LaterFrames out;
  for (uint64_t at = from; at + kWalFrameHeaderBytes <= bytes.size(); at += kWalAlignment) {
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

Result<ByteSpan> WalReader::ReadSegmentBytes(const std::string& path) {
  CD_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs_.Open(path, OpenOptions::Read()));
  CD_ASSIGN_OR_RETURN(const uint64_t size, file->Size());
  if (size > buffer_bytes_) {
    buffer_.reset(new std::byte[size]);
    buffer_bytes_ = size;
  }
  uint64_t done = 0;
  while (done < size) {
    CD_ASSIGN_OR_RETURN(size_t n, file->ReadAt(done, MutableByteSpan(buffer_.get() + done,
                                                                      size - done)));
    if (n == 0) {
      return Status::Error(StatusCode::kIoError, "read", path,
                           fmt::format("segment shrank while reading: {} of {} bytes", done, size));
    }
    done += n;
  }
  return ByteSpan(buffer_.get(), size);
}

Status WalReader::Read(Seq after_seq, const std::function<Status(const WalRecordView&)>& visit,
                       WalEnd& end) {
  end = WalEnd{};
  CD_ASSIGN_OR_RETURN(std::vector<WalSegment> segments, Segments());
  for (size_t i = 0; i < segments.size(); ++i) {
    bool stopped = false;
    CD_RETURN_IF_ERROR(
        ReadSegment(segments[i], i + 1 == segments.size(), after_seq, visit, end, stopped));
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

Status WalReader::ReadSegment(const WalSegment& segment, bool is_last, Seq after_seq,
                              const std::function<Status(const WalRecordView&)>& visit,
                              WalEnd& end, bool& stopped) {
  CD_ASSIGN_OR_RETURN(const ByteSpan all, ReadSegmentBytes(segment.path));
  end.segment = segment.path;
  const std::optional<Seq> previous_last = ParseWalSegmentHeader(all);
  if (!previous_last) {
    const LaterFrames later = ScanAfter(all, kWalSegmentHeaderBytes);
    if (!is_last || later.valid > 0) {
      return CorruptionAt(segment.path, 0, "segment header is not valid", end);
    }
    end.kind = WalEnd::Kind::kTornTail;  // crashed while creating the segment
    end.offset = 0;
    end.detail = "segment header torn while the segment was created";
    stopped = true;
    return Status::Ok();
  }
  if (end.last_seq == 0 && segment.first_seq > 0 && end.starts_after_seq == 0 &&
      *previous_last > 0) {
    // The oldest segment left: older ones were dropped once a snapshot covered them.
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
  while (offset < all.size()) {
    const ParsedFrame frame = ParseWalFrame(all.subspan(offset));
    if (frame.status != FrameStatus::kValid) {
      end.offset = offset;
      if (frame.status == FrameStatus::kEnd && AllZero(all.subspan(offset))) {
        return Status::Ok();  // the unwritten, preallocated rest of the segment
      }
      const LaterFrames later = ScanAfter(all, offset + kWalAlignment);
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
  }
  end.offset = offset;  // the segment is exactly full
  return Status::Ok();
}

}  // namespace crashdrill::system

// WalReader: reads a WAL directory in state_seq order and says how it ends
// (wal_format.h explains the classification). A torn tail is the end of the
// log, not an error; corruption is an error, returned after the valid prefix
// was visited, and never skipped: nothing after it is replayed.
#pragma once

#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "system/io/fs.h"
#include "system/levels/wal_format.h"

namespace crashdrill::system {

struct WalEnd {
  enum class Kind { kClean, kTornTail, kCorruption };
  Kind kind = Kind::kClean;
  std::string segment;          // path of the segment where the valid log stops ("" if none)
  uint64_t offset = 0;          // first byte after the last valid frame: the append point
  Seq last_seq = 0;             // newest valid record (0 if none)
  Seq starts_after_seq = 0;     // the oldest segment read continues from here (older
                                // ones dropped, or skipped as wholly at or below after_seq)
  size_t discarded_frames = 0;  // valid-looking frames of the torn batch, not replayed
  uint64_t dirty_end = 0;       // torn tail: one past the last non-zero byte after `offset`
  std::string detail;           // why it stopped, for reports
  bool reached_until = false;   // stopped at until_seq; nothing after it was read
};

struct WalSegment {
  std::string path;
  Seq first_seq = 0;
};

class WalReader {
 public:
  static constexpr size_t kDefaultChunkBytes = 1 << 20;

  // Segments are read `chunk_bytes` at a time (more for a frame that is
  // larger); the result never depends on the chunk size.
  WalReader(Fs& fs, std::string dir, size_t chunk_bytes = kDefaultChunkBytes)
      : fs_(fs), dir_(std::move(dir)), chunk_bytes_(chunk_bytes) {}

  // Segments present, ascending by first state_seq.
  Result<std::vector<WalSegment>> Segments();

  // Calls `visit` for each valid record with state_seq > after_seq, in order,
  // and stops after the record at or above `until_seq` (nothing later is read,
  // so damage after it does not matter; kReadToTheEnd reads everything). Segments wholly at or below after_seq
  // are not read. Returns the first error of `visit`, an I/O error, or a
  // kCorruption status (naming segment and offset) when the log is corrupt; OK
  // for a clean end, a torn tail or reaching until_seq. `end` is filled in
  // every case but an I/O or visit error.
  static constexpr Seq kReadToTheEnd = std::numeric_limits<Seq>::max();
  Status Read(Seq after_seq, const std::function<Status(const WalRecordView&)>& visit,
              WalEnd& end, Seq until_seq = kReadToTheEnd);

 private:
  Result<bool> HeaderIsValid(const WalSegment& segment);
  Status ReadSegment(const WalSegment& segment, bool is_last, Seq after_seq,
                     const std::function<Status(const WalRecordView&)>& visit, WalEnd& end,
                     bool& stopped);

  Fs& fs_;
  std::string dir_;
  size_t chunk_bytes_;
  Seq until_seq_ = 0;
  // The segment window's buffer (one chunk, or one frame if larger), reused
  // across segments and reads. Record payloads passed to `visit` point into it.
  std::unique_ptr<std::byte[]> buffer_;
  size_t buffer_bytes_ = 0;
};

}  // namespace crashdrill::system

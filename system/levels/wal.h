// Wal: the L3 write-ahead log. Critical operations are appended here and are
// durable before the engine acts on them.
//
// Durability contract: Append() returns OK only after the record's bytes are
// durable (data sync of a preallocated segment). Concurrent appenders share one
// Sync (group commit). If a Sync fails, every appender waiting on it fails and
// the WAL refuses all further appends until it is reopened: the kernel may
// have dropped the dirty pages, so retrying the Sync would acknowledge data
// that is gone (Linux fsync semantics). A failed write (e.g. kNoSpace) fails
// only its batch and the appends queued behind it, and frees their state_seqs
// for the next append; the next write zero-covers what it left, in the same
// segment. Open() makes durable what it adopts and repairs a torn tail
// (zero-fills every byte the torn batch left, and syncs) before the first
// append, and refuses a corrupt log rather than append after damage.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "system/io/fs.h"
#include "system/levels/wal_format.h"
#include "system/levels/wal_reader.h"

namespace crashdrill::system {

struct WalOptions {
  std::string dir;
  uint64_t segment_bytes = 64ull << 20;  // preallocated size of each segment
};

struct WalStats {
  uint64_t records = 0;
  uint64_t syncs = 0;
  uint64_t bytes = 0;
  uint64_t segments_created = 0;
};

class Wal {
 public:
  Wal(Fs& fs, WalOptions options);
  ~Wal();

  // Reads the tail of the log (the last segment; the one before too if the
  // last one's header is torn), repairs a torn tail, syncs the tail segment and
  // the directory so everything it adopts is durable, and positions the append
  // point; `end` (optional) receives how the log ended. kCorruption: nothing
  // is changed. Damage in older segments is found by whoever replays them.
  Status Open(WalEnd* end = nullptr);
  // Open without reading the tail again: `end` is how a WalReader::Read of
  // this directory to its end (no stop, no error) found the log, and nothing
  // has written to the log since. Everything else is as Open: a torn tail is
  // repaired, the tail and the directory are synced. A restart that has just
  // replayed the log reads its last segment once, not twice.
  Status OpenAt(const WalEnd& end);

  // Appends `record` and returns once it is durable. Thread-safe.
  // REQUIRES: record.state_seq is above every earlier record's (else kInvalidArgument).
  Status Append(const WalRecord& record);
  // Appends `records` (state_seqs ascending, above every earlier record's) as
  // one group commit and returns once all are durable. On failure none of
  // them is acknowledged (a prefix may still be read back after a crash).
  Status AppendBatch(std::span<const WalRecord> records);
  // Appends with state_seq = last + 1, returning it once durable. Thread-safe.
  Result<Seq> AppendNext(RecordType type, TimeNs time_ns, std::string_view payload);

  // Deletes, oldest first, segments whose records all have state_seq <=
  // covered_seq (a durable snapshot covers them); never the segment in use.
  Status DropSegmentsCoveredBy(Seq covered_seq);

  // True after a failed Sync: every append is refused at once, without
  // writing, until the log is reopened.
  bool poisoned() const;

  Seq last_seq() const;
  WalStats stats() const;

 private:
  // One appender waiting in the queue (LevelDB's writer queue).
  struct Waiter {
    const WalRecord* record;
    Status status;
    bool done = false;
  };
  Status Enqueue(std::span<const WalRecord> records, std::unique_lock<std::mutex>& lock);
  void LeadOneBatch(std::unique_lock<std::mutex>& lock);
  // Leader only (one at a time, without mu_): writes, rotates and syncs a batch.
  // Sets `sync_failed` when the failure was a Sync (the WAL is then poisoned).
  Status WriteBatch(const std::vector<Waiter*>& batch, bool& sync_failed);
  Status FlushAndSync(bool& sync_failed);
  Status StartSegment(Seq first_seq);
  Status RepairTornTail(const WalEnd& end);
  // Open's work once the end is known. REQUIRES: mu_ held.
  Status Adopt(const WalEnd& end);

  Fs& fs_;
  const WalOptions options_;

  mutable std::mutex mu_;
  std::condition_variable durable_cv_;
  bool open_ = false;
  bool leader_active_ = false;
  std::vector<Waiter*> pending_;
  Seq last_queued_seq_ = 0;
  Status failed_;
  WalStats stats_;

  // Owned by the leader while leader_active_.
  std::unique_ptr<File> segment_;
  uint64_t append_offset_ = 0;
  Seq last_durable_seq_ = 0;   // newest record a completed Sync covers
  Seq buffer_last_seq_ = 0;    // newest record in buffer_
  uint64_t dirty_tail_bytes_ = 0;  // bytes after append_offset_ a failed write may have left
  std::vector<std::byte> buffer_;
};

}  // namespace crashdrill::system

#include "system/levels/wal.h"

#include "system/io/broken_variant.h"
#include "system/levels/atomic_file.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace crashdrill::system {

Wal::Wal(Fs& fs, WalOptions options) : fs_(fs), options_(std::move(options)) {}
Wal::~Wal() = default;

Status Wal::Open(WalEnd* end_out) {
  std::unique_lock lock(mu_);
  CD_RETURN_IF_ERROR(MakeDurableDir(fs_, options_.dir));
  WalReader reader(fs_, options_.dir);
  WalEnd end;
  // Only the tail matters here: older segments were synced to their end
  // before the next one was created, so the reader starts at the last one.
  CD_RETURN_IF_ERROR(reader.Read(std::numeric_limits<Seq>::max(),
                                 [](const WalRecordView&) { return Status::Ok(); }, end));
  if (end_out != nullptr) *end_out = end;
  return Adopt(end);
}

Status Wal::OpenAt(const WalEnd& end) {
  std::unique_lock lock(mu_);
  CD_RETURN_IF_ERROR(MakeDurableDir(fs_, options_.dir));
  return Adopt(end);
}

Status Wal::Adopt(const WalEnd& end) {
  // kTornTailNotRepaired: appends go on after whatever the torn batch left.
  if (end.kind == WalEnd::Kind::kTornTail && !CRASHDRILL_BROKEN(kTornTailNotRepaired)) {
    CD_RETURN_IF_ERROR(RepairTornTail(end));
  }
  segment_.reset();
  if (!end.segment.empty()) {
    CD_ASSIGN_OR_RETURN(segment_, fs_.Open(end.segment, OpenOptions::ReadWrite()));
    append_offset_ = std::max<uint64_t>(end.offset, kWalSegmentHeaderBytes);
    // What was read may be only in the page cache (a process crash keeps
    // unsynced writes readable until a power loss takes them): make durable
    // the tail adopted as the log, and every segment's directory entry, before
    // anything is acknowledged after it or a new segment chains from it.
    // kWalOpenTrustsTail: the adopted tail and directory are trusted as they are.
    if (!CRASHDRILL_BROKEN(kWalOpenTrustsTail)) {
      CD_RETURN_IF_ERROR(segment_->Sync());
      CD_RETURN_IF_ERROR(fs_.SyncDir(options_.dir));
    }
  }
  last_durable_seq_ = last_queued_seq_ = end.last_seq;
  dirty_tail_bytes_ = 0;
  failed_ = Status::Ok();
  open_ = true;
  return Status::Ok();
}

// Zero-fills what a torn batch left after the append point — every byte up to
// the last non-zero one the reader saw, so no stale frame of it can follow a
// later record — a chunk at a time, then syncs.
Status Wal::RepairTornTail(const WalEnd& end) {
  CD_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs_.Open(end.segment, OpenOptions::ReadWrite()));
  if (end.offset == 0) {  // torn while being created: lay it out again
    CD_RETURN_IF_ERROR(file->Allocate(0, options_.segment_bytes));
    CD_RETURN_IF_ERROR(file->WriteAt(0, WalSegmentHeader(end.last_seq)));
  }
  constexpr uint64_t kChunkBytes = 1 << 20;
  uint64_t from = std::max<uint64_t>(end.offset, kWalSegmentHeaderBytes);
  if (from < end.dirty_end) {
    const std::vector<std::byte> zeros(std::min(kChunkBytes, end.dirty_end - from));
    for (; from < end.dirty_end; from += zeros.size()) {
      const size_t length = static_cast<size_t>(std::min<uint64_t>(zeros.size(),
                                                                   end.dirty_end - from));
      CD_RETURN_IF_ERROR(file->WriteAt(from, ByteSpan(zeros.data(), length)));
    }
  }
  CD_RETURN_IF_ERROR(file->Sync());
  return end.offset == 0 ? fs_.SyncDir(options_.dir) : Status::Ok();
}

Status Wal::Append(const WalRecord& record) {
  return AppendBatch(std::span<const WalRecord>(&record, 1));
}

Status Wal::AppendBatch(std::span<const WalRecord> records) {
  std::unique_lock lock(mu_);
  Seq previous = last_queued_seq_;
  for (const WalRecord& record : records) {
    if (record.state_seq <= previous) {
      return Status::InvalidArgument(
          "wal append", fmt::format("state_seq {} is not above {}", record.state_seq, previous));
    }
    previous = record.state_seq;
  }
  return Enqueue(records, lock);
}

Result<Seq> Wal::AppendNext(RecordType type, TimeNs time_ns, std::string_view payload) {
  std::unique_lock lock(mu_);
  const WalRecord record{type, last_queued_seq_ + 1, time_ns, std::string(payload)};
  CD_RETURN_IF_ERROR(Enqueue(std::span<const WalRecord>(&record, 1), lock));
  return record.state_seq;
}

Status Wal::Enqueue(std::span<const WalRecord> records, std::unique_lock<std::mutex>& lock) {
  if (!open_) {
    return Status::Error(StatusCode::kFailedPrecondition, "wal append", options_.dir,
                         "the WAL is not open");
  }
  if (!failed_.ok()) {
    Status refused = failed_;
    return refused.Annotate("WAL refuses appends after a failed sync until it is reopened");
  }
  if (records.empty()) return Status::Ok();
  for (const WalRecord& record : records) {
    if (record.payload.size() > kWalPayloadBytesMax ||
        kWalSegmentHeaderBytes + WalFrameBytes(record.payload.size()) > options_.segment_bytes) {
      return Status::InvalidArgument(
          "wal append", fmt::format("a {}-byte record cannot fit in a segment",
                                    record.payload.size()));
    }
  }
  last_queued_seq_ = records.back().state_seq;
  std::vector<Waiter> waiters;
  waiters.reserve(records.size());
  for (const WalRecord& record : records) waiters.push_back(Waiter{&record, Status::Ok(), false});
  for (Waiter& waiter : waiters) pending_.push_back(&waiter);
  while (!waiters.back().done) {
    if (leader_active_) {
      durable_cv_.wait(lock);
    } else {
      LeadOneBatch(lock);
    }
  }
  for (const Waiter& waiter : waiters) {
    if (!waiter.status.ok()) return waiter.status;
  }
  return Status::Ok();
}

void Wal::LeadOneBatch(std::unique_lock<std::mutex>& lock) {
  leader_active_ = true;
  std::vector<Waiter*> batch;
  batch.swap(pending_);
  Status status = failed_;
  if (status.ok()) {
    lock.unlock();
    bool sync_failed = false;
    status = WriteBatch(batch, sync_failed);
    lock.lock();
    if (sync_failed) failed_ = status;
  }
  // A record a completed Sync covers is acknowledged even when a later part
  // of its batch failed (a batch that rotated segments is synced in parts).
  for (Waiter* waiter : batch) {
    const bool durable = status.ok() || waiter->record->state_seq <= last_durable_seq_;
    waiter->status = durable ? Status::Ok() : status;
    waiter->done = true;
    if (durable) stats_.records += 1;
  }
  if (!status.ok()) {
    // The failed records' seqs are free again, so appends that were queued
    // behind them (numbered after them) fail too rather than leave a gap.
    for (Waiter* waiter : pending_) {
      waiter->status = Status(status).Annotate("queued behind a batch that failed");
      waiter->done = true;
    }
    pending_.clear();
    last_queued_seq_ = last_durable_seq_;
  }
  leader_active_ = false;
  durable_cv_.notify_all();
}

Status Wal::WriteBatch(const std::vector<Waiter*>& batch, bool& sync_failed) {
  buffer_.clear();
  Seq batch_first = batch.front()->record->state_seq;
  Status status = [&]() -> Status {
    for (const Waiter* waiter : batch) {
      const WalRecord& record = *waiter->record;
      const uint64_t frame_bytes = WalFrameBytes(record.payload.size());
      if (segment_ == nullptr ||
          append_offset_ + buffer_.size() + frame_bytes > options_.segment_bytes) {
        CD_RETURN_IF_ERROR(FlushAndSync(sync_failed));
        CD_RETURN_IF_ERROR(StartSegment(record.state_seq));
        batch_first = record.state_seq;  // a new segment starts a new sync group
      }
      AppendWalFrame(record, batch_first, buffer_);
      buffer_last_seq_ = record.state_seq;
    }
    return FlushAndSync(sync_failed);
  }();
  if (!status.ok() && !sync_failed) {
    // Nothing of the unsynced part counts; the next batch overwrites it.
    dirty_tail_bytes_ = std::max<uint64_t>(dirty_tail_bytes_, buffer_.size());
    buffer_.clear();
  }
  return status;
}

// Writes the buffered frames at the append point — extended with zeros over
// what an earlier failed write may have left there, even when nothing is
// buffered (before a rotation leaves this segment) — and syncs.
Status Wal::FlushAndSync(bool& sync_failed) {
  if (buffer_.empty() && dirty_tail_bytes_ == 0) return Status::Ok();
  const size_t frames_bytes = buffer_.size();
  if (dirty_tail_bytes_ > frames_bytes) {
    const uint64_t room = options_.segment_bytes - append_offset_;
    buffer_.resize(std::min<uint64_t>(dirty_tail_bytes_, room));
  }
  // kAckBeforeSync: the previous batch is synced first, and this one is
  // acknowledged once written (its own sync waits for the next batch).
  const bool ack_before_sync = CRASHDRILL_BROKEN(kAckBeforeSync);
  Status synced = ack_before_sync ? segment_->Sync() : Status::Ok();
  if (synced.ok()) {
    CD_RETURN_IF_ERROR(segment_->WriteAt(append_offset_, buffer_));
    if (!ack_before_sync) synced = segment_->Sync();
  }
  // kFsyncFailureRetried: a second sync "succeeds" over the pages the failed one dropped.
  if (!synced.ok() && CRASHDRILL_BROKEN(kFsyncFailureRetried)) synced = segment_->Sync();
  if (!synced.ok()) {
    sync_failed = true;
    return synced;
  }
  append_offset_ += frames_bytes;
  if (frames_bytes > 0) last_durable_seq_ = buffer_last_seq_;
  dirty_tail_bytes_ = 0;
  std::lock_guard stats_lock(mu_);
  stats_.syncs += 1;
  stats_.bytes += frames_bytes;
  buffer_.clear();
  return Status::Ok();
}

// Creates, preallocates and syncs a segment (file and directory entry) before
// any record goes into it, so its records never depend on a later metadata sync.
Status Wal::StartSegment(Seq first_seq) {
  const std::string path = JoinPath(options_.dir, WalSegmentName(first_seq));
  // A segment left by an earlier failed attempt holds no record: start it afresh.
  CD_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs_.Open(path, OpenOptions::CreateTruncate()));
  Status status = [&]() -> Status {
    CD_RETURN_IF_ERROR(file->Allocate(0, options_.segment_bytes));
    CD_RETURN_IF_ERROR(file->WriteAt(0, WalSegmentHeader(last_durable_seq_)));
    CD_RETURN_IF_ERROR(file->Sync());
    return fs_.SyncDir(options_.dir);
  }();
  if (!status.ok()) {
    file.reset();
    fs_.Unlink(path).IgnoreError();  // frees its space; the first error is what matters
    return status;
  }
  segment_ = std::move(file);
  append_offset_ = kWalSegmentHeaderBytes;
  std::lock_guard stats_lock(mu_);
  stats_.segments_created += 1;
  return Status::Ok();
}

Status Wal::DropSegmentsCoveredBy(Seq covered_seq) {
  WalReader reader(fs_, options_.dir);
  CD_ASSIGN_OR_RETURN(std::vector<WalSegment> segments, reader.Segments());
  // Segment i holds state_seqs below segments[i + 1].first_seq; the last one is in use.
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    if (segments[i + 1].first_seq - 1 > covered_seq) break;
    CD_RETURN_IF_ERROR(fs_.Unlink(segments[i].path));
    // One directory sync per unlink keeps the survivors a suffix of the log at any crash.
    CD_RETURN_IF_ERROR(fs_.SyncDir(options_.dir));
  }
  return Status::Ok();
}

bool Wal::poisoned() const {
  std::lock_guard lock(mu_);
  return !failed_.ok();
}

Seq Wal::last_seq() const {
  std::lock_guard lock(mu_);
  return last_queued_seq_;
}

WalStats Wal::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace crashdrill::system

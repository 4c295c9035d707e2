#include "system/levels/checkpointer.h"

#include <fmt/format.h>

#include "system/io/broken_variant.h"
#include "system/io/check.h"
#include "system/levels/atomic_file.h"
#include "system/state/state_undo.h"

namespace crashdrill::system {

std::string_view CheckpointTypeName(CheckpointType type) {
  switch (type) {
    case CheckpointType::kAutomatic:
      return "automatic";
    case CheckpointType::kManual:
      return "manual";
    case CheckpointType::kEmergency:
      return "emergency";
    case CheckpointType::kPreUpgrade:
      return "pre_upgrade";
    case CheckpointType::kDaily:
      return "daily";
  }
  return "invalid";
}

MultiLevelCheckpointer::MultiLevelCheckpointer(Fs& fs, Clock& clock, CheckpointerOptions options,
                                               ArchiveSink* archive)
    : fs_(fs), clock_(clock), options_(std::move(options)), archive_(archive) {}

std::string MultiLevelCheckpointer::L2Dir(CheckpointType type) const {
  return JoinPath(JoinPath(options_.state_dir, "l2"), CheckpointTypeName(type));
}

Status MultiLevelCheckpointer::Open(EngineState initial, const WalEnd* wal_end) {
  // Commit validates only what each update touches, so it must start from a
  // valid state. (Not its timestamp: every commit checks that, as before.)
  ValidationOptions invariants = options_.validation;
  invariants.now_wall_ns.reset();
  CD_RETURN_IF_ERROR(Validate(initial, invariants, "initial state"));
  const std::string& dir = options_.state_dir;
  CD_RETURN_IF_ERROR(MakeDurableDir(fs_, dir));
  CD_RETURN_IF_ERROR(MakeDurableDir(fs_, JoinPath(dir, "l2")));
  l1_ = std::make_unique<MmapCheckpoint>(
      fs_, MmapCheckpointOptions{JoinPath(dir, "l1"), options_.l1_slot_bytes,
                                 options_.l1_sync_each_write, options_.l1_verify_every});
  CD_RETURN_IF_ERROR(l1_->Open());
  // Every L2 type directory, then one sync of their parent for all of them
  // (a restart pays one directory sync here, not one per type).
  for (size_t i = 0; i < kCheckpointTypeCount; ++i) {
    CD_RETURN_IF_ERROR(fs_.MakeDir(L2Dir(static_cast<CheckpointType>(i))));
  }
  CD_RETURN_IF_ERROR(fs_.SyncDir(JoinPath(dir, "l2")));
  for (size_t i = 0; i < kCheckpointTypeCount; ++i) {
    l2_[i] = std::make_unique<DurableFile>(
        fs_, DurableFileOptions{.dir = L2Dir(static_cast<CheckpointType>(i)),
                                .versions_kept = options_.versions_kept[i],
                                .dir_durable = true,
                                .schema_version = options_.schema_version});
    CD_RETURN_IF_ERROR(l2_[i]->Open());
  }
  snapshots_ = std::make_unique<SnapshotStore>(
      fs_, SnapshotStoreOptions{.dir = JoinPath(dir, "snapshots"),
                                .snapshots_kept = options_.snapshots_kept,
                                .schema_version = options_.schema_version});
  CD_RETURN_IF_ERROR(snapshots_->Open());
  wal_ = std::make_unique<Wal>(fs_, WalOptions{JoinPath(dir, "wal"), options_.wal_segment_bytes});
  CD_RETURN_IF_ERROR(wal_end != nullptr ? wal_->OpenAt(*wal_end) : wal_->Open());
  if (wal_->last_seq() > initial.state_seq()) {
    return Status::Error(StatusCode::kFailedPrecondition, "open", dir,
                         fmt::format("the WAL reaches state_seq {} but the initial state is at {}: "
                                     "recover before opening",
                                     wal_->last_seq(), initial.state_seq()));
  }
  state_ = std::move(initial);
  l1_changes_ = {};  // the first L1 write encodes the whole state
  const int64_t now = clock_.Mono();
  next_l1_ns_ = now + options_.l1_period_ns;
  next_l2_ns_ = now + options_.l2_period_ns;
  next_snapshot_ns_ = now + options_.snapshot_period_ns;
  next_archive_ns_ = now + options_.archive_period_ns;
  return Status::Ok();
}

Status MultiLevelCheckpointer::Commit(const StateUpdate& update) {
  // The sequence rule (state_update.h): only a critical update takes a state_seq.
  const bool critical = IsCritical(update);
  const Seq seq = critical ? state_.state_seq() + 1 : state_.state_seq();
  const TimeNs time_ns = clock_.Wall();
  // In place, O(what the update touches): a refused apply changes nothing, and
  // a failure after it (validation, the WAL) is undone from `undo`.
  const StateUndo undo = StateUndo::Before(state_, update);
  TradingChanges changes;
  Status status = ApplyStateUpdate(state_, update, seq, time_ns, &changes);
  if (status.ok()) {
    CD_CHECK(undo.Covers(changes), "the undo record misses an entry the update changed");
    // The live state was valid before, so the touched entries are all that can break.
    status = ValidateChanges(state_.trading, changes, options_.validation, "update");
    if (status.ok() && critical) {
      // A poisoned log refuses without writing: nothing is about to be logged
      // (the record of the failed sync may still be readable at this seq).
      if (before_log_ && !wal_->poisoned()) before_log_(seq, update);
      status = wal_->Append({TypeOf(update), seq, time_ns, EncodeStateUpdate(update)});
    }
    if (!status.ok()) undo.Restore(state_);
  }
  if (!status.ok()) {
    ++stats_.commits_refused;
    return status.Annotate(
        fmt::format("{} at state_seq {} not committed", RecordTypeName(TypeOf(update)), seq));
  }
  l1_changes_.Merge(changes);
  ++stats_.commits;
  return Status::Ok();
}

Status MultiLevelCheckpointer::Record(LevelStats& level, Status status) {
  if (status.ok()) {
    ++level.writes;
  } else {
    ++level.failures;
    level.last_error = status;
  }
  return status;
}

Status MultiLevelCheckpointer::WriteSnapshot() {
  // kTruncateWalBeforeSnapshotDurable: the log the new snapshot covers goes before it is written.
  if (CRASHDRILL_BROKEN(kTruncateWalBeforeSnapshotDurable)) {
    CD_RETURN_IF_ERROR(wal_->DropSegmentsCoveredBy(state_.state_seq()));
  }
  CD_RETURN_IF_ERROR(snapshots_->Write(state_));
  // Truncate only what the OLDEST retained snapshot covers (snapshot_store.h).
  CD_ASSIGN_OR_RETURN(std::vector<SnapshotFile> retained, snapshots_->List());
  // kWalTruncatedToNewestSnapshot: an older snapshot can no longer be replayed forward.
  if (CRASHDRILL_BROKEN(kWalTruncatedToNewestSnapshot)) {
    return wal_->DropSegmentsCoveredBy(retained.back().state_seq);
  }
  return wal_->DropSegmentsCoveredBy(retained.front().state_seq);
}

Status MultiLevelCheckpointer::Tick() {
  const int64_t now = clock_.Mono();
  Status first;
  const auto keep_first = [&first](Status status) {
    if (first.ok() && !status.ok()) first = std::move(status);
  };
  // Each due level runs once, then is next due a full period from now: a
  // stalled engine catches up with one write, not a burst.
  if (now >= next_l1_ns_) {
    // The image absorbs the changes whether or not the slot write succeeds.
    keep_first(Record(stats_.l1, l1_->Write(state_.trading, l1_changes_)));
    l1_changes_ = {};
    next_l1_ns_ = now + options_.l1_period_ns;
  }
  if (now >= next_l2_ns_) {
    keep_first(Record(stats_.l2, Checkpoint(CheckpointType::kAutomatic)));
    next_l2_ns_ = now + options_.l2_period_ns;
  }
  if (now >= next_snapshot_ns_) {
    keep_first(Record(stats_.snapshot, WriteSnapshot()));
    next_snapshot_ns_ = now + options_.snapshot_period_ns;
  }
  if (archive_ != nullptr && now >= next_archive_ns_) {
    keep_first(Record(stats_.archive, archive_->Archive(state_)));
    next_archive_ns_ = now + options_.archive_period_ns;
  }
  return first;
}

Status MultiLevelCheckpointer::Checkpoint(CheckpointType type) {
  return l2_[static_cast<size_t>(type)]->Write(state_).status();
}

}  // namespace crashdrill::system

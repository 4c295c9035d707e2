// MultiLevelCheckpointer: owns the live EngineState and keeps every level up
// to date. Critical updates go through the WAL before they are committed
// (RPO 0); L1, L2, snapshots and the archive hook run on their periods,
// measured on Clock::Mono() so wall-clock steps never skip or repeat one.
//
// Contract of Commit(): the update is applied, validated, made durable if it
// is critical, and only then acknowledged. Any failure leaves the live state
// exactly as it was and says why; the caller must not act on an update whose
// Commit failed. The update is applied in place and only the entries it
// touched are validated (with the scalar invariants), so a commit costs what
// the update touches, not the size of the state; a failure after the apply
// (validation, the WAL append, e.g. a full disk) is undone from a StateUndo
// record. Not thread-safe: state() must not be read during a Commit.
//
// Sequence rule (state_update.h): a critical update takes the next state_seq
// and is WAL record state_seq, so the WAL holds every state_seq from the
// oldest segment on, without gaps. A strategy update takes none and is not
// logged: it is durable only once a later L2 checkpoint, snapshot or archive
// copy holds it (RPO <= the L2 period). L1 holds the trading state only. Two
// copies with the same state_seq agree on critical state; the one written
// later (the higher L2 version, a snapshot file rewritten in place) holds the
// newer strategy state.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "system/io/clock.h"
#include "system/io/fs.h"
#include "system/levels/durable_file.h"
#include "system/levels/mmap_checkpoint.h"
#include "system/levels/snapshot_store.h"
#include "system/levels/wal.h"
#include "system/state/state_update.h"
#include "system/state/validation.h"

namespace crashdrill::system {

// The seed's checkpoint types. Each keeps its own L2 versions under
// <state_dir>/l2/<type>/ with its own retention.
enum class CheckpointType : uint8_t { kAutomatic, kManual, kEmergency, kPreUpgrade, kDaily };
inline constexpr size_t kCheckpointTypeCount = 5;

// A backup restore writes this file into the state directory before any
// other and removes it after the last: a directory that holds it was cut
// short mid-restore (some levels restored, others not), and recovery refuses
// it rather than recover an older state from what happened to land.
inline constexpr std::string_view kRestoreInProgressFile = "RESTORE-IN-PROGRESS";
std::string_view CheckpointTypeName(CheckpointType type);

// Where the L4 archive plugs in; the checkpointer calls it on its period.
class ArchiveSink {
 public:
  virtual ~ArchiveSink() = default;
  virtual Status Archive(const EngineState& state) = 0;
};

struct CheckpointerOptions {
  std::string state_dir;
  int64_t l1_period_ns = 100 * kNanosPerMilli;
  int64_t l2_period_ns = 1 * kNanosPerSecond;
  int64_t snapshot_period_ns = 5 * 60 * kNanosPerSecond;
  int64_t archive_period_ns = 60 * 60 * kNanosPerSecond;
  size_t l1_slot_bytes = 4 << 20;
  bool l1_sync_each_write = false;
  uint32_t l1_verify_every = 128;  // MmapCheckpointOptions::verify_every
  uint64_t wal_segment_bytes = 64ull << 20;
  size_t snapshots_kept = 2;
  // L2 versions kept per checkpoint type, indexed by CheckpointType.
  std::array<size_t, kCheckpointTypeCount> versions_kept = {3, 10, 5, 3, 7};
  ValidationOptions validation;
  // The schema version of the whole-state documents (L2, snapshots). L1's
  // slot image has a format version of its own.
  uint16_t schema_version = kSchemaVersionCurrent;
};

struct LevelStats {
  uint64_t writes = 0;
  uint64_t failures = 0;
  Status last_error;
};

struct CheckpointerStats {
  uint64_t commits = 0;
  uint64_t commits_refused = 0;  // apply, validation or WAL failure
  LevelStats l1, l2, snapshot, archive;
};

class MultiLevelCheckpointer {
 public:
  // `archive` may be null (no archive configured). Nothing is owned.
  MultiLevelCheckpointer(Fs& fs, Clock& clock, CheckpointerOptions options,
                         ArchiveSink* archive = nullptr);

  // Opens every level and makes `initial` (e.g. the recovered state) live.
  // Periods start counting now. An `initial` state that breaks an invariant of
  // validation.h (its timestamp aside) is refused with kCorruption naming it.
  // `wal_end`: where a replay that just read the WAL to its end found it
  // (Wal::OpenAt); null reads the log's tail again.
  Status Open(EngineState initial, const WalEnd* wal_end = nullptr);

  // The seed's atomic state update (see the contract above).
  Status Commit(const StateUpdate& update);

  // Replaces the market data (recoverable state, DESIGN §3): it is in no
  // update and never logged, reaches disk only inside whole-state copies as a
  // warm start, and is rebuilt from the venue after recovery.
  void SetMarketData(MarketDataState market_data) { state_.market_data = std::move(market_data); }

  // Runs every periodic checkpoint that is due; returns the first failure
  // after trying all of them (one failing level never stops the others).
  Status Tick();

  // An L2 checkpoint of the given type now (kAutomatic is what Tick writes).
  Status Checkpoint(CheckpointType type);

  // Told of each critical update right before its WAL append writes it
  // (applied and validated, not yet durable): a harness's reference model
  // learns what a crash may have made durable without an acknowledgement.
  // Not told while the WAL is poisoned (it refuses without writing).
  using BeforeLog = std::function<void(Seq, const StateUpdate&)>;
  void SetBeforeLog(BeforeLog before_log) { before_log_ = std::move(before_log); }

  const EngineState& state() const { return state_; }
  const CheckpointerStats& stats() const { return stats_; }
  // True after a failed WAL sync: the log refuses every append until it is
  // reopened, so no critical update can be acknowledged any more. An engine
  // must then stop and be recovered (a restart reopens the log), not go on
  // halted with no record of why.
  bool NeedsReopen() const { return wal_ && wal_->poisoned(); }
  std::string L2Dir(CheckpointType type) const;

 private:
  Status Record(LevelStats& level, Status status);
  Status WriteSnapshot();

  Fs& fs_;
  Clock& clock_;
  CheckpointerOptions options_;
  ArchiveSink* archive_;
  EngineState state_;
  std::unique_ptr<MmapCheckpoint> l1_;
  std::array<std::unique_ptr<DurableFile>, kCheckpointTypeCount> l2_;
  std::unique_ptr<SnapshotStore> snapshots_;
  std::unique_ptr<Wal> wal_;
  TradingChanges l1_changes_;  // committed since the last L1 write
  int64_t next_l1_ns_ = 0, next_l2_ns_ = 0, next_snapshot_ns_ = 0, next_archive_ns_ = 0;
  CheckpointerStats stats_;
  BeforeLog before_log_;
};

}  // namespace crashdrill::system

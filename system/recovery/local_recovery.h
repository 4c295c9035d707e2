// Local recovery (DESIGN §5 steps 1-4 and 6-7): discover every copy of the
// state on every level of a state directory, validate each, choose the valid
// copy with the highest state_seq (never the first level that validates, never
// by wall time), replay the WAL records after it, and say what it did.
//
// Reading is read-only: nothing is created, repaired, moved or deleted.
// PrepareForAppend() is the one step that changes the directory: when replay
// stopped at damage before the log's end (corruption, a gap in state_seq, a
// record that does not apply), the recovered state is written as an emergency
// L2 version and then every segment is moved into <state_dir>/quarantine/ —
// kept for inspection, never deleted — so the log restarts right after the
// recovered state. A torn tail is left to
// Wal::Open, which repairs it. Recovery converges: running it again after a
// crash anywhere in it (including in PrepareForAppend, whose renames go last
// segment first) chooses the same base and reaches the same state.
//
// L1 holds the trading state only. When an L1 slot is the base at state_seq N,
// configuration and strategy state come from the newest valid whole-state copy
// at or below N (seq M), with the configuration changes logged in (M, N]
// applied from the WAL; when those records cannot be read the report says the
// configuration may lag. Market data is recoverable state: it is taken from the
// whole-state copy as a warm start and rebuilt from the venue afterwards.
#pragma once

#include <optional>
#include <string>

#include "system/io/clock.h"
#include "system/io/fs.h"
#include "system/recovery/copy_source.h"
#include "system/recovery/recovery_report.h"
#include "system/state/engine_state.h"
#include "system/state/validation.h"

namespace crashdrill::system {

struct LocalRecoveryOptions {
  std::string state_dir;
  size_t l1_slot_bytes = 4 << 20;  // CheckpointerOptions::l1_slot_bytes
  // Invariants every copy must satisfy. Timestamps are not checked: the wall
  // clock may have jumped either way, and it never decides the base (P6).
  ValidationOptions validation;
  // inspect: decode and validate every copy. recover: within one L2 type and
  // among snapshots stop at the newest valid copy (an older one of the same
  // sequence of writes cannot have a higher state_seq); the others are listed
  // as not examined.
  bool examine_every_copy = false;
  // Copies outside the state directory (L4 archive, backups), not owned. In
  // recover mode a copy that claims a state_seq no higher than the best valid
  // local copy is listed but not read (it could not be chosen).
  std::vector<CopySource*> copy_sources;
};

struct LocalRecovery {
  EngineState state;  // valid; state_seq() == report.recovered_seq
  RecoveryReport report;
  bool found_nothing = true;  // no copy and no WAL record at all: a new directory
  // The replay read the WAL to its end with no stop and no error:
  // report.wal_end is where the log ends, and the checkpointer can open the
  // WAL there without reading its tail again (Wal::OpenAt), as long as
  // nothing changed the log since (PrepareForAppend changes it only after a stop).
  bool wal_read_to_end = false;
};

// The state directory's level paths (as the checkpointer lays them out).
std::string L1Path(const std::string& state_dir);
std::string L2TypeDir(const std::string& state_dir, std::string_view type_name);
std::string SnapshotDir(const std::string& state_dir);
std::string WalDir(const std::string& state_dir);
std::string QuarantineDir(const std::string& state_dir);

// Steps 1-4. Fails only when the directory itself cannot be read; a level that
// is unreadable is skipped and listed in report.unreadable.
Result<LocalRecovery> RecoverLocal(Fs& fs, Clock& clock, const LocalRecoveryOptions& options);

// Makes the WAL appendable after `recovery` (see above): when replay stopped
// at damage, first writes the recovered state as an emergency L2 version,
// then moves the segments that may hold records above it into quarantine.
// Appends to recovery.report.notes what it did. OK when nothing needed doing.
Status PrepareForAppend(Fs& fs, LocalRecovery& recovery, size_t emergency_versions_kept);

}  // namespace crashdrill::system

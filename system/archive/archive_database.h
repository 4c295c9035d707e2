// ArchiveDatabase: what every L4 archive database (SQLite, PostgreSQL) does the
// same way, written once: reading a copy (checksum, decoding with migrations,
// the invariants of validation.h, the rows against the document), finding the
// newest valid copy, and retention. A backend supplies the storage: its rows,
// its transactions, where it lives.
//
// Contract for every backend: a copy is returned by Read() only after all of
// those checks pass; a bad copy is an error naming it, never loaded.
// Retention never deletes the newest valid copy. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "system/io/clock.h"
#include "system/levels/checkpointer.h"
#include "system/state/engine_state.h"
#include "system/state/validation.h"

namespace crashdrill::system {

// One row of List().
struct ArchivedCopyInfo {
  int64_t id = 0;
  Seq state_seq = 0;
  std::string created_at_utc;  // the copy's wall-time label, ISO-8601 UTC
  int64_t created_at_ns = 0;   // the same label in ns since the epoch
  uint64_t checksum = 0;       // XXH3-64 of the document
  uint64_t document_bytes = 0;
  int64_t state_schema_version = 0;
};

struct ArchivedState {
  int64_t id = 0;
  EngineState state;
  // Newer copies that failed to read or validate, each naming its copy.
  std::vector<Status> skipped;
};

// One row of archive_log: one per Archive() attempt.
struct ArchiveLogEntry {
  int64_t id = 0;
  std::string attempted_at_utc;
  int64_t attempted_at_ns = 0;
  Seq state_seq = 0;
  bool ok = false;      // outcome 'ok' or 'failed'
  int64_t copy_id = 0;  // 0 for a failed attempt
  std::string error;    // empty when ok
  std::string notes;
};

// Keep the newest copy of each hour for `hourly_for_ns`, of each UTC day for
// `daily_for_ns`, nothing older; ages are by the copies' wall-time labels
// against Clock::Wall(). Copies labelled in the future (a wall clock that
// stepped back) are kept. The newest valid copy is always kept.
struct RetentionPolicy {
  int64_t hourly_for_ns = 7 * 24 * 3600 * kNanosPerSecond;
  int64_t daily_for_ns = 90 * 24 * 3600 * kNanosPerSecond;
};

struct ArchivePruneResult {
  int64_t newest_valid_id = 0;  // 0: no valid copy, and nothing was deleted
  std::vector<int64_t> deleted_ids;
};

// A copy's row as stored, before any check.
struct StoredCopy {
  std::vector<std::byte> document;
  uint64_t checksum = 0;  // what the row says
  int64_t state_seq = 0;  // what the row says
};

class ArchiveDatabase : public ArchiveSink {
 public:
  // `clock` must outlive the archive; `validation` is what Read() checks a
  // decoded copy against.
  ArchiveDatabase(Clock& clock, ValidationOptions validation)
      : clock_(clock), validation_(validation) {}

  // Creates or connects to the database and applies the migrations it
  // lacks; a database of a newer schema than this build's is refused.
  virtual Status Open() = 0;
  // Every copy, newest first (by state_seq, then by id: of two copies of the
  // same state_seq the later holds the newer strategy state).
  virtual Result<std::vector<ArchivedCopyInfo>> List() = 0;
  // The rows an operator queries, for copy `id` (positions by symbol,
  // balances by venue then currency), and the attempt log, oldest first.
  virtual Result<std::vector<Position>> Positions(int64_t id) = 0;
  virtual Result<std::vector<Balance>> Balances(int64_t id) = 0;
  virtual Result<std::vector<ArchiveLogEntry>> Log() = 0;
  // Where the archive lives, for error messages and recovery reports: a file
  // path, or a server's host:port/dbname. Never a password.
  virtual std::string Describe() const = 0;

  // Reads, checks and validates copy `id`; every error names the copy.
  Result<EngineState> Read(int64_t id);
  // The newest copy that reads and validates; kNotFound when there is none.
  Result<ArchivedState> NewestValid();
  // Applies `policy` in one transaction; see RetentionPolicy.
  Result<ArchivePruneResult> Prune(const RetentionPolicy& policy);

  // "2026-11-28T09:53:22.000000001Z".
  static std::string UtcLabel(int64_t wall_ns);

 protected:
  // Copy `id`'s row; kNotFound when there is no such copy.
  virtual Result<StoredCopy> ReadStoredCopy(int64_t id) = 0;
  // Deletes the copies and their rows in one transaction.
  virtual Status DeleteCopies(const std::vector<int64_t>& ids) = 0;

  Clock& clock() { return clock_; }

 private:
  Status CheckRows(int64_t id, const EngineState& state, const std::string& source);

  Clock& clock_;
  ValidationOptions validation_;
};

// Checksums are unsigned 64-bit; SQL BIGINT is signed: the same bits.
inline int64_t ChecksumToSql(uint64_t value) { return static_cast<int64_t>(value); }
inline uint64_t ChecksumFromSql(int64_t value) { return static_cast<uint64_t>(value); }

// The indexes into ArchiveMigrations() that take a database at schema
// `version` to `version_max`, in order. A database newer than this build is
// refused (kFailedPrecondition naming `where`): it is neither read nor written.
Result<std::vector<size_t>> PendingMigrations(int64_t version, int64_t version_max,
                                              const std::string& where);

// What an 'ok' log row's notes say about the copy.
std::string ArchiveNotes(const EngineState& state, size_t document_bytes,
                         uint16_t state_schema_version);

}  // namespace crashdrill::system

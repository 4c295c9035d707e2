// SqliteArchive: L4, the long-term queryable archive of whole engine states in
// one SQLite database, written through SqliteVfs on the caller's Fs (SimDisk
// in tests, PosixFs in production). Each archived copy is the state codec's
// document (as L2 writes it) plus its positions and balances as rows an
// operator can query, and one archive_log row per attempt.
//
// Durability contract: WAL mode, synchronous=FULL, EXCLUSIVE locking. After
// Archive() returns OK the copy, its rows and its 'ok' log row survive a power
// loss; a crash at any point leaves every earlier copy intact and no part of
// the interrupted one visible (one transaction). A copy is returned by Read()
// only after its XXH3 checksum, decoding (with migrations) and the invariants
// of validation.h pass; a bad copy is an error naming it, never loaded.
// Retention never deletes the newest valid copy. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "system/archive/sqlite_db.h"
#include "system/archive/sqlite_vfs.h"
#include "system/io/clock.h"
#include "system/io/fs.h"
#include "system/levels/checkpointer.h"
#include "system/state/codec.h"
#include "system/state/engine_state.h"
#include "system/state/validation.h"

namespace crashdrill::system {

struct SqliteArchiveOptions {
  // The database file. Open() creates its directory (whose parent must exist)
  // and makes the directory entry durable.
  std::string path;
  // The schema version the state documents are encoded in.
  uint16_t state_schema_version = kSchemaVersionCurrent;
  // Open() migrates the database only up to this version: to produce an
  // archive of an older schema in tests. REQUIRES 1 <= it <= kArchiveSchemaCurrent.
  int64_t archive_schema_max = 0;  // 0: kArchiveSchemaCurrent
  ValidationOptions validation;    // what Read() checks a decoded copy against
  // WAL pages after which a commit checkpoints into the database file and the
  // next one restarts the WAL from its start (SQLite's default is 1000; tests
  // use a few pages so their crash sweeps cover checkpoints and restarts).
  int64_t wal_autocheckpoint_pages = 1000;
};

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

struct PruneResult {
  int64_t newest_valid_id = 0;  // 0: no valid copy, and nothing was deleted
  std::vector<int64_t> deleted_ids;
};

class SqliteArchive final : public ArchiveSink {
 public:
  // Nothing is owned; `fs` and `clock` must outlive the archive.
  SqliteArchive(Fs& fs, Clock& clock, SqliteArchiveOptions options);
  ~SqliteArchive() override;

  // Creates the database or opens it, and applies the migrations it lacks,
  // each in one transaction. A database of a newer schema than this build's
  // is refused (kFailedPrecondition naming the file), and so is one that is
  // not a SQLite database (kCorruption).
  Status Open();

  // Archives `state` as a new copy: copy, positions, balances and an 'ok'
  // log row in one transaction. On failure, writes a 'failed' log row if
  // the database takes it, and returns the error naming the archive and the
  // step. After a failure the connection is reopened (recovering from the WAL
  // as after a crash), so a later attempt starts from what is durable.
  // Opens the archive first if Open() was not called or a reopen failed.
  Status Archive(const EngineState& state) override;

  // Every copy, newest first (by state_seq, then by id: of two copies of the
  // same state_seq the later holds the newer strategy state).
  Result<std::vector<ArchivedCopyInfo>> List();
  // Reads, checks and validates copy `id`; every error names the copy.
  Result<EngineState> Read(int64_t id);
  // The rows an operator queries, for copy `id` (positions by symbol,
  // balances by venue then currency), and the attempt log, oldest first.
  Result<std::vector<Position>> Positions(int64_t id);
  Result<std::vector<Balance>> Balances(int64_t id);
  Result<std::vector<ArchiveLogEntry>> Log();
  // The newest copy that reads and validates; kNotFound when there is none.
  Result<ArchivedState> NewestValid();
  // Applies `policy` in one transaction; see RetentionPolicy.
  Result<PruneResult> Prune(const RetentionPolicy& policy);

  // Drops the connection as a crash does: no checkpoint on close, nothing
  // more written. The next call opens the database again.
  void Abandon() { CloseAfterFailure(); }

  // The database's schema version after Open().
  int64_t schema_version() const { return schema_version_; }
  const std::string& path() const { return options_.path; }

  // "2026-11-28T09:53:22.000000001Z".
  static std::string UtcLabel(int64_t wall_ns);

 private:
  Status OpenDatabase();
  Status Migrate();
  Status ApplyMigration(size_t index);
  Result<int64_t> ArchiveInTransaction(const EngineState& state, int64_t now_ns);
  Status InsertRows(int64_t copy_id, const EngineState& state);
  void RecordFailure(const EngineState& state, int64_t now_ns, const Status& error);
  Status CheckRows(int64_t id, const EngineState& state, const std::string& source);
  Status DeleteCopies(const std::vector<int64_t>& ids);
  void CloseAfterFailure();
  Status Rollback();

  Fs& fs_;
  Clock& clock_;
  SqliteArchiveOptions options_;
  SqliteVfs vfs_;
  std::unique_ptr<SqliteDb> db_;
  int64_t schema_version_ = 0;
};

}  // namespace crashdrill::system

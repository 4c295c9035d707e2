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

#include "system/archive/archive_database.h"
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

class SqliteArchive final : public ArchiveDatabase {
 public:
  // Nothing is owned; `fs` and `clock` must outlive the archive.
  SqliteArchive(Fs& fs, Clock& clock, SqliteArchiveOptions options);
  ~SqliteArchive() override;

  // Creates the database or opens it, and applies the migrations it lacks,
  // each in one transaction. A database of a newer schema than this build's
  // is refused (kFailedPrecondition naming the file), and so is one that is
  // not a SQLite database (kCorruption).
  Status Open() override;

  // Archives `state` as a new copy: copy, positions, balances and an 'ok'
  // log row in one transaction. On failure, writes a 'failed' log row if
  // the database takes it, and returns the error naming the archive and the
  // step. After a failure the connection is reopened (recovering from the WAL
  // as after a crash), so a later attempt starts from what is durable.
  // Opens the archive first if Open() was not called or a reopen failed.
  Status Archive(const EngineState& state) override;

  Result<std::vector<ArchivedCopyInfo>> List() override;
  Result<std::vector<Position>> Positions(int64_t id) override;
  Result<std::vector<Balance>> Balances(int64_t id) override;
  Result<std::vector<ArchiveLogEntry>> Log() override;
  // The database file's path.
  std::string Describe() const override { return options_.path; }

  // Drops the connection as a crash does: no checkpoint on close, nothing
  // more written. The next call opens the database again.
  void Abandon() { CloseAfterFailure(); }

  // The database's schema version after Open().
  int64_t schema_version() const { return schema_version_; }
  const std::string& path() const { return options_.path; }

 protected:
  Result<StoredCopy> ReadStoredCopy(int64_t id) override;
  Status DeleteCopies(const std::vector<int64_t>& ids) override;

 private:
  Status OpenDatabase();
  Status Migrate();
  Status ApplyMigration(size_t index);
  Result<int64_t> ArchiveInTransaction(const EngineState& state, int64_t now_ns);
  Status InsertRows(int64_t copy_id, const EngineState& state);
  void RecordFailure(const EngineState& state, int64_t now_ns, const Status& error);
  void CloseAfterFailure();
  Status Rollback();

  Fs& fs_;
  SqliteArchiveOptions options_;
  SqliteVfs vfs_;
  std::unique_ptr<SqliteDb> db_;
  int64_t schema_version_ = 0;
};

}  // namespace crashdrill::system

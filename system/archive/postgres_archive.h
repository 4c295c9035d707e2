// PostgresArchive: L4 on a PostgreSQL server (libpq), the same archive as
// SqliteArchive: the same schema and migrations (BYTEA for BLOB), the same
// statements, the same checks on read, through ArchiveDatabase.
//
// Durability contract: each copy, its positions and balances and its 'ok' log
// row are one transaction, committed with synchronous_commit=on; after
// Archive() returns OK they survive a crash of the server (given the server
// runs with fsync=on). A failure at any point (server down, connection
// refused or lost, disk full, statement timeout) leaves no part of the copy
// visible, is returned naming the server (host:port/dbname, never the
// password) and the step, and never blocks longer than the connect and
// statement timeouts. A copy is returned by Read() only after its checksum,
// decoding (with migrations), the invariants of validation.h and its rows
// check; retention never deletes the newest valid copy. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "system/archive/archive_database.h"
#include "system/archive/pg_connection.h"
#include "system/io/clock.h"
#include "system/state/codec.h"
#include "system/state/validation.h"

namespace crashdrill::system {

struct PostgresArchiveOptions {
  // Where the server is, how long to wait for it (see PgConnectOptions). The
  // tables live in the connection's search_path (e.g. options='-c
  // search_path=archive' in the connection string).
  PgConnectOptions connection;
  // The schema version the state documents are encoded in.
  uint16_t state_schema_version = kSchemaVersionCurrent;
  // Open() migrates the database only up to this version: to produce an
  // archive of an older schema in tests. REQUIRES 1 <= it <= kArchiveSchemaCurrent.
  int64_t archive_schema_max = 0;  // 0: kArchiveSchemaCurrent
  ValidationOptions validation;    // what Read() checks a decoded copy against
};

class PostgresArchive final : public ArchiveDatabase {
 public:
  // Nothing is owned; `clock` must outlive the archive.
  PostgresArchive(Clock& clock, PostgresArchiveOptions options);
  ~PostgresArchive() override;

  // Connects and applies the migrations the database lacks, each in one
  // transaction. A database of a newer schema than this build's is refused
  // (kFailedPrecondition naming the server); a server that cannot be reached
  // is kUnavailable naming it.
  Status Open() override;

  // Archives `state` as a new copy: copy, positions, balances and an 'ok' log
  // row in one transaction. On failure, rolls back, writes a 'failed' log row
  // if the server still takes it, and returns the error naming the server
  // and the step. A lost connection is dropped, and the next call connects
  // again (Open() first if it was never called or failed); the failed rows
  // the server could not take then are written when it is back (the newest
  // kPendingFailuresMax of them).
  Status Archive(const EngineState& state) override;

  Result<std::vector<ArchivedCopyInfo>> List() override;
  Result<std::vector<Position>> Positions(int64_t id) override;
  Result<std::vector<Balance>> Balances(int64_t id) override;
  Result<std::vector<ArchiveLogEntry>> Log() override;
  // "postgresql://host:port/dbname".
  std::string Describe() const override { return target_; }

  // The database's schema version after Open().
  int64_t schema_version() const { return schema_version_; }

  static constexpr size_t kPendingFailuresMax = 64;

 protected:
  Result<StoredCopy> ReadStoredCopy(int64_t id) override;
  Status DeleteCopies(const std::vector<int64_t>& ids) override;

 private:
  // A failed attempt's log row, kept until the server takes it.
  struct FailedAttempt {
    int64_t attempted_at_ns = 0;
    Seq state_seq = 0;
    std::string error;
  };

  Status Connected();
  Status Migrate();
  Status ApplyMigration(size_t index);
  Result<int64_t> ArchiveInTransaction(const EngineState& state, int64_t now_ns);
  Status InsertRows(int64_t copy_id, const EngineState& state);
  // Runs `body` in one transaction; rolls back (or drops a lost connection)
  // on failure and returns the first error.
  template <typename Body>
  auto InTransaction(std::string_view step, Body body) -> decltype(body());
  // Logs `attempt` if the server takes it, else keeps it; drops the connection.
  void RecordFailure(FailedAttempt attempt);
  // Writes the failed attempts kept so far, in one transaction.
  Status LogPendingFailures();

  PostgresArchiveOptions options_;
  std::string target_;
  std::unique_ptr<PgConnection> db_;
  int64_t schema_version_ = 0;
  std::vector<FailedAttempt> pending_failures_;
};

}  // namespace crashdrill::system

#include "system/archive/sqlite_archive.h"

#include <fmt/format.h>

#include <utility>

#include "system/archive/archive_schema.h"
#include "system/io/check.h"
#include "system/levels/atomic_file.h"

namespace crashdrill::system {
namespace {

// The pragmas every connection runs with, in this order: EXCLUSIVE locking
// before WAL, so the wal-index lives in heap memory and the VFS needs no
// shared memory; FULL, so a commit is synced before it is acknowledged;
// temporary files in memory, never on the archive's Fs.
constexpr std::string_view kPragmas[] = {
    "PRAGMA locking_mode=EXCLUSIVE",
    "PRAGMA synchronous=FULL",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA cell_size_check=ON",
};

}  // namespace

SqliteArchive::SqliteArchive(Fs& fs, Clock& clock, SqliteArchiveOptions options)
    : ArchiveDatabase(clock, options.validation), fs_(fs), options_(std::move(options)), vfs_(fs) {
  if (options_.archive_schema_max == 0) options_.archive_schema_max = kArchiveSchemaCurrent;
  CD_CHECK(options_.archive_schema_max >= 1 && options_.archive_schema_max <= kArchiveSchemaCurrent,
           "the archive schema to migrate to must be one this build knows");
}

SqliteArchive::~SqliteArchive() { db_.reset(); }

Status SqliteArchive::Open() {
  db_.reset();
  CD_RETURN_IF_ERROR(
      AnnotateStep(MakeDurableDir(fs_, ParentDir(options_.path)), "L4 archive", "make directory"));
  Status opened = OpenDatabase();
  if (opened.ok()) opened = Migrate();
  if (!opened.ok()) CloseAfterFailure();
  return opened;
}

Status SqliteArchive::OpenDatabase() {
  CD_ASSIGN_OR_RETURN(db_, SqliteDb::Open(vfs_, options_.path));
  for (std::string_view pragma : kPragmas) {
    CD_RETURN_IF_ERROR(db_->Exec(pragma, "set the connection's pragmas"));
  }
  CD_RETURN_IF_ERROR(
      db_->Exec(fmt::format("PRAGMA wal_autocheckpoint={}", options_.wal_autocheckpoint_pages),
                "set the connection's pragmas"));
  CD_ASSIGN_OR_RETURN(SqliteStatement wal,
                      db_->Prepare("PRAGMA journal_mode=WAL", "enter WAL mode"));
  CD_ASSIGN_OR_RETURN(const bool row, wal.Step());
  const std::string mode = row ? wal.Text(0) : std::string();
  if (mode != "wal") {
    return Status::Error(StatusCode::kFailedPrecondition, "enter WAL mode", options_.path,
                         fmt::format("SQLite kept journal mode '{}'", mode));
  }
  return Status::Ok();
}

Status SqliteArchive::Migrate() {
  CD_ASSIGN_OR_RETURN(const int64_t tables,
                      db_->QueryInt("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
                                    "name = 'schema_version'",
                                    "read the schema version"));
  schema_version_ = 0;
  if (tables > 0) {
    CD_ASSIGN_OR_RETURN(schema_version_,
                        db_->QueryInt(kSchemaVersionSql, "read the schema version"));
  }
  CD_ASSIGN_OR_RETURN(
      const std::vector<size_t> pending,
      PendingMigrations(schema_version_, options_.archive_schema_max, options_.path));
  for (size_t index : pending) {
    CD_RETURN_IF_ERROR(ApplyMigration(index));
    schema_version_ = ArchiveMigrations()[index].version;
  }
  return Status::Ok();
}

Status SqliteArchive::ApplyMigration(size_t index) {
  const ArchiveMigration& migration = ArchiveMigrations()[index];
  const std::string step = fmt::format("migrate to schema version {}", migration.version);
  CD_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE", step));
  Status status;
  for (std::string_view statement : migration.statements) {
    status = db_->Exec(RenderSql(statement, SqlDialect::kSqlite), step);
    if (!status.ok()) break;
  }
  if (status.ok()) {
    Result<SqliteStatement> record = db_->Prepare(kRecordMigrationSql, step);
    if (record.ok()) {
      record->Bind(1, migration.version);
      record->BindText(2, migration.description);
      status = record->Run();
    } else {
      status = record.status();
    }
  }
  if (status.ok()) status = db_->Exec("COMMIT", step);
  if (!status.ok()) Rollback().IgnoreError();  // the first error is the one to report
  return status;
}

Status SqliteArchive::Rollback() { return db_->Exec("ROLLBACK", "roll back"); }

void SqliteArchive::CloseAfterFailure() {
  if (db_ != nullptr) db_->SkipCheckpointOnClose();
  db_.reset();
}

Status SqliteArchive::Archive(const EngineState& state) {
  const int64_t now_ns = clock().Wall();
  if (db_ == nullptr) {
    Status opened = Open();
    if (!opened.ok()) return opened.Annotate("L4 archive attempt");
  }
  Result<int64_t> copy_id = ArchiveInTransaction(state, now_ns);
  if (copy_id.ok()) return Status::Ok();
  Status error = copy_id.status();
  error.Annotate(fmt::format("L4 archive attempt for state_seq {}", state.state_seq()));
  RecordFailure(state, now_ns, error);
  return error;
}

Result<int64_t> SqliteArchive::ArchiveInTransaction(const EngineState& state, int64_t now_ns) {
  const std::vector<std::byte> document = EncodeEngineState(state, options_.state_schema_version);
  const uint64_t checksum = Checksum64(document);
  CD_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE", "begin the copy's transaction"));
  Result<int64_t> id = [&]() -> Result<int64_t> {
    CD_ASSIGN_OR_RETURN(const int64_t copy_id,
                        db_->QueryInt(kNextCopyIdSql, "choose the copy's id", 1));
    CD_ASSIGN_OR_RETURN(SqliteStatement insert, db_->Prepare(kInsertCopySql, "insert the copy"));
    insert.Bind(1, copy_id);
    insert.Bind(2, static_cast<int64_t>(state.state_seq()));
    insert.Bind(3, options_.state_schema_version);
    insert.Bind(4, ChecksumToSql(checksum));
    insert.BindText(5, UtcLabel(now_ns));
    insert.Bind(6, now_ns);
    insert.Bind(7, state.trading.last_update_ns);
    insert.Bind(8, static_cast<int64_t>(document.size()));
    insert.BindBlob(9, document);
    CD_RETURN_IF_ERROR(insert.Run());
    CD_RETURN_IF_ERROR(InsertRows(copy_id, state));
    CD_ASSIGN_OR_RETURN(SqliteStatement log, db_->Prepare(kLogOkSql, "log the attempt"));
    log.BindText(1, UtcLabel(now_ns));
    log.Bind(2, now_ns);
    log.Bind(3, static_cast<int64_t>(state.state_seq()));
    log.Bind(4, copy_id);
    log.BindText(5, ArchiveNotes(state, document.size(), options_.state_schema_version));
    CD_RETURN_IF_ERROR(log.Run());
    CD_RETURN_IF_ERROR(db_->Exec("COMMIT", "commit the copy"));
    return copy_id;
  }();
  if (!id.ok()) Rollback().IgnoreError();  // the first error is the one to report
  return id;
}

Status SqliteArchive::InsertRows(int64_t copy_id, const EngineState& state) {
  CD_ASSIGN_OR_RETURN(SqliteStatement position,
                      db_->Prepare(kInsertPositionSql, "insert the copy's positions"));
  for (const auto& entry : state.trading.positions) {
    const Position& p = entry.second;
    position.Bind(1, copy_id);
    position.BindText(2, entry.first);
    position.Bind(3, p.quantity_lots);
    position.Bind(4, p.cost_minor);
    position.Bind(5, p.realized_pnl_minor);
    CD_RETURN_IF_ERROR(position.Run());
  }
  CD_ASSIGN_OR_RETURN(SqliteStatement balance,
                      db_->Prepare(kInsertBalanceSql, "insert the copy's balances"));
  for (const auto& entry : state.trading.balances) {
    const Balance& b = entry.second;
    balance.Bind(1, copy_id);
    balance.BindText(2, b.venue);
    balance.BindText(3, b.currency);
    balance.Bind(4, b.total_minor);
    balance.Bind(5, b.available_minor);
    CD_RETURN_IF_ERROR(balance.Run());
  }
  return Status::Ok();
}

// The failed attempt's log row, on a fresh connection: whatever state the old
// one was left in after the error, the new one starts from what is durable.
// Nothing here may change the error reported.
void SqliteArchive::RecordFailure(const EngineState& state, int64_t now_ns, const Status& error) {
  CloseAfterFailure();
  if (!Open().ok()) return;  // not writable now: the next attempt opens again
  const Status logged = [&]() -> Status {
    CD_ASSIGN_OR_RETURN(SqliteStatement log, db_->Prepare(kLogFailedSql, "log the failed attempt"));
    log.BindText(1, UtcLabel(now_ns));
    log.Bind(2, now_ns);
    log.Bind(3, static_cast<int64_t>(state.state_seq()));
    log.BindText(4, error.ToString());
    return log.Run();
  }();
  if (!logged.ok()) CloseAfterFailure();
}

Result<std::vector<ArchivedCopyInfo>> SqliteArchive::List() {
  if (db_ == nullptr) CD_RETURN_IF_ERROR(Open());
  CD_ASSIGN_OR_RETURN(SqliteStatement query, db_->Prepare(kListCopiesSql, "list the copies"));
  std::vector<ArchivedCopyInfo> copies;
  for (;;) {
    CD_ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) break;
    copies.push_back({.id = query.Int(0),
                      .state_seq = static_cast<Seq>(query.Int(1)),
                      .created_at_utc = query.Text(2),
                      .created_at_ns = query.Int(3),
                      .checksum = ChecksumFromSql(query.Int(4)),
                      .document_bytes = static_cast<uint64_t>(query.Int(5)),
                      .state_schema_version = query.Int(6)});
  }
  return copies;
}

Result<StoredCopy> SqliteArchive::ReadStoredCopy(int64_t id) {
  if (db_ == nullptr) CD_RETURN_IF_ERROR(Open());
  CD_ASSIGN_OR_RETURN(SqliteStatement query,
                      db_->Prepare(kReadCopySql, fmt::format("read copy {}", id)));
  query.Bind(1, id);
  CD_ASSIGN_OR_RETURN(const bool row, query.Step());
  if (!row) {
    return Status::Error(StatusCode::kNotFound, "read an archived copy", options_.path,
                         "no such copy");
  }
  const ByteSpan document = query.Blob(0);
  return StoredCopy{.document = std::vector<std::byte>(document.begin(), document.end()),
                    .checksum = ChecksumFromSql(query.Int(1)),
                    .state_seq = query.Int(2)};
}

Result<std::vector<Position>> SqliteArchive::Positions(int64_t id) {
  if (db_ == nullptr) CD_RETURN_IF_ERROR(Open());
  CD_ASSIGN_OR_RETURN(SqliteStatement query,
                      db_->Prepare(kPositionsSql, fmt::format("read copy {}'s positions", id)));
  query.Bind(1, id);
  std::vector<Position> positions;
  for (;;) {
    CD_ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return positions;
    positions.push_back(Position{query.Text(0), query.Int(1), query.Int(2), query.Int(3)});
  }
}

Result<std::vector<Balance>> SqliteArchive::Balances(int64_t id) {
  if (db_ == nullptr) CD_RETURN_IF_ERROR(Open());
  CD_ASSIGN_OR_RETURN(SqliteStatement query,
                      db_->Prepare(kBalancesSql, fmt::format("read copy {}'s balances", id)));
  query.Bind(1, id);
  std::vector<Balance> balances;
  for (;;) {
    CD_ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return balances;
    balances.push_back(Balance{query.Text(0), query.Text(1), query.Int(2), query.Int(3)});
  }
}

Result<std::vector<ArchiveLogEntry>> SqliteArchive::Log() {
  if (db_ == nullptr) CD_RETURN_IF_ERROR(Open());
  CD_ASSIGN_OR_RETURN(SqliteStatement query, db_->Prepare(kLogSql, "read the attempt log"));
  std::vector<ArchiveLogEntry> log;
  for (;;) {
    CD_ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) return log;
    log.push_back({.id = query.Int(0),
                   .attempted_at_utc = query.Text(1),
                   .attempted_at_ns = query.Int(2),
                   .state_seq = static_cast<Seq>(query.Int(3)),
                   .ok = query.Text(4) == "ok",
                   .copy_id = query.IsNull(5) ? 0 : query.Int(5),
                   .error = query.Text(6),
                   .notes = query.Text(7)});
  }
}

Status SqliteArchive::DeleteCopies(const std::vector<int64_t>& ids) {
  CD_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE", "begin retention"));
  const Status deleted = [&]() -> Status {
    for (std::string_view sql : kDeleteCopySql) {
      CD_ASSIGN_OR_RETURN(SqliteStatement remove, db_->Prepare(sql, "retention"));
      for (int64_t id : ids) {
        remove.Bind(1, id);
        CD_RETURN_IF_ERROR(remove.Run());
      }
    }
    return db_->Exec("COMMIT", "commit retention");
  }();
  if (!deleted.ok()) Rollback().IgnoreError();
  return deleted;
}

}  // namespace crashdrill::system

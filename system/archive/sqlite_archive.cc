#include "system/archive/sqlite_archive.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <set>
#include <tuple>
#include <utility>

#include "system/archive/archive_schema.h"
#include "system/io/check.h"
#include "system/levels/atomic_file.h"

namespace crashdrill::system {
namespace {

constexpr int64_t kNanosPerHour = 3600 * kNanosPerSecond;
constexpr int64_t kNanosPerDay = 24 * kNanosPerHour;

// Checksums are unsigned 64-bit; SQL BIGINT is signed: the same bits.
int64_t ToSql(uint64_t value) { return static_cast<int64_t>(value); }
uint64_t FromSql(int64_t value) { return static_cast<uint64_t>(value); }

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

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

bool BalanceLess(const Balance& a, const Balance& b) {
  return std::tie(a.venue, a.currency) < std::tie(b.venue, b.currency);
}

}  // namespace

SqliteArchive::SqliteArchive(Fs& fs, Clock& clock, SqliteArchiveOptions options)
    : fs_(fs), clock_(clock), options_(std::move(options)), vfs_(fs) {
  if (options_.archive_schema_max == 0) options_.archive_schema_max = kArchiveSchemaCurrent;
  CD_CHECK(options_.archive_schema_max >= 1 && options_.archive_schema_max <= kArchiveSchemaCurrent,
           "the archive schema to migrate to must be one this build knows");
}

SqliteArchive::~SqliteArchive() { db_.reset(); }

std::string SqliteArchive::UtcLabel(int64_t wall_ns) {
  const int64_t seconds = FloorDiv(wall_ns, kNanosPerSecond);
  const int64_t nanos = wall_ns - seconds * kNanosPerSecond;
  const std::time_t time = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, nanos);
}

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
  if (schema_version_ > kArchiveSchemaCurrent) {
    return Status::Error(StatusCode::kFailedPrecondition, "open the archive", options_.path,
                         fmt::format("its schema version {} is newer than this build's {}; "
                                     "refusing to read or write it",
                                     schema_version_, kArchiveSchemaCurrent));
  }
  const std::vector<ArchiveMigration>& migrations = ArchiveMigrations();
  for (size_t i = 0; i < migrations.size(); ++i) {
    const int64_t version = migrations[i].version;
    if (version <= schema_version_ || version > options_.archive_schema_max) continue;
    CD_RETURN_IF_ERROR(ApplyMigration(i));
    schema_version_ = version;
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
  const int64_t now_ns = clock_.Wall();
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
    CD_ASSIGN_OR_RETURN(
        const int64_t copy_id,
        db_->QueryInt("SELECT 1 + MAX(COALESCE((SELECT MAX(id) FROM archived_copies), 0), "
                      "COALESCE((SELECT MAX(copy_id) FROM archive_log), 0))",
                      "choose the copy's id", 1));
    CD_ASSIGN_OR_RETURN(
        SqliteStatement insert,
        db_->Prepare("INSERT INTO archived_copies (id, state_seq, state_schema_version, "
                     "checksum_xxh3, created_at_utc, created_at_ns, state_time_ns, "
                     "document_bytes, document) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                     "insert the copy"));
    insert.Bind(1, copy_id);
    insert.Bind(2, static_cast<int64_t>(state.state_seq()));
    insert.Bind(3, options_.state_schema_version);
    insert.Bind(4, ToSql(checksum));
    insert.BindText(5, UtcLabel(now_ns));
    insert.Bind(6, now_ns);
    insert.Bind(7, state.trading.last_update_ns);
    insert.Bind(8, static_cast<int64_t>(document.size()));
    insert.BindBlob(9, document);
    CD_RETURN_IF_ERROR(insert.Run());
    CD_RETURN_IF_ERROR(InsertRows(copy_id, state));
    CD_ASSIGN_OR_RETURN(
        SqliteStatement log,
        db_->Prepare("INSERT INTO archive_log (id, attempted_at_utc, attempted_at_ns, state_seq, "
                     "outcome, copy_id, error, notes) VALUES ((SELECT 1 + COALESCE(MAX(id), 0) "
                     "FROM archive_log), ?1, ?2, ?3, 'ok', ?4, '', ?5)",
                     "log the attempt"));
    log.BindText(1, UtcLabel(now_ns));
    log.Bind(2, now_ns);
    log.Bind(3, static_cast<int64_t>(state.state_seq()));
    log.Bind(4, copy_id);
    log.BindText(5, fmt::format("document {} bytes (state schema v{}), {} positions, {} balances",
                                document.size(), options_.state_schema_version,
                                state.trading.positions.size(), state.trading.balances.size()));
    CD_RETURN_IF_ERROR(log.Run());
    CD_RETURN_IF_ERROR(db_->Exec("COMMIT", "commit the copy"));
    return copy_id;
  }();
  if (!id.ok()) Rollback().IgnoreError();  // the first error is the one to report
  return id;
}

Status SqliteArchive::InsertRows(int64_t copy_id, const EngineState& state) {
  CD_ASSIGN_OR_RETURN(
      SqliteStatement position,
      db_->Prepare("INSERT INTO positions (copy_id, symbol, quantity_lots, cost_minor, "
                   "realized_pnl_minor) VALUES (?1, ?2, ?3, ?4, ?5)",
                   "insert the copy's positions"));
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
                      db_->Prepare("INSERT INTO balances (copy_id, venue, currency, total_minor, "
                                   "available_minor) VALUES (?1, ?2, ?3, ?4, ?5)",
                                   "insert the copy's balances"));
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
    CD_ASSIGN_OR_RETURN(
        SqliteStatement log,
        db_->Prepare("INSERT INTO archive_log (id, attempted_at_utc, attempted_at_ns, state_seq, "
                     "outcome, copy_id, error, notes) VALUES ((SELECT 1 + COALESCE(MAX(id), 0) "
                     "FROM archive_log), ?1, ?2, ?3, 'failed', NULL, ?4, '')",
                     "log the failed attempt"));
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
  CD_ASSIGN_OR_RETURN(
      SqliteStatement query,
      db_->Prepare("SELECT id, state_seq, created_at_utc, created_at_ns, checksum_xxh3, "
                   "document_bytes, state_schema_version FROM archived_copies "
                   "ORDER BY state_seq DESC, id DESC",
                   "list the copies"));
  std::vector<ArchivedCopyInfo> copies;
  for (;;) {
    CD_ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) break;
    copies.push_back({.id = query.Int(0),
                      .state_seq = static_cast<Seq>(query.Int(1)),
                      .created_at_utc = query.Text(2),
                      .created_at_ns = query.Int(3),
                      .checksum = FromSql(query.Int(4)),
                      .document_bytes = static_cast<uint64_t>(query.Int(5)),
                      .state_schema_version = query.Int(6)});
  }
  return copies;
}

Result<EngineState> SqliteArchive::Read(int64_t id) {
  if (db_ == nullptr) CD_RETURN_IF_ERROR(Open());
  const std::string source = fmt::format("{} copy {}", options_.path, id);
  CD_ASSIGN_OR_RETURN(
      SqliteStatement query,
      db_->Prepare("SELECT document, checksum_xxh3, state_seq FROM archived_copies WHERE id = ?1",
                   fmt::format("read copy {}", id)));
  query.Bind(1, id);
  CD_ASSIGN_OR_RETURN(const bool row, query.Step());
  if (!row) {
    return Status::Error(StatusCode::kNotFound, "read an archived copy", source, "no such copy");
  }
  const ByteSpan document = query.Blob(0);
  const uint64_t stored = FromSql(query.Int(1));
  const uint64_t computed = Checksum64(document);
  if (computed != stored) {
    return Status::Corruption(
        source, 0, "checksum_xxh3",
        fmt::format("the document's XXH3-64 is {:016x}, the row says {:016x}", computed, stored));
  }
  CD_ASSIGN_OR_RETURN(EngineState state, DecodeEngineState(document, source));
  if (static_cast<int64_t>(state.state_seq()) != query.Int(2)) {
    return Status::Corruption(source, 0, "state_seq",
                              fmt::format("the document holds state_seq {}, the row says {}",
                                          state.state_seq(), query.Int(2)));
  }
  CD_RETURN_IF_ERROR(Validate(state, options_.validation, source));
  CD_RETURN_IF_ERROR(CheckRows(id, state, source));
  return state;
}

Result<std::vector<Position>> SqliteArchive::Positions(int64_t id) {
  if (db_ == nullptr) CD_RETURN_IF_ERROR(Open());
  CD_ASSIGN_OR_RETURN(
      SqliteStatement query,
      db_->Prepare("SELECT symbol, quantity_lots, cost_minor, realized_pnl_minor FROM positions "
                   "WHERE copy_id = ?1 ORDER BY symbol",
                   fmt::format("read copy {}'s positions", id)));
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
  CD_ASSIGN_OR_RETURN(
      SqliteStatement query,
      db_->Prepare("SELECT venue, currency, total_minor, available_minor FROM balances "
                   "WHERE copy_id = ?1 ORDER BY venue, currency",
                   fmt::format("read copy {}'s balances", id)));
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
  CD_ASSIGN_OR_RETURN(
      SqliteStatement query,
      db_->Prepare("SELECT id, attempted_at_utc, attempted_at_ns, state_seq, outcome, copy_id, "
                   "error, notes FROM archive_log ORDER BY id",
                   "read the attempt log"));
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

// The positions and balances rows must be the document's: a copy whose rows
// disagree with it is reported, so an operator's query never reads rows of a
// state the archive would refuse to load.
Status SqliteArchive::CheckRows(int64_t id, const EngineState& state, const std::string& source) {
  CD_ASSIGN_OR_RETURN(const std::vector<Position> positions, Positions(id));
  std::vector<Position> expected_positions;
  for (const auto& entry : state.trading.positions) expected_positions.push_back(entry.second);
  if (positions != expected_positions) {
    return Status::Corruption(source, 0, "positions", "the rows disagree with the document");
  }
  CD_ASSIGN_OR_RETURN(std::vector<Balance> balances, Balances(id));
  std::vector<Balance> expected_balances;
  for (const auto& entry : state.trading.balances) expected_balances.push_back(entry.second);
  std::sort(balances.begin(), balances.end(), BalanceLess);
  std::sort(expected_balances.begin(), expected_balances.end(), BalanceLess);
  if (balances != expected_balances) {
    return Status::Corruption(source, 0, "balances", "the rows disagree with the document");
  }
  return Status::Ok();
}

Result<ArchivedState> SqliteArchive::NewestValid() {
  CD_ASSIGN_OR_RETURN(const std::vector<ArchivedCopyInfo> copies, List());
  ArchivedState out;
  for (const ArchivedCopyInfo& copy : copies) {
    Result<EngineState> state = Read(copy.id);
    if (state.ok()) {
      out.id = copy.id;
      out.state = std::move(*state);
      return out;
    }
    // Only a bad copy is skipped; an I/O error says nothing about the copy.
    if (!state.status().IsCorruption() && state.status().code() != StatusCode::kInvalidArgument) {
      return state.status();
    }
    out.skipped.push_back(state.status());
  }
  std::string why = fmt::format("no valid copy among {}", copies.size());
  for (const Status& skipped : out.skipped) why += "; " + skipped.ToString();
  return Status::Error(StatusCode::kNotFound, "find the newest valid copy", options_.path, why);
}

Result<PruneResult> SqliteArchive::Prune(const RetentionPolicy& policy) {
  PruneResult result;
  Result<ArchivedState> newest = NewestValid();
  if (!newest.ok()) {
    if (newest.status().IsNotFound()) return result;  // no valid copy: delete nothing
    return newest.status();
  }
  result.newest_valid_id = newest->id;
  CD_ASSIGN_OR_RETURN(std::vector<ArchivedCopyInfo> copies, List());
  std::sort(copies.begin(), copies.end(), [](const ArchivedCopyInfo& a, const ArchivedCopyInfo& b) {
    return std::tie(a.created_at_ns, a.id) > std::tie(b.created_at_ns, b.id);
  });
  const int64_t now_ns = clock_.Wall();
  // A bucket is (period, index); the first copy seen in it (the newest) is kept.
  std::set<std::pair<int64_t, int64_t>> buckets;
  const auto bucket_of = [&](const ArchivedCopyInfo& copy) -> std::pair<int64_t, int64_t> {
    const int64_t age = now_ns - copy.created_at_ns;
    if (age <= policy.hourly_for_ns)
      return {kNanosPerHour, FloorDiv(copy.created_at_ns, kNanosPerHour)};
    if (age <= policy.daily_for_ns)
      return {kNanosPerDay, FloorDiv(copy.created_at_ns, kNanosPerDay)};
    return {0, 0};  // too old for any bucket
  };
  for (const ArchivedCopyInfo& copy : copies) {
    if (copy.id == result.newest_valid_id) buckets.insert(bucket_of(copy));
  }
  for (const ArchivedCopyInfo& copy : copies) {
    if (copy.id == result.newest_valid_id || copy.created_at_ns > now_ns) continue;
    const std::pair<int64_t, int64_t> bucket = bucket_of(copy);
    if (bucket.first != 0 && buckets.insert(bucket).second) continue;
    result.deleted_ids.push_back(copy.id);
  }
  CD_CHECK(std::find(result.deleted_ids.begin(), result.deleted_ids.end(),
                     result.newest_valid_id) == result.deleted_ids.end(),
           "retention chose to delete the newest valid archived copy");
  CD_RETURN_IF_ERROR(DeleteCopies(result.deleted_ids));
  return result;
}

Status SqliteArchive::DeleteCopies(const std::vector<int64_t>& ids) {
  if (ids.empty()) return Status::Ok();
  CD_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE", "begin retention"));
  const Status deleted = [&]() -> Status {
    for (std::string_view table : {"positions", "balances"}) {
      CD_ASSIGN_OR_RETURN(
          SqliteStatement remove,
          db_->Prepare(fmt::format("DELETE FROM {} WHERE copy_id = ?1", table), "retention"));
      for (int64_t id : ids) {
        remove.Bind(1, id);
        CD_RETURN_IF_ERROR(remove.Run());
      }
    }
    CD_ASSIGN_OR_RETURN(SqliteStatement remove,
                        db_->Prepare("DELETE FROM archived_copies WHERE id = ?1", "retention"));
    for (int64_t id : ids) {
      remove.Bind(1, id);
      CD_RETURN_IF_ERROR(remove.Run());
    }
    return db_->Exec("COMMIT", "commit retention");
  }();
  if (!deleted.ok()) Rollback().IgnoreError();
  return deleted;
}

}  // namespace crashdrill::system

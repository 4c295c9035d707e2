#include "system/archive/postgres_archive.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>
#include <utility>

#include "system/archive/archive_schema.h"
#include "system/io/check.h"

namespace crashdrill::system {
namespace {

std::string Pg(std::string_view sql) { return RenderSql(sql, SqlDialect::kPostgres); }

PgParam Int(int64_t value) { return PgParam::Int(value); }
PgParam Text(std::string_view text) { return PgParam::Text(text); }

}  // namespace

PostgresArchive::PostgresArchive(Clock& clock, PostgresArchiveOptions options)
    : ArchiveDatabase(clock, options.validation),
      options_(std::move(options)),
      target_(PgConnection::DescribeTarget(options_.connection.conninfo)) {
  if (options_.archive_schema_max == 0) options_.archive_schema_max = kArchiveSchemaCurrent;
  CD_CHECK(options_.archive_schema_max >= 1 && options_.archive_schema_max <= kArchiveSchemaCurrent,
           "the archive schema to migrate to must be one this build knows");
}

PostgresArchive::~PostgresArchive() = default;

Status PostgresArchive::Open() {
  db_.reset();
  CD_ASSIGN_OR_RETURN(db_, PgConnection::Connect(options_.connection));
  const Status migrated = Migrate();
  if (!migrated.ok()) db_.reset();
  return migrated;
}

Status PostgresArchive::Connected() {
  if (db_ != nullptr && db_->alive()) return Status::Ok();
  return Open();
}

Status PostgresArchive::Migrate() {
  CD_ASSIGN_OR_RETURN(const int64_t tables,
                      db_->QueryInt("SELECT COUNT(*) FROM information_schema.tables WHERE "
                                    "table_schema = current_schema() AND "
                                    "table_name = 'schema_version'",
                                    "read the schema version"));
  schema_version_ = 0;
  if (tables > 0) {
    CD_ASSIGN_OR_RETURN(schema_version_,
                        db_->QueryInt(kSchemaVersionSql, "read the schema version"));
  }
  CD_ASSIGN_OR_RETURN(const std::vector<size_t> pending,
                      PendingMigrations(schema_version_, options_.archive_schema_max, target_));
  for (size_t index : pending) {
    CD_RETURN_IF_ERROR(ApplyMigration(index));
    schema_version_ = ArchiveMigrations()[index].version;
  }
  return Status::Ok();
}

Status PostgresArchive::ApplyMigration(size_t index) {
  const ArchiveMigration& migration = ArchiveMigrations()[index];
  const std::string step = fmt::format("migrate to schema version {}", migration.version);
  return InTransaction(step, [&]() -> Status {
    for (std::string_view statement : migration.statements) {
      CD_RETURN_IF_ERROR(db_->Exec(Pg(statement), step));
    }
    const PgParam record[] = {Int(migration.version), Text(migration.description)};
    return db_->Exec(Pg(kRecordMigrationSql), step, record);
  });
}

template <typename Body>
auto PostgresArchive::InTransaction(std::string_view step, Body body) -> decltype(body()) {
  CD_RETURN_IF_ERROR(db_->Exec("BEGIN", step));
  auto result = body();
  Status failed = result.ok() ? db_->Exec("COMMIT", step) : Status::Ok();
  if (result.ok() && failed.ok()) return result;
  // The first error is the one to report; a lost connection has rolled back.
  if (db_->alive() && db_->in_transaction()) db_->Exec("ROLLBACK", "roll back").IgnoreError();
  if (!failed.ok()) return failed;
  return result;
}

Status PostgresArchive::Archive(const EngineState& state) {
  const int64_t now_ns = clock().Wall();
  Status error = Connected();
  if (error.ok()) error = LogPendingFailures();
  if (error.ok()) {
    const Result<int64_t> copy_id = ArchiveInTransaction(state, now_ns);
    if (copy_id.ok()) return Status::Ok();
    error = copy_id.status();
  }
  error.Annotate(fmt::format("L4 archive attempt for state_seq {}", state.state_seq()));
  RecordFailure(
      {.attempted_at_ns = now_ns, .state_seq = state.state_seq(), .error = error.ToString()});
  return error;
}

Result<int64_t> PostgresArchive::ArchiveInTransaction(const EngineState& state, int64_t now_ns) {
  const std::vector<std::byte> document = EncodeEngineState(state, options_.state_schema_version);
  const uint64_t checksum = Checksum64(document);
  return InTransaction("archive the copy", [&]() -> Result<int64_t> {
    // One writer at a time: ids are chosen as the largest so far plus one.
    CD_RETURN_IF_ERROR(
        db_->Exec("LOCK TABLE archived_copies, archive_log IN EXCLUSIVE MODE", "lock the archive"));
    CD_ASSIGN_OR_RETURN(const int64_t copy_id,
                        db_->QueryInt(Pg(kNextCopyIdSql), "choose the copy's id"));
    const PgParam copy[] = {Int(copy_id),
                            Int(static_cast<int64_t>(state.state_seq())),
                            Int(options_.state_schema_version),
                            Int(ChecksumToSql(checksum)),
                            Text(UtcLabel(now_ns)),
                            Int(now_ns),
                            Int(state.trading.last_update_ns),
                            Int(static_cast<int64_t>(document.size())),
                            PgParam::Bytes(document)};
    CD_RETURN_IF_ERROR(db_->Exec(Pg(kInsertCopySql), "insert the copy", copy));
    CD_RETURN_IF_ERROR(InsertRows(copy_id, state));
    const PgParam log[] = {
        Text(UtcLabel(now_ns)), Int(now_ns), Int(static_cast<int64_t>(state.state_seq())),
        Int(copy_id), Text(ArchiveNotes(state, document.size(), options_.state_schema_version))};
    CD_RETURN_IF_ERROR(db_->Exec(Pg(kLogOkSql), "log the attempt", log));
    return copy_id;
  });
}

namespace {

// A PostgreSQL array literal of `values`, each element quoted ("a\\"b"), so
// any text, commas and braces included, arrives as it was.
template <typename T, typename F>
std::string ArrayLiteral(const std::vector<T>& values, F&& text_of) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (const char c : text_of(values[i])) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

// Positions and balances as one statement each (arrays unnested on the
// server): a row per statement cost a round trip per position, most of an
// archive write of the typical state's 100 positions.
constexpr std::string_view kInsertPositionsSql =
    "INSERT INTO positions (copy_id, symbol, quantity_lots, cost_minor, realized_pnl_minor) "
    "SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[])";
constexpr std::string_view kInsertBalancesSql =
    "INSERT INTO balances (copy_id, venue, currency, total_minor, available_minor) "
    "SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[])";

}  // namespace

Status PostgresArchive::InsertRows(int64_t copy_id, const EngineState& state) {
  const auto text = [](const std::string& s) -> const std::string& { return s; };
  const auto number = [](int64_t v) { return std::to_string(v); };
  if (!state.trading.positions.empty()) {
    std::vector<std::string> symbols;
    std::vector<int64_t> lots, cost, realized;
    for (const auto& [symbol, p] : state.trading.positions) {
      symbols.push_back(symbol);
      lots.push_back(p.quantity_lots);
      cost.push_back(p.cost_minor);
      realized.push_back(p.realized_pnl_minor);
    }
    const PgParam rows[] = {Int(copy_id), Text(ArrayLiteral(symbols, text)),
                            Text(ArrayLiteral(lots, number)), Text(ArrayLiteral(cost, number)),
                            Text(ArrayLiteral(realized, number))};
    CD_RETURN_IF_ERROR(db_->Exec(kInsertPositionsSql, "insert the copy's positions", rows));
  }
  if (!state.trading.balances.empty()) {
    std::vector<std::string> venues, currencies;
    std::vector<int64_t> total, available;
    for (const auto& entry : state.trading.balances) {
      venues.push_back(entry.second.venue);
      currencies.push_back(entry.second.currency);
      total.push_back(entry.second.total_minor);
      available.push_back(entry.second.available_minor);
    }
    const PgParam rows[] = {Int(copy_id), Text(ArrayLiteral(venues, text)),
                            Text(ArrayLiteral(currencies, text)), Text(ArrayLiteral(total, number)),
                            Text(ArrayLiteral(available, number))};
    CD_RETURN_IF_ERROR(db_->Exec(kInsertBalancesSql, "insert the copy's balances", rows));
  }
  return Status::Ok();
}

// The failed attempt's log row, on the same connection if the server still
// takes it (outside the rolled-back transaction), else kept for later. The
// connection is dropped either way, so the next attempt starts on a new one.
// Nothing here may change the error reported.
void PostgresArchive::RecordFailure(FailedAttempt attempt) {
  pending_failures_.push_back(std::move(attempt));
  if (pending_failures_.size() > kPendingFailuresMax) {
    pending_failures_.erase(pending_failures_.begin());
  }
  if (db_ != nullptr && db_->alive()) LogPendingFailures().IgnoreError();
  db_.reset();
}

Status PostgresArchive::LogPendingFailures() {
  if (pending_failures_.empty()) return Status::Ok();
  const Status logged = InTransaction("log failed attempts", [&]() -> Status {
    const std::string insert = Pg(kLogFailedSql);
    for (const FailedAttempt& attempt : pending_failures_) {
      const PgParam row[] = {Text(UtcLabel(attempt.attempted_at_ns)), Int(attempt.attempted_at_ns),
                             Int(static_cast<int64_t>(attempt.state_seq)), Text(attempt.error)};
      CD_RETURN_IF_ERROR(db_->Exec(insert, "log the failed attempt", row));
    }
    return Status::Ok();
  });
  if (logged.ok()) pending_failures_.clear();
  return logged;
}

Result<std::vector<ArchivedCopyInfo>> PostgresArchive::List() {
  CD_RETURN_IF_ERROR(Connected());
  CD_ASSIGN_OR_RETURN(const PgResult rows, db_->Query(Pg(kListCopiesSql), "list the copies"));
  std::vector<ArchivedCopyInfo> copies;
  for (int i = 0; i < rows.Rows(); ++i) {
    copies.push_back({.id = rows.Int(i, 0),
                      .state_seq = static_cast<Seq>(rows.Int(i, 1)),
                      .created_at_utc = rows.Text(i, 2),
                      .created_at_ns = rows.Int(i, 3),
                      .checksum = ChecksumFromSql(rows.Int(i, 4)),
                      .document_bytes = static_cast<uint64_t>(rows.Int(i, 5)),
                      .state_schema_version = rows.Int(i, 6)});
  }
  return copies;
}

Result<StoredCopy> PostgresArchive::ReadStoredCopy(int64_t id) {
  CD_RETURN_IF_ERROR(Connected());
  const PgParam key[] = {Int(id)};
  CD_ASSIGN_OR_RETURN(
      const PgResult rows,
      db_->Query(Pg(kReadCopySql), fmt::format("read copy {}", id), key, /*binary_result=*/true));
  if (rows.Rows() == 0) {
    return Status::Error(StatusCode::kNotFound, "read an archived copy", target_, "no such copy");
  }
  const ByteSpan document = rows.Bytes(0, 0);
  return StoredCopy{.document = std::vector<std::byte>(document.begin(), document.end()),
                    .checksum = ChecksumFromSql(rows.BinaryInt(0, 1)),
                    .state_seq = rows.BinaryInt(0, 2)};
}

// Sorted here, by bytes, as SQLite's BINARY collation orders them: the
// server's ORDER BY follows the database's collation, which may not.
Result<std::vector<Position>> PostgresArchive::Positions(int64_t id) {
  CD_RETURN_IF_ERROR(Connected());
  const PgParam key[] = {Int(id)};
  CD_ASSIGN_OR_RETURN(
      const PgResult rows,
      db_->Query(Pg(kPositionsSql), fmt::format("read copy {}'s positions", id), key));
  std::vector<Position> positions;
  for (int i = 0; i < rows.Rows(); ++i) {
    positions.push_back(Position{rows.Text(i, 0), rows.Int(i, 1), rows.Int(i, 2), rows.Int(i, 3)});
  }
  std::sort(positions.begin(), positions.end(),
            [](const Position& a, const Position& b) { return a.symbol < b.symbol; });
  return positions;
}

Result<std::vector<Balance>> PostgresArchive::Balances(int64_t id) {
  CD_RETURN_IF_ERROR(Connected());
  const PgParam key[] = {Int(id)};
  CD_ASSIGN_OR_RETURN(
      const PgResult rows,
      db_->Query(Pg(kBalancesSql), fmt::format("read copy {}'s balances", id), key));
  std::vector<Balance> balances;
  for (int i = 0; i < rows.Rows(); ++i) {
    balances.push_back(Balance{rows.Text(i, 0), rows.Text(i, 1), rows.Int(i, 2), rows.Int(i, 3)});
  }
  std::sort(balances.begin(), balances.end(), [](const Balance& a, const Balance& b) {
    return std::tie(a.venue, a.currency) < std::tie(b.venue, b.currency);
  });
  return balances;
}

Result<std::vector<ArchiveLogEntry>> PostgresArchive::Log() {
  CD_RETURN_IF_ERROR(Connected());
  CD_ASSIGN_OR_RETURN(const PgResult rows, db_->Query(Pg(kLogSql), "read the attempt log"));
  std::vector<ArchiveLogEntry> log;
  for (int i = 0; i < rows.Rows(); ++i) {
    log.push_back({.id = rows.Int(i, 0),
                   .attempted_at_utc = rows.Text(i, 1),
                   .attempted_at_ns = rows.Int(i, 2),
                   .state_seq = static_cast<Seq>(rows.Int(i, 3)),
                   .ok = rows.Text(i, 4) == "ok",
                   .copy_id = rows.IsNull(i, 5) ? 0 : rows.Int(i, 5),
                   .error = rows.Text(i, 6),
                   .notes = rows.Text(i, 7)});
  }
  return log;
}

Status PostgresArchive::DeleteCopies(const std::vector<int64_t>& ids) {
  CD_RETURN_IF_ERROR(Connected());
  return InTransaction("retention", [&]() -> Status {
    for (std::string_view sql : kDeleteCopySql) {
      const std::string statement = Pg(sql);
      for (int64_t id : ids) {
        const PgParam key[] = {Int(id)};
        CD_RETURN_IF_ERROR(db_->Exec(statement, "retention", key));
      }
    }
    return Status::Ok();
  });
}

}  // namespace crashdrill::system

// The L4 archive's schema as SQL text, shared by the SQLite archive and a
// later PostgreSQL one: an ordered list of migrations, each applied in one
// transaction that also records its version in `schema_version`. A database
// is at the highest version recorded there (0 when the table is absent).
//
// The SQL keeps to what both engines accept (BIGINT, TEXT, PRIMARY KEY,
// CHECK, ALTER TABLE ... ADD COLUMN, CREATE INDEX), and so do the statements
// the archives run (below). The two differences are filled in by RenderSql
// for the dialect: the binary column type (BLOB vs BYTEA), written {BLOB},
// and parameters, written ?1, ?2, ... ($1, $2, ... for PostgreSQL); nothing
// else may differ.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace crashdrill::system {

enum class SqlDialect : uint8_t { kSqlite, kPostgres };

// The schema version this build writes and reads; newer databases are refused.
inline constexpr int64_t kArchiveSchemaCurrent = 2;

struct ArchiveMigration {
  int64_t version = 0;  // 1, 2, ...: the version the database is at after it
  std::string_view description;
  std::vector<std::string_view> statements;  // in order, {BLOB} not yet filled in
};

// Every migration, ascending by version; the last one's version is
// kArchiveSchemaCurrent.
const std::vector<ArchiveMigration>& ArchiveMigrations();

// The binary column type of `dialect`: the one place the dialects differ.
std::string_view BlobType(SqlDialect dialect);

// `statement` with {BLOB} replaced by BlobType(dialect) and, for PostgreSQL,
// each parameter ?N by $N (no statement here has a '?' in a literal).
std::string RenderSql(std::string_view statement, SqlDialect dialect);

// What a migration records: run after its statements, in its transaction,
// with ?1 = version, ?2 = description.
inline constexpr std::string_view kRecordMigrationSql =
    "INSERT INTO schema_version (version, description) VALUES (?1, ?2)";
// The database's version (0 rows when the table does not exist yet).
inline constexpr std::string_view kSchemaVersionSql =
    "SELECT COALESCE(MAX(version), 0) FROM schema_version";

// The statements both archives run, ?N as above.
// The next copy id: never one a pruned copy or a log row ever had.
inline constexpr std::string_view kNextCopyIdSql =
    "SELECT 1 + COALESCE(MAX(id), 0) FROM (SELECT id FROM archived_copies UNION ALL "
    "SELECT copy_id AS id FROM archive_log WHERE copy_id IS NOT NULL) AS ids";
inline constexpr std::string_view kInsertCopySql =
    "INSERT INTO archived_copies (id, state_seq, state_schema_version, checksum_xxh3, "
    "created_at_utc, created_at_ns, state_time_ns, document_bytes, document) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
inline constexpr std::string_view kInsertPositionSql =
    "INSERT INTO positions (copy_id, symbol, quantity_lots, cost_minor, realized_pnl_minor) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
inline constexpr std::string_view kInsertBalanceSql =
    "INSERT INTO balances (copy_id, venue, currency, total_minor, available_minor) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
// ?1 attempted_at_utc, ?2 attempted_at_ns, ?3 state_seq, ?4 copy_id, ?5 notes.
inline constexpr std::string_view kLogOkSql =
    "INSERT INTO archive_log (id, attempted_at_utc, attempted_at_ns, state_seq, outcome, "
    "copy_id, error, notes) VALUES ((SELECT 1 + COALESCE(MAX(id), 0) FROM archive_log), ?1, ?2, "
    "?3, 'ok', ?4, '', ?5)";
// ?1 attempted_at_utc, ?2 attempted_at_ns, ?3 state_seq, ?4 error.
inline constexpr std::string_view kLogFailedSql =
    "INSERT INTO archive_log (id, attempted_at_utc, attempted_at_ns, state_seq, outcome, "
    "copy_id, error, notes) VALUES ((SELECT 1 + COALESCE(MAX(id), 0) FROM archive_log), ?1, ?2, "
    "?3, 'failed', NULL, ?4, '')";
inline constexpr std::string_view kListCopiesSql =
    "SELECT id, state_seq, created_at_utc, created_at_ns, checksum_xxh3, document_bytes, "
    "state_schema_version FROM archived_copies ORDER BY state_seq DESC, id DESC";
inline constexpr std::string_view kReadCopySql =
    "SELECT document, checksum_xxh3, state_seq FROM archived_copies WHERE id = ?1";
inline constexpr std::string_view kPositionsSql =
    "SELECT symbol, quantity_lots, cost_minor, realized_pnl_minor FROM positions "
    "WHERE copy_id = ?1 ORDER BY symbol";
inline constexpr std::string_view kBalancesSql =
    "SELECT venue, currency, total_minor, available_minor FROM balances "
    "WHERE copy_id = ?1 ORDER BY venue, currency";
inline constexpr std::string_view kLogSql =
    "SELECT id, attempted_at_utc, attempted_at_ns, state_seq, outcome, copy_id, error, notes "
    "FROM archive_log ORDER BY id";
// Retention deletes a copy's rows first, then the copy (?1 = its id).
inline constexpr std::string_view kDeleteCopySql[] = {
    "DELETE FROM positions WHERE copy_id = ?1",
    "DELETE FROM balances WHERE copy_id = ?1",
    "DELETE FROM archived_copies WHERE id = ?1",
};

}  // namespace crashdrill::system

// The L4 archive's schema as SQL text, shared by the SQLite archive and a
// later PostgreSQL one: an ordered list of migrations, each applied in one
// transaction that also records its version in `schema_version`. A database
// is at the highest version recorded there (0 when the table is absent).
//
// The SQL keeps to what both engines accept (BIGINT, TEXT, PRIMARY KEY,
// CHECK, ALTER TABLE ... ADD COLUMN, CREATE INDEX). The one difference, the
// binary column type (BLOB vs BYTEA), is written as {BLOB} and filled in by
// RenderSql for the dialect; nothing else may differ.
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

// `statement` with {BLOB} replaced by BlobType(dialect).
std::string RenderSql(std::string_view statement, SqlDialect dialect);

// What a migration records: run after its statements, in its transaction,
// with ?1 = version, ?2 = description.
inline constexpr std::string_view kRecordMigrationSql =
    "INSERT INTO schema_version (version, description) VALUES (?1, ?2)";
// The database's version (0 rows when the table does not exist yet).
inline constexpr std::string_view kSchemaVersionSql =
    "SELECT COALESCE(MAX(version), 0) FROM schema_version";

}  // namespace crashdrill::system

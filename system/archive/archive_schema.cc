#include "system/archive/archive_schema.h"

namespace crashdrill::system {
namespace {

// Version 1: the copies and what an operator queries about them. Ids are
// given by the archive (BIGINT PRIMARY KEY is no auto-increment in either
// engine). Times are ns since the epoch plus ISO-8601 UTC text for people;
// checksums are XXH3-64 stored as the signed 64-bit integer of the same bits.
constexpr std::string_view kCreateSchemaVersion = R"sql(
CREATE TABLE schema_version (
  version BIGINT PRIMARY KEY,
  description TEXT NOT NULL
))sql";

constexpr std::string_view kCreateArchivedCopies = R"sql(
CREATE TABLE archived_copies (
  id BIGINT PRIMARY KEY,
  state_seq BIGINT NOT NULL,
  state_schema_version BIGINT NOT NULL,
  checksum_xxh3 BIGINT NOT NULL,
  created_at_utc TEXT NOT NULL,
  created_at_ns BIGINT NOT NULL,
  state_time_ns BIGINT NOT NULL,
  document_bytes BIGINT NOT NULL,
  document {BLOB} NOT NULL
))sql";

constexpr std::string_view kCreatePositions = R"sql(
CREATE TABLE positions (
  copy_id BIGINT NOT NULL REFERENCES archived_copies (id),
  symbol TEXT NOT NULL,
  quantity_lots BIGINT NOT NULL,
  cost_minor BIGINT NOT NULL,
  realized_pnl_minor BIGINT NOT NULL,
  PRIMARY KEY (copy_id, symbol)
))sql";

constexpr std::string_view kCreateBalances = R"sql(
CREATE TABLE balances (
  copy_id BIGINT NOT NULL REFERENCES archived_copies (id),
  venue TEXT NOT NULL,
  currency TEXT NOT NULL,
  total_minor BIGINT NOT NULL,
  available_minor BIGINT NOT NULL,
  PRIMARY KEY (copy_id, venue, currency)
))sql";

constexpr std::string_view kCreateArchiveLog = R"sql(
CREATE TABLE archive_log (
  id BIGINT PRIMARY KEY,
  attempted_at_utc TEXT NOT NULL,
  attempted_at_ns BIGINT NOT NULL,
  state_seq BIGINT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed')),
  copy_id BIGINT,
  error TEXT NOT NULL
))sql";

// Version 2: notes on each attempt (what the copy holds, what failed), and
// the indexes retention and recovery search by.
constexpr std::string_view kAddLogNotes =
    "ALTER TABLE archive_log ADD COLUMN notes TEXT NOT NULL DEFAULT ''";
constexpr std::string_view kIndexCopiesBySeq =
    "CREATE INDEX archived_copies_by_state_seq ON archived_copies (state_seq)";
constexpr std::string_view kIndexCopiesByTime =
    "CREATE INDEX archived_copies_by_created_at ON archived_copies (created_at_ns)";

}  // namespace

const std::vector<ArchiveMigration>& ArchiveMigrations() {
  static const std::vector<ArchiveMigration> kMigrations = {
      {1,
       "copies, positions, balances and the attempt log",
       {kCreateSchemaVersion, kCreateArchivedCopies, kCreatePositions, kCreateBalances,
        kCreateArchiveLog}},
      {2,
       "attempt notes; indexes by state_seq and time",
       {kAddLogNotes, kIndexCopiesBySeq, kIndexCopiesByTime}},
  };
  return kMigrations;
}

std::string_view BlobType(SqlDialect dialect) {
  return dialect == SqlDialect::kPostgres ? "BYTEA" : "BLOB";
}

std::string RenderSql(std::string_view statement, SqlDialect dialect) {
  constexpr std::string_view kPlaceholder = "{BLOB}";
  std::string out(statement);
  for (size_t at = out.find(kPlaceholder); at != std::string::npos;
       at = out.find(kPlaceholder, at)) {
    out.replace(at, kPlaceholder.size(), BlobType(dialect));
  }
  if (dialect == SqlDialect::kPostgres) {
    for (char& c : out) {
      if (c == '?') c = '$';
    }
  }
  return out;
}

}  // namespace crashdrill::system

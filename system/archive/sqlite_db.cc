#include "system/archive/sqlite_db.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include "system/io/check.h"

namespace crashdrill::system {
namespace {

StatusCode CodeOf(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return StatusCode::kNoSpace;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kCorruption;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return StatusCode::kIoError;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
      return StatusCode::kInternal;  // our SQL broke a rule of our own schema
    default:
      return StatusCode::kFailedPrecondition;
  }
}

}  // namespace

// --- SqliteStatement ---------------------------------------------------------

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_), statement_(other.statement_), step_(std::move(other.step_)) {
  other.statement_ = nullptr;
}

SqliteStatement::~SqliteStatement() {
  if (statement_ != nullptr) sqlite3_finalize(statement_);
}

void SqliteStatement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(statement_, index, value);
}

void SqliteStatement::BindText(int index, std::string_view text) {
  sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void SqliteStatement::BindBlob(int index, ByteSpan bytes) {
  // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
  static const std::byte kEmpty{};
  sqlite3_bind_blob64(statement_, index, bytes.empty() ? &kEmpty : bytes.data(), bytes.size(),
                      SQLITE_TRANSIENT);
}

void SqliteStatement::BindNull(int index) { sqlite3_bind_null(statement_, index); }

Result<bool> SqliteStatement::Step() {
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(rc, step_);
}

Status SqliteStatement::Run() {
  for (;;) {
    CD_ASSIGN_OR_RETURN(const bool row, Step());
    if (!row) {
      sqlite3_reset(statement_);  // ready to run again with new bindings
      return Status::Ok();
    }
  }
}

int64_t SqliteStatement::Int(int column) const { return sqlite3_column_int64(statement_, column); }

bool SqliteStatement::IsNull(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

std::string SqliteStatement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_, column);
  const int bytes = sqlite3_column_bytes(statement_, column);
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text), bytes);
}

ByteSpan SqliteStatement::Blob(int column) const {
  const void* data = sqlite3_column_blob(statement_, column);
  const int bytes = sqlite3_column_bytes(statement_, column);
  if (data == nullptr) return {};
  return {static_cast<const std::byte*>(data), static_cast<size_t>(bytes)};
}

// --- SqliteDb ----------------------------------------------------------------

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(SqliteVfs& vfs, const std::string& path) {
  vfs.ClearLastError();
  sqlite3* handle = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                 vfs.name().c_str());
  std::unique_ptr<SqliteDb> db(new SqliteDb(vfs, path, handle));
  if (rc != SQLITE_OK) {
    Status error = db->Error(rc, "open the database");
    db->SkipCheckpointOnClose();
    return error;
  }
  sqlite3_extended_result_codes(handle, 1);
  return db;
}

SqliteDb::~SqliteDb() {
  // Every statement is finalized by its owner before this (they are scoped
  // to the functions that prepare them), so close cannot be refused.
  const int rc = sqlite3_close(db_);
  CD_CHECK(rc == SQLITE_OK, "an archive connection closed with statements still open");
}

void SqliteDb::SkipCheckpointOnClose() {
  if (db_ != nullptr) sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
}

Status SqliteDb::Exec(std::string_view sql, std::string_view step) {
  vfs_.ClearLastError();
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, step);
  return Status::Ok();
}

Result<SqliteStatement> SqliteDb::Prepare(std::string_view sql, std::string_view step) {
  vfs_.ClearLastError();
  sqlite3_stmt* statement = nullptr;
  const int rc =
      sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &statement, nullptr);
  if (rc != SQLITE_OK) {
    if (statement != nullptr) sqlite3_finalize(statement);
    return Error(rc, step);
  }
  return SqliteStatement(*this, statement, std::string(step));
}

Result<int64_t> SqliteDb::QueryInt(std::string_view sql, std::string_view step, int64_t if_no_row) {
  CD_ASSIGN_OR_RETURN(SqliteStatement query, Prepare(sql, step));
  CD_ASSIGN_OR_RETURN(const bool row, query.Step());
  return row ? query.Int(0) : if_no_row;
}

Status SqliteDb::Error(int rc, std::string_view step) const {
  const char* sqlite_message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  const Status& fs_error = vfs_.last_error();
  std::string message = fmt::format("{} (sqlite code {})", sqlite_message, rc);
  if (!fs_error.ok()) message += "; file system: " + fs_error.ToString();
  const StatusCode code = (rc & 0xff) == SQLITE_FULL ? StatusCode::kNoSpace
                          : !fs_error.ok()           ? fs_error.code()
                                                     : CodeOf(rc);
  Status status = Status::Error(code, step, path_, message);
  if (fs_error.injected()) status.MarkInjected();
  return status;
}

}  // namespace crashdrill::system

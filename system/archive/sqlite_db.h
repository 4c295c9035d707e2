// SqliteDb and SqliteStatement: one SQLite connection opened through a
// SqliteVfs, with errors as Status values that name the database path, the
// step that failed, SQLite's message and the Fs error underneath it (the
// file, the operation, the errno). No durability promise of its own: that is
// the pragmas the caller sets and the VFS's contract.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "system/archive/sqlite_vfs.h"
#include "system/io/fs.h"

struct sqlite3;
struct sqlite3_stmt;

namespace crashdrill::system {

class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Parameters are 1-based, as in SQL text (?1, ?2, ...).
  void Bind(int index, int64_t value);
  void BindText(int index, std::string_view text);
  void BindBlob(int index, ByteSpan bytes);
  void BindNull(int index);

  // Steps once: true with a row to read, false when done.
  Result<bool> Step();
  // Steps to the end (for statements that return no rows).
  Status Run();

  // Columns are 0-based; valid until the next Step.
  int64_t Int(int column) const;
  bool IsNull(int column) const;
  std::string Text(int column) const;
  ByteSpan Blob(int column) const;

 private:
  friend class SqliteDb;
  SqliteStatement(class SqliteDb& db, sqlite3_stmt* statement, std::string step)
      : db_(&db), statement_(statement), step_(std::move(step)) {}
  SqliteDb* db_;
  sqlite3_stmt* statement_;
  std::string step_;
};

class SqliteDb {
 public:
  // Opens (creating if needed) `path` through `vfs`. Sets no pragma.
  static Result<std::unique_ptr<SqliteDb>> Open(SqliteVfs& vfs, const std::string& path);
  // Closes the connection. SQLite checkpoints the WAL on close unless
  // SkipCheckpointOnClose() was called.
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // After a failure, close without writing anything more: the next open
  // recovers from the WAL as after a crash.
  void SkipCheckpointOnClose();

  // Runs SQL that returns no rows (may hold several statements).
  Status Exec(std::string_view sql, std::string_view step);
  Result<SqliteStatement> Prepare(std::string_view sql, std::string_view step);
  // The first column of the first row of `sql` (`if_no_row` when it returns
  // none), with the statement finished before it returns: a statement left
  // stepped holds a read transaction open, and while one is open no WAL
  // checkpoint can complete.
  Result<int64_t> QueryInt(std::string_view sql, std::string_view step, int64_t if_no_row = 0);

  // The Status of SQLite result code `rc` in `step`: the archive's path, the
  // step, SQLite's message and the last Fs error of the VFS. A full disk is
  // kNoSpace, a malformed file kCorruption, an Fs error keeps its code and
  // its injected mark.
  Status Error(int rc, std::string_view step) const;

  const std::string& path() const { return path_; }
  SqliteVfs& vfs() const { return vfs_; }

 private:
  SqliteDb(SqliteVfs& vfs, std::string path, sqlite3* db)
      : vfs_(vfs), path_(std::move(path)), db_(db) {}
  SqliteVfs& vfs_;
  std::string path_;
  sqlite3* db_;
};

}  // namespace crashdrill::system

// SqliteVfs: a SQLite VFS whose every file operation goes through a
// system::Fs, so the L4 archive crashes on SimDisk like every other level and
// runs on PosixFs in production. It promises SQLite nothing about the device
// (xDeviceCharacteristics 0: no atomic write, no safe append, no powersafe
// overwrite), so SQLite pads and syncs as for the worst disk.
//
// Durability contract: xSync is File::Sync (fdatasync); a file this VFS
// created has its parent directory synced on its first xSync (SQLite's unix
// VFS does so only for journals; the archive's database file is created here
// too), and xDelete(syncDir) syncs the parent after the unlink. A file that
// already exists is synced, with its directory, when it is opened for
// writing: after a process crash its last writes may be in the page cache
// only, and SQLite treats them as its base (found by the two-crash sweep).
//
// Locking: the lock methods succeed without locking anything. The archive
// runs with `PRAGMA locking_mode=EXCLUSIVE` (so WAL mode keeps its wal-index in
// heap memory and needs no xShm* methods) and one connection per database in
// one process; this VFS enforces the latter by refusing a second open of a
// database file of the same Fs that is already open through any SqliteVfs.
//
// Registration: each SqliteVfs registers itself under a name of its own
// ("crashdrill-fs-<n>"), never as the default VFS, and unregisters on
// destruction. One registration per Fs keeps the Fs pointer in the VFS's
// pAppData, where SQLite hands it to every call, with no table to look it up
// in. Not thread-safe: one thread uses the VFS and its connections.
#pragma once

#include <memory>
#include <string>

#include "system/io/fs.h"

struct sqlite3_vfs;

namespace crashdrill::system {

class SqliteVfs {
 public:
  // `fs` must outlive this object and every connection opened through it.
  explicit SqliteVfs(Fs& fs);
  ~SqliteVfs();
  SqliteVfs(const SqliteVfs&) = delete;
  SqliteVfs& operator=(const SqliteVfs&) = delete;

  // The name to pass to sqlite3_open_v2.
  const std::string& name() const { return name_; }
  Fs& fs() const { return fs_; }

  // The last error the Fs returned to a VFS call (OK when none since
  // ClearLastError): it names the file, the operation and the errno, which the
  // SQLite error code alone does not.
  const Status& last_error() const { return last_error_; }
  void ClearLastError() { last_error_ = Status::Ok(); }

  // Called by the VFS callbacks (sqlite_vfs.cc); not for other users.
  void SetLastError(Status status) { last_error_ = std::move(status); }
  // Process-wide, by (Fs, path): false if the database is open already.
  bool ClaimDatabase(const std::string& path);
  void ReleaseDatabase(const std::string& path);

 private:
  Fs& fs_;
  std::string name_;
  std::unique_ptr<sqlite3_vfs> vfs_;
  Status last_error_;
  size_t open_databases_ = 0;
};

}  // namespace crashdrill::system

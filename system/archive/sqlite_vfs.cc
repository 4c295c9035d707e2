#include "system/archive/sqlite_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <set>
#include <utility>

#include "system/io/check.h"

namespace crashdrill::system {
namespace {

constexpr int kSectorBytes = 4096;
constexpr int kMaxPathBytes = 1024;

// What an open sqlite3_file holds. SQLite allocates the sqlite3_file itself
// (szOsFile bytes, never constructed), so the C++ state lives on the heap.
struct OpenFile {
  SqliteVfs* owner = nullptr;
  std::unique_ptr<File> file;
  std::string path;
  bool main_database = false;  // claimed in the owner's open set
  bool delete_on_close = false;
  bool sync_dir_pending = false;  // created here: its entry is durable after the first xSync
};

struct VfsFile {
  sqlite3_file base;  // first: SQLite sees only this
  OpenFile* open;
};

SqliteVfs& Owner(sqlite3_vfs* vfs) { return *static_cast<SqliteVfs*>(vfs->pAppData); }
OpenFile& Open(sqlite3_file* file) { return *reinterpret_cast<VfsFile*>(file)->open; }
sqlite3_vfs& DefaultVfs() {
  sqlite3_vfs* vfs = sqlite3_vfs_find(nullptr);
  CD_CHECK(vfs != nullptr, "SQLite has no default VFS to delegate to");
  return *vfs;
}

// Records a failed Fs status and returns the SQLite code for it: a full disk
// is SQLITE_FULL (SQLite then says "database or disk is full"), anything else
// the I/O error code of the step.
int Fail(SqliteVfs& owner, Status status, int io_error_code) {
  const int code = status.IsNoSpace() ? SQLITE_FULL : io_error_code;
  owner.SetLastError(std::move(status));
  return code;
}

// --- sqlite3_io_methods ----------------------------------------------------

int Close(sqlite3_file* base) {
  auto* vfs_file = reinterpret_cast<VfsFile*>(base);
  std::unique_ptr<OpenFile> open(vfs_file->open);
  vfs_file->open = nullptr;
  if (open == nullptr) return SQLITE_OK;
  open->file.reset();
  if (open->main_database) open->owner->ReleaseDatabase(open->path);
  if (open->delete_on_close) {
    Status unlinked = open->owner->fs().Unlink(open->path);
    if (!unlinked.ok()) return Fail(*open->owner, std::move(unlinked), SQLITE_IOERR_DELETE);
  }
  return SQLITE_OK;
}

int Read(sqlite3_file* base, void* out, int amount, sqlite3_int64 offset) {
  OpenFile& open = Open(base);
  auto* bytes = static_cast<std::byte*>(out);
  Result<size_t> read =
      open.file->ReadAt(static_cast<uint64_t>(offset), {bytes, static_cast<size_t>(amount)});
  if (!read.ok()) return Fail(*open.owner, read.status(), SQLITE_IOERR_READ);
  if (*read < static_cast<size_t>(amount)) {
    // The contract of xRead: a short read zero-fills the rest of the buffer.
    std::fill(bytes + *read, bytes + amount, std::byte{0});
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

int Write(sqlite3_file* base, const void* data, int amount, sqlite3_int64 offset) {
  OpenFile& open = Open(base);
  Status written =
      open.file->WriteAt(static_cast<uint64_t>(offset),
                         {static_cast<const std::byte*>(data), static_cast<size_t>(amount)});
  if (!written.ok()) return Fail(*open.owner, std::move(written), SQLITE_IOERR_WRITE);
  return SQLITE_OK;
}

int Truncate(sqlite3_file* base, sqlite3_int64 size) {
  OpenFile& open = Open(base);
  Status truncated = open.file->Truncate(static_cast<uint64_t>(size));
  if (!truncated.ok()) return Fail(*open.owner, std::move(truncated), SQLITE_IOERR_TRUNCATE);
  return SQLITE_OK;
}

// SQLITE_SYNC_NORMAL, FULL and DATAONLY all become File::Sync (fdatasync),
// which makes the size durable too; a file created here also gets its
// directory entry synced, once.
int Sync(sqlite3_file* base, int /*flags*/) {
  OpenFile& open = Open(base);
  Status synced = open.file->Sync();
  if (!synced.ok()) return Fail(*open.owner, std::move(synced), SQLITE_IOERR_FSYNC);
  if (open.sync_dir_pending) {
    Status dir_synced = open.owner->fs().SyncDir(ParentDir(open.path));
    if (!dir_synced.ok()) return Fail(*open.owner, std::move(dir_synced), SQLITE_IOERR_DIR_FSYNC);
    open.sync_dir_pending = false;
  }
  return SQLITE_OK;
}

int FileSize(sqlite3_file* base, sqlite3_int64* size) {
  OpenFile& open = Open(base);
  Result<uint64_t> bytes = open.file->Size();
  if (!bytes.ok()) return Fail(*open.owner, bytes.status(), SQLITE_IOERR_FSTAT);
  *size = static_cast<sqlite3_int64>(*bytes);
  return SQLITE_OK;
}

// Locks: nothing to do (see the header: EXCLUSIVE locking mode, one connection).
int Lock(sqlite3_file*, int) { return SQLITE_OK; }
int Unlock(sqlite3_file*, int) { return SQLITE_OK; }
int CheckReservedLock(sqlite3_file*, int* reserved) {
  *reserved = 0;
  return SQLITE_OK;
}
int FileControl(sqlite3_file*, int, void*) { return SQLITE_NOTFOUND; }
int SectorSize(sqlite3_file*) { return kSectorBytes; }
int DeviceCharacteristics(sqlite3_file*) { return 0; }  // promises nothing

// Version 1: no xShm* (the wal-index lives in heap memory under EXCLUSIVE
// locking mode) and no memory mapping.
constexpr sqlite3_io_methods kIoMethods = {
    1,
    Close,
    Read,
    Write,
    Truncate,
    Sync,
    FileSize,
    Lock,
    Unlock,
    CheckReservedLock,
    FileControl,
    SectorSize,
    DeviceCharacteristics,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

// --- sqlite3_vfs -------------------------------------------------------------

int OpenFileCallback(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* base, int flags,
                     int* out_flags) {
  SqliteVfs& owner = Owner(vfs);
  auto* vfs_file = reinterpret_cast<VfsFile*>(base);
  vfs_file->base.pMethods = nullptr;  // until the open succeeds: no xClose then
  vfs_file->open = nullptr;
  if (name == nullptr) {
    // Anonymous temporary files: the archive runs with temp_store=MEMORY, so
    // SQLite asks for none; refuse rather than put them on the archive's Fs.
    owner.SetLastError(Status::Error(StatusCode::kInvalidArgument, "sqlite open", "(temporary)",
                                     "temporary files must stay in memory (temp_store=MEMORY)"));
    return SQLITE_CANTOPEN;
  }
  auto open = std::make_unique<OpenFile>();
  open->owner = &owner;
  open->path = name;
  const bool create = (flags & SQLITE_OPEN_CREATE) != 0;
  const bool read_only = (flags & SQLITE_OPEN_READONLY) != 0;
  if ((flags & SQLITE_OPEN_MAIN_DB) != 0) {
    if (!owner.ClaimDatabase(open->path)) {
      owner.SetLastError(Status::Error(StatusCode::kFailedPrecondition, "sqlite open", open->path,
                                       "the database is already open in this process (the VFS "
                                       "does not lock; one connection per database)"));
      return SQLITE_CANTOPEN;
    }
    open->main_database = true;
  }
  bool existed = true;
  if (create) {
    Result<bool> exists = owner.fs().Exists(open->path);
    if (!exists.ok()) {
      if (open->main_database) owner.ReleaseDatabase(open->path);
      return Fail(owner, exists.status(), SQLITE_CANTOPEN);
    }
    existed = *exists;
  }
  OpenOptions options{
      .create = create, .exclusive = (flags & SQLITE_OPEN_EXCLUSIVE) != 0, .read_only = read_only};
  Result<std::unique_ptr<File>> file = owner.fs().Open(open->path, options);
  if (!file.ok()) {
    if (open->main_database) owner.ReleaseDatabase(open->path);
    return Fail(owner, file.status(), SQLITE_CANTOPEN);
  }
  open->file = std::move(*file);
  open->delete_on_close = (flags & SQLITE_OPEN_DELETEONCLOSE) != 0;
  open->sync_dir_pending = !existed;
  if (existed && !read_only) {
    // A process that crashed may have left this file's writes (and its
    // directory entry) in the page cache only; SQLite is about to build on
    // them, so they are made durable first, or a later power loss could take
    // away what the commits of this process rest on.
    Status synced = open->file->Sync();
    if (synced.ok()) synced = owner.fs().SyncDir(ParentDir(open->path));
    if (!synced.ok()) {
      if (open->main_database) owner.ReleaseDatabase(open->path);
      return Fail(owner, std::move(synced), SQLITE_CANTOPEN);
    }
  }
  if (out_flags != nullptr) *out_flags = flags;
  vfs_file->open = open.release();
  vfs_file->base.pMethods = &kIoMethods;
  return SQLITE_OK;
}

int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  SqliteVfs& owner = Owner(vfs);
  Status unlinked = owner.fs().Unlink(name);
  if (unlinked.IsNotFound()) return SQLITE_IOERR_DELETE_NOENT;
  if (!unlinked.ok()) return Fail(owner, std::move(unlinked), SQLITE_IOERR_DELETE);
  if (sync_dir != 0) {
    Status synced = owner.fs().SyncDir(ParentDir(name));
    if (!synced.ok()) return Fail(owner, std::move(synced), SQLITE_IOERR_DIR_FSYNC);
  }
  return SQLITE_OK;
}

// Existence is all the Fs can tell; a file that exists is taken as readable
// and writable (the Fs has no permissions of its own).
int Access(sqlite3_vfs* vfs, const char* name, int /*flags*/, int* result) {
  SqliteVfs& owner = Owner(vfs);
  Result<bool> exists = owner.fs().Exists(name);
  if (!exists.ok()) return Fail(owner, exists.status(), SQLITE_IOERR_ACCESS);
  *result = *exists ? 1 : 0;
  return SQLITE_OK;
}

// An absolute path is the Fs's own name and is passed through unchanged: the
// default VFS would resolve symlinks on the real file system, which a
// simulated disk does not share. A relative one is resolved by the default VFS.
int FullPathname(sqlite3_vfs*, const char* name, int out_bytes, char* out) {
  if (name[0] != '/') return DefaultVfs().xFullPathname(&DefaultVfs(), name, out_bytes, out);
  const size_t length = std::strlen(name);
  if (length + 1 > static_cast<size_t>(out_bytes)) return SQLITE_CANTOPEN;
  std::memcpy(out, name, length + 1);
  return SQLITE_OK;
}

// Loading extensions, randomness, sleeping and the time: the default VFS's.
void* DlOpen(sqlite3_vfs*, const char* name) { return DefaultVfs().xDlOpen(&DefaultVfs(), name); }
void DlError(sqlite3_vfs*, int bytes, char* out) {
  DefaultVfs().xDlError(&DefaultVfs(), bytes, out);
}
void (*DlSym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return DefaultVfs().xDlSym(&DefaultVfs(), handle, symbol);
}
void DlClose(sqlite3_vfs*, void* handle) { DefaultVfs().xDlClose(&DefaultVfs(), handle); }
int Randomness(sqlite3_vfs*, int bytes, char* out) {
  return DefaultVfs().xRandomness(&DefaultVfs(), bytes, out);
}
int Sleep(sqlite3_vfs*, int micros) { return DefaultVfs().xSleep(&DefaultVfs(), micros); }
int CurrentTime(sqlite3_vfs*, double* out) { return DefaultVfs().xCurrentTime(&DefaultVfs(), out); }
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  sqlite3_vfs& fallback = DefaultVfs();
  if (fallback.iVersion >= 2 && fallback.xCurrentTimeInt64 != nullptr) {
    return fallback.xCurrentTimeInt64(&fallback, out);
  }
  double days = 0;
  const int rc = fallback.xCurrentTime(&fallback, &days);
  *out = static_cast<sqlite3_int64>(days * 86'400'000.0);
  return rc;
}
int GetLastError(sqlite3_vfs* vfs, int bytes, char* out) {
  const Status& last = Owner(vfs).last_error();
  if (bytes > 0) {
    const std::string text = last.ToString();
    const size_t n = std::min(text.size(), static_cast<size_t>(bytes - 1));
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
  }
  return last.error_number();
}

std::atomic<uint64_t> next_vfs_number{1};

// The databases open through any SqliteVfs, by Fs and path.
std::mutex open_databases_mutex;
std::set<std::pair<const Fs*, std::string>>& OpenDatabases() {
  static std::set<std::pair<const Fs*, std::string>> open;
  return open;
}

}  // namespace

bool SqliteVfs::ClaimDatabase(const std::string& path) {
  std::lock_guard<std::mutex> lock(open_databases_mutex);
  if (!OpenDatabases().emplace(&fs_, path).second) return false;
  ++open_databases_;
  return true;
}

void SqliteVfs::ReleaseDatabase(const std::string& path) {
  std::lock_guard<std::mutex> lock(open_databases_mutex);
  if (OpenDatabases().erase({&fs_, path}) > 0) --open_databases_;
}

SqliteVfs::SqliteVfs(Fs& fs)
    : fs_(fs), name_("crashdrill-fs-" + std::to_string(next_vfs_number++)) {
  vfs_ = std::make_unique<sqlite3_vfs>();
  *vfs_ = sqlite3_vfs{};
  vfs_->iVersion = 2;
  vfs_->szOsFile = sizeof(VfsFile);
  vfs_->mxPathname = kMaxPathBytes;
  vfs_->zName = name_.c_str();
  vfs_->pAppData = this;
  vfs_->xOpen = OpenFileCallback;
  vfs_->xDelete = Delete;
  vfs_->xAccess = Access;
  vfs_->xFullPathname = FullPathname;
  vfs_->xDlOpen = DlOpen;
  vfs_->xDlError = DlError;
  vfs_->xDlSym = DlSym;
  vfs_->xDlClose = DlClose;
  vfs_->xRandomness = Randomness;
  vfs_->xSleep = Sleep;
  vfs_->xCurrentTime = CurrentTime;
  vfs_->xGetLastError = GetLastError;
  vfs_->xCurrentTimeInt64 = CurrentTimeInt64;
  const int rc = sqlite3_vfs_register(vfs_.get(), /*makeDflt=*/0);
  CD_CHECK(rc == SQLITE_OK, "sqlite3_vfs_register failed");
}

SqliteVfs::~SqliteVfs() {
  CD_CHECK(open_databases_ == 0, "a SqliteVfs outlived by a connection it serves");
  sqlite3_vfs_unregister(vfs_.get());
}

}  // namespace crashdrill::system

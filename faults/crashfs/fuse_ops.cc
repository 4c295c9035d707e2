// FUSE request handlers of the crashfs daemon. Every reply carries zero timeouts so the
// kernel asks again after a power loss rather than trusting what it cached.
#include "faults/crashfs/fuse_ops.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace crashdrill::faults::crashfs {

using system::Result;
using system::Status;

namespace {

FuseContext& Context(fuse_req_t req) { return *static_cast<FuseContext*>(fuse_req_userdata(req)); }

struct stat StatOf(const FuseContext& context, const Attr& attr) {
  struct stat st {};
  st.st_ino = attr.ino;
  st.st_mode = attr.is_dir ? (S_IFDIR | 0755) : (S_IFREG | 0644);
  st.st_nlink = attr.is_dir ? 2 : 1;
  st.st_size = static_cast<off_t>(attr.size);
  st.st_blksize = 4096;
  st.st_blocks = static_cast<blkcnt_t>((attr.size + 511) / 512);
  st.st_uid = getuid();
  st.st_gid = getgid();
  st.st_atime = st.st_mtime = st.st_ctime = context.started;
  return st;
}

void ReplyStatus(fuse_req_t req, const Status& status) {
  fuse_reply_err(req, status.ok() ? 0 : ErrnoOf(status));
}

void ReplyEntry(fuse_req_t req, const Result<Attr>& attr) {
  if (!attr.ok()) return ReplyStatus(req, attr.status());
  fuse_entry_param entry{};
  entry.ino = attr->ino;
  entry.generation = 1;
  entry.attr = StatOf(Context(req), *attr);
  fuse_reply_entry(req, &entry);
}

void ReplyAttr(fuse_req_t req, const Result<Attr>& attr) {
  if (!attr.ok()) return ReplyStatus(req, attr.status());
  const struct stat st = StatOf(Context(req), *attr);
  fuse_reply_attr(req, &st, 0.0);
}

void Init(void* /*userdata*/, fuse_conn_info* conn) {
  // PITFALLS: with writeback_cache, writes reach us ~30 s late and the kernel keeps its own
  // idea of the size; unsynced data must be ours the moment write() returns.
  conn->want &= ~static_cast<unsigned>(FUSE_CAP_WRITEBACK_CACHE);
}

void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  ReplyEntry(req, Context(req).fs->Lookup(parent, name));
}

void Forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  Context(req).fs->Forget(ino, nlookup);
  fuse_reply_none(req);
}

void ForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i) Context(req).fs->Forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void GetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* /*fi*/) {
  ReplyAttr(req, Context(req).fs->GetAttr(ino));
}

// Only the size is kept; modes, owners and times are accepted and forgotten.
void SetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
             fuse_file_info* /*fi*/) {
  CrashFs& fs = *Context(req).fs;
  if ((to_set & FUSE_SET_ATTR_SIZE) != 0) {
    return ReplyAttr(req, fs.Truncate(ino, static_cast<uint64_t>(attr->st_size)));
  }
  ReplyAttr(req, fs.GetAttr(ino));
}

void MakeDir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t /*mode*/) {
  ReplyEntry(req, Context(req).fs->MakeDir(parent, name));
}

void Unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  ReplyStatus(req, Context(req).fs->Unlink(parent, name));
}

void RemoveDir(fuse_req_t req, fuse_ino_t /*parent*/, const char* /*name*/) {
  fuse_reply_err(req, EOPNOTSUPP);  // SimDisk has no rmdir
}

void Rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
            const char* new_name, unsigned int flags) {
  if ((flags & ~static_cast<unsigned>(RENAME_NOREPLACE)) != 0) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  ReplyStatus(req, Context(req).fs->Rename(parent, name, new_parent, new_name,
                                           (flags & RENAME_NOREPLACE) != 0));
}

void Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t /*mode*/,
            fuse_file_info* fi) {
  const Result<Attr> attr = Context(req).fs->Create(parent, name, (fi->flags & O_EXCL) != 0);
  if (!attr.ok()) return ReplyStatus(req, attr.status());
  fuse_entry_param entry{};
  entry.ino = attr->ino;
  entry.generation = 1;
  entry.attr = StatOf(Context(req), *attr);
  fi->keep_cache = 0;
  fi->direct_io = 0;
  if (fuse_reply_create(req, &entry, fi) != 0) Context(req).fs->Release(attr->ino);
}

void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  const Status opened = Context(req).fs->OpenFile(ino, (fi->flags & O_TRUNC) != 0);
  if (!opened.ok()) return ReplyStatus(req, opened);
  fi->keep_cache = 0;  // a fresh open re-reads: nothing cached survives a power loss
  fi->direct_io = 0;   // PITFALLS: direct_io breaks shared writable mmap (and SQLite's WAL)
  if (fuse_reply_open(req, fi) != 0) Context(req).fs->Release(ino);
}

void Read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* /*fi*/) {
  std::vector<std::byte> buffer(size);
  const Result<size_t> n =
      Context(req).fs->Read(ino, static_cast<uint64_t>(offset), system::MutableByteSpan(buffer));
  if (!n.ok()) return ReplyStatus(req, n.status());
  fuse_reply_buf(req, reinterpret_cast<const char*>(buffer.data()), *n);
}

void Write(fuse_req_t req, fuse_ino_t ino, const char* data, size_t size, off_t offset,
           fuse_file_info* /*fi*/) {
  const Status written = Context(req).fs->Write(ino, static_cast<uint64_t>(offset),
                                                {reinterpret_cast<const std::byte*>(data), size});
  if (!written.ok()) return ReplyStatus(req, written);
  fuse_reply_write(req, size);
}

void Flush(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* /*fi*/) { fuse_reply_err(req, 0); }

void Release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* /*fi*/) {
  Context(req).fs->Release(ino);
  fuse_reply_err(req, 0);
}

void Fsync(fuse_req_t req, fuse_ino_t ino, int /*datasync*/, fuse_file_info* /*fi*/) {
  ReplyStatus(req, Context(req).fs->Sync(ino));
}

void OpenDir(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* fi) { fuse_reply_open(req, fi); }

void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* /*fi*/) {
  FuseContext& context = Context(req);
  const Result<std::vector<DirEntry>> listed = context.fs->ReadDir(ino);
  if (!listed.ok()) return ReplyStatus(req, listed.status());
  std::vector<DirEntry> entries = {{".", {.ino = ino, .is_dir = true}},
                                   {"..", {.ino = kRootIno, .is_dir = true}}};
  entries.insert(entries.end(), listed->begin(), listed->end());
  std::vector<char> buffer(size);
  size_t used = 0;
  for (size_t i = static_cast<size_t>(offset); i < entries.size(); ++i) {
    const struct stat st = StatOf(context, entries[i].attr);
    const size_t need = fuse_add_direntry(req, buffer.data() + used, size - used,
                                          entries[i].name.c_str(), &st, static_cast<off_t>(i + 1));
    if (need > size - used) break;
    used += need;
  }
  fuse_reply_buf(req, buffer.data(), used);
}

void ReleaseDir(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* /*fi*/) {
  fuse_reply_err(req, 0);
}

void FsyncDir(fuse_req_t req, fuse_ino_t ino, int /*datasync*/, fuse_file_info* /*fi*/) {
  ReplyStatus(req, Context(req).fs->SyncDir(ino));
}

void StatFs(fuse_req_t req, fuse_ino_t /*ino*/) {
  struct statvfs st {};
  const uint64_t free_blocks = Context(req).fs->free_bytes() / 4096;
  st.f_bsize = st.f_frsize = 4096;
  st.f_blocks = free_blocks;  // SimDisk tracks free space only
  st.f_bfree = st.f_bavail = free_blocks;
  st.f_namemax = 255;
  fuse_reply_statfs(req, &st);
}

// posix_fallocate(3) falls back to tiny writes when this is missing (PITFALLS): mode 0 only.
void Fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
               fuse_file_info* /*fi*/) {
  if (mode != 0) {
    fuse_reply_err(req, EOPNOTSUPP);
    return;
  }
  ReplyStatus(req, Context(req).fs->Allocate(ino, static_cast<uint64_t>(offset),
                                             static_cast<uint64_t>(length)));
}

}  // namespace

fuse_lowlevel_ops MakeFuseOps() {
  fuse_lowlevel_ops ops{};
  ops.init = Init;
  ops.lookup = Lookup;
  ops.forget = Forget;
  ops.forget_multi = ForgetMulti;
  ops.getattr = GetAttr;
  ops.setattr = SetAttr;
  ops.mkdir = MakeDir;
  ops.unlink = Unlink;
  ops.rmdir = RemoveDir;
  ops.rename = Rename;
  ops.create = Create;
  ops.open = Open;
  ops.read = Read;
  ops.write = Write;
  ops.flush = Flush;
  ops.release = Release;
  ops.fsync = Fsync;
  ops.opendir = OpenDir;
  ops.readdir = ReadDir;
  ops.releasedir = ReleaseDir;
  ops.fsyncdir = FsyncDir;
  ops.statfs = StatFs;
  ops.fallocate = Fallocate;
  return ops;
}

}  // namespace crashdrill::faults::crashfs

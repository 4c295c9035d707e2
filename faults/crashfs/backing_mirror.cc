// BackingMirror: write-through of a SimDisk's durable image to a real directory.
#include "faults/crashfs/backing_mirror.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <vector>

namespace crashdrill::faults::crashfs {

using system::Status;

namespace {

constexpr std::string_view kTmpPrefix = ".crashfs-tmp-";

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status PwriteAll(int fd, const std::byte* data, uint64_t size, uint64_t offset,
                 const std::string& path) {
  while (size > 0) {
    const ssize_t n = pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "crashfs backing write", path);
    data += n;
    size -= static_cast<uint64_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status ReadAll(const std::string& path, std::vector<std::byte>& out) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno(errno, "crashfs backing load", path);
  std::byte buffer[1 << 16];
  for (;;) {
    const ssize_t n = read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "crashfs backing load", path);
    if (n == 0) return Status::Ok();
    out.insert(out.end(), buffer, buffer + n);
  }
}

}  // namespace

void DirtyRanges::Add(uint64_t begin, uint64_t end) {
  if (begin >= end) return;
  auto it = ranges_.upper_bound(begin);
  if (it != ranges_.begin() && std::prev(it)->second >= begin) --it;
  while (it != ranges_.end() && it->first <= end) {
    begin = std::min(begin, it->first);
    end = std::max(end, it->second);
    it = ranges_.erase(it);
  }
  ranges_[begin] = end;
}

void DirtyRanges::Truncated(uint64_t size) { cut_size_ = std::min(cut_size_, size); }

Status BackingMirror::Load(SimDisk& disk) {
  disk.SetUncounted(true);
  Status status = LoadDir(disk, "/");
  if (status.ok()) {
    for (const auto& [path, entry] : disk.names()) {
      if (entry.is_dir && status.ok()) status = disk.SyncDir(path);
    }
    if (status.ok()) status = disk.SyncDir("/");
  }
  disk.SetUncounted(false);
  mirrored_ = disk.durable_names();
  return status;
}

Status BackingMirror::LoadDir(SimDisk& disk, const std::string& path) {
  DIR* dir = opendir(Real(path).c_str());
  if (dir == nullptr) return Status::FromErrno(errno, "crashfs backing opendir", Real(path));
  std::vector<std::pair<std::string, bool>> children;
  while (dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    const std::string child = system::JoinPath(path, name);
    if (lstat(Real(child).c_str(), &st) != 0) continue;
    if (name.starts_with(kTmpPrefix)) {
      unlink(Real(child).c_str());  // a reconcile died between its two renames
      continue;
    }
    if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))
      children.emplace_back(child, S_ISDIR(st.st_mode));
  }
  closedir(dir);
  for (const auto& [child, is_dir] : children) {
    if (is_dir) {
      CD_RETURN_IF_ERROR(disk.MakeDir(child));
      CD_RETURN_IF_ERROR(LoadDir(disk, child));
      continue;
    }
    std::vector<std::byte> bytes;
    CD_RETURN_IF_ERROR(ReadAll(Real(child), bytes));
    CD_ASSIGN_OR_RETURN(std::unique_ptr<system::File> file,
                        disk.Open(child, system::OpenOptions::CreateNew()));
    CD_RETURN_IF_ERROR(file->WriteAt(0, bytes));
    CD_RETURN_IF_ERROR(file->Sync());
  }
  return Status::Ok();
}

const std::string* BackingMirror::DurablePathOf(const SimDisk& disk, uint64_t inode) const {
  for (const auto& [path, entry] : mirrored_) {
    if (!entry.is_dir && entry.inode == inode) return &path;
  }
  (void)disk;
  return nullptr;
}

Status BackingMirror::SyncRealDir(const std::string& path) {
  Fd fd(open(Real(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || fsync(fd.get()) != 0) {
    return Status::FromErrno(errno, "crashfs backing fsyncdir", Real(path));
  }
  return Status::Ok();
}

Status BackingMirror::WriteWhole(const SimDisk& disk, const std::string& path, uint64_t inode) {
  const std::vector<std::byte>* bytes = disk.DurableBytes(inode);
  if (bytes == nullptr) {
    return Status::Error(system::StatusCode::kInternal, "crashfs backing write", path,
                         "durable name without an inode");
  }
  const std::string tmp = system::JoinPath(system::ParentDir(path),
                                           std::string(kTmpPrefix) + std::to_string(next_tmp_++));
  {
    Fd fd(open(Real(tmp).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return Status::FromErrno(errno, "crashfs backing create", Real(tmp));
    CD_RETURN_IF_ERROR(PwriteAll(fd.get(), bytes->data(), bytes->size(), 0, Real(tmp)));
    if (fdatasync(fd.get()) != 0)
      return Status::FromErrno(errno, "crashfs backing sync", Real(tmp));
  }
  if (rename(Real(tmp).c_str(), Real(path).c_str()) != 0) {
    return Status::FromErrno(errno, "crashfs backing rename", Real(path));
  }
  return Status::Ok();
}

// Moves first (through temporary names, so swaps work), then removals, then new names.
Status BackingMirror::Reconcile(const SimDisk& disk) {
  const SimDisk::Names& target = disk.durable_names();
  if (target == mirrored_) return Status::Ok();
  std::set<std::string> touched_dirs;
  for (const auto& [path, entry] : target) {
    if (!entry.is_dir || mirrored_.count(path) != 0) continue;
    if (mkdir(Real(path).c_str(), 0755) != 0 && errno != EEXIST) {
      return Status::FromErrno(errno, "crashfs backing mkdir", Real(path));
    }
    touched_dirs.insert(system::ParentDir(path));
  }
  std::map<uint64_t, std::string> old_path;  // by inode
  for (const auto& [path, entry] : mirrored_) {
    if (!entry.is_dir) old_path[entry.inode] = path;
  }
  std::map<uint64_t, std::string> moved;  // inode -> temporary path
  for (const auto& [path, entry] : target) {
    if (entry.is_dir) continue;
    auto it = old_path.find(entry.inode);
    if (it == old_path.end() || it->second == path || moved.count(entry.inode) != 0) continue;
    const std::string tmp = "/" + std::string(kTmpPrefix) + std::to_string(next_tmp_++);
    if (rename(Real(it->second).c_str(), Real(tmp).c_str()) != 0) {
      return Status::FromErrno(errno, "crashfs backing rename", Real(it->second));
    }
    touched_dirs.insert(system::ParentDir(it->second));
    moved[entry.inode] = tmp;
  }
  for (const auto& [path, entry] : mirrored_) {
    if (entry.is_dir || moved.count(entry.inode) != 0) continue;
    auto it = target.find(path);
    if (it != target.end() && it->second == entry) continue;
    if (unlink(Real(path).c_str()) != 0 && errno != ENOENT) {
      return Status::FromErrno(errno, "crashfs backing unlink", Real(path));
    }
    touched_dirs.insert(system::ParentDir(path));
  }
  for (const auto& [path, entry] : target) {
    if (entry.is_dir) continue;
    auto it = mirrored_.find(path);
    if (it != mirrored_.end() && it->second == entry) continue;
    auto move = moved.find(entry.inode);
    if (move != moved.end()) {
      if (rename(Real(move->second).c_str(), Real(path).c_str()) != 0) {
        return Status::FromErrno(errno, "crashfs backing rename", Real(path));
      }
      moved.erase(move);  // a second durable name of the same inode is written whole
    } else {
      CD_RETURN_IF_ERROR(WriteWhole(disk, path, entry.inode));
    }
    touched_dirs.insert(system::ParentDir(path));
  }
  touched_dirs.insert("/");
  for (const std::string& dir : touched_dirs) CD_RETURN_IF_ERROR(SyncRealDir(dir));
  mirrored_ = target;
  return Status::Ok();
}

Status BackingMirror::SyncFile(const SimDisk& disk, uint64_t inode, const DirtyRanges& dirty) {
  const std::string* path = DurablePathOf(disk, inode);
  const std::vector<std::byte>* bytes = disk.DurableBytes(inode);
  if (path == nullptr || bytes == nullptr) return Status::Ok();  // written whole once named
  const std::string real = Real(*path);
  Fd fd(open(real.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno(errno, "crashfs backing open", real);
  if (dirty.cut_size() < bytes->size() &&
      ftruncate(fd.get(), static_cast<off_t>(dirty.cut_size())) != 0) {
    return Status::FromErrno(errno, "crashfs backing truncate", real);
  }
  for (const auto& [begin, end] : dirty.ranges()) {
    const uint64_t stop = std::min<uint64_t>(end, bytes->size());
    if (begin >= stop) continue;
    CD_RETURN_IF_ERROR(PwriteAll(fd.get(), bytes->data() + begin, stop - begin, begin, real));
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return Status::FromErrno(errno, "crashfs backing stat", real);
  // Only when the size changed: a truncate to the same size still dirties the inode.
  if (static_cast<uint64_t>(st.st_size) != bytes->size() &&
      ftruncate(fd.get(), static_cast<off_t>(bytes->size())) != 0) {
    return Status::FromErrno(errno, "crashfs backing truncate", real);
  }
  if (fdatasync(fd.get()) != 0) return Status::FromErrno(errno, "crashfs backing sync", real);
  return Status::Ok();
}

Status BackingMirror::RewriteFile(const SimDisk& disk, uint64_t inode) {
  const std::string* path = DurablePathOf(disk, inode);
  if (path == nullptr) return Status::Ok();
  CD_RETURN_IF_ERROR(WriteWhole(disk, *path, inode));
  return SyncRealDir(system::ParentDir(*path));
}

}  // namespace crashdrill::faults::crashfs

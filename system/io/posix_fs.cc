#include "system/io/posix_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <fiu-control.h>
#include <fiu.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace crashdrill::system {
namespace {

// Returns the injected errno if the libfiu point `name` fires, else 0.
int InjectedErrno(const char* name, int default_errno = EIO) {
  if (fiu_fail(name) == 0) return 0;
  const auto info = reinterpret_cast<intptr_t>(fiu_failinfo());
  return info != 0 ? static_cast<int>(info) : default_errno;
}

Status Injected(int error_number, std::string_view op, std::string_view path) {
  Status status = Status::FromErrno(error_number, op, path);
  status.MarkInjected();
  return status;
}

#define CD_FIU_POINT(op, path)                                              \
  do {                                                                      \
    if (int cd_err_ = InjectedErrno("crashdrill/fs/" op); cd_err_ != 0) {   \
      return Injected(cd_err_, op, path);                                   \
    }                                                                       \
  } while (0)

class PosixMappedRegion final : public MappedRegion {
 public:
  PosixMappedRegion(std::string path, void* base, size_t length)
      : path_(std::move(path)), base_(base), length_(length) {}
  ~PosixMappedRegion() override { munmap(base_, length_); }

  MutableByteSpan data() override { return {static_cast<std::byte*>(base_), length_}; }

  Status Sync(size_t offset, size_t length) override {
    CD_FIU_POINT("msync", path_);
    if (offset > length_ || length > length_ - offset) {
      return Status::InvalidArgument("msync", fmt::format("range [{}, +{}) outside a {}-byte map",
                                                          offset, length, length_));
    }
    static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t start = offset - offset % page;
    if (msync(static_cast<char*>(base_) + start, length + (offset - start), MS_SYNC) != 0) {
      return Status::FromErrno(errno, "msync", path_);
    }
    return Status::Ok();
  }

 private:
  std::string path_;
  void* base_;
  size_t length_;
};

// Pulls hinted ranges of files into the page cache on a thread of its own,
// so a sequential reader (WAL replay) finds its next chunks there instead of
// waiting for the device between parsing them. Only a page-cache warmer: what
// it reads is thrown away, its errors are ignored, and no caller's read ever
// depends on it. posix_fadvise(WILLNEED) was tried first: it issues the reads
// in the calling thread, and made replay slower. One per process, stopped and
// joined at exit.
class ReadAheadWorker {
 public:
  static ReadAheadWorker& Get() {
    static ReadAheadWorker worker;
    return worker;
  }

  void Hint(int fd, uint64_t offset, uint64_t length) {
    const int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);  // the file may close first
    if (own < 0) return;
    {
      std::lock_guard lock(mutex_);
      if (queue_.size() < kQueueMax) {
        queue_.push_back({own, offset, length});
        ready_.notify_one();
        return;
      }
    }
    close(own);  // the reader is far behind: this hint would only add to it
  }

  ~ReadAheadWorker() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
      ready_.notify_one();
    }
    thread_.join();
    for (const Range& range : queue_) close(range.fd);
  }

 private:
  struct Range {
    int fd;
    uint64_t offset, length;
  };
  static constexpr size_t kQueueMax = 8;

  ReadAheadWorker() : thread_([this] { Run(); }) {}

  void Run() {
    std::vector<char> buffer(1 << 20);
    std::unique_lock lock(mutex_);
    while (true) {
      ready_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      const Range range = queue_.front();
      queue_.pop_front();
      lock.unlock();
      for (uint64_t done = 0; done < range.length && !stop_.load();) {
        const size_t want =
            static_cast<size_t>(std::min<uint64_t>(buffer.size(), range.length - done));
        const ssize_t n =
            pread(range.fd, buffer.data(), want, static_cast<off_t>(range.offset + done));
        if (n <= 0) break;
        done += static_cast<uint64_t>(n);
      }
      close(range.fd);
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Range> queue_;
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: starts once the members above exist
};

class PosixFile final : public File {
 public:
  PosixFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixFile() override { close(fd_); }

  const std::string& path() const override { return path_; }

  Result<size_t> ReadAt(uint64_t offset, MutableByteSpan out) override {
    CD_FIU_POINT("read", path_);
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = pread(fd_, out.data() + done, out.size() - done,
                              static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno(errno, "read", path_).SetOffset(offset + done);
      }
      if (n == 0) break;  // end of file
      done += static_cast<size_t>(n);
    }
    return done;
  }

  Status WriteAt(uint64_t offset, ByteSpan data) override {
    CD_FIU_POINT("write", path_);
    if (int err = InjectedErrno("crashdrill/fs/write/short", ENOSPC); err != 0) {
      const size_t half = data.size() / 2;
      CD_RETURN_IF_ERROR(WriteFully(offset, data.first(half)));
      return Injected(err, "write", path_)
          .Annotate(fmt::format("short write: {} of {} bytes written", half, data.size()))
          .SetOffset(static_cast<int64_t>(offset + half));
    }
    return WriteFully(offset, data);
  }

  Status Append(ByteSpan data) override {
    CD_ASSIGN_OR_RETURN(uint64_t end, Size());
    return WriteAt(end, data);
  }

  Status Sync() override {
    CD_FIU_POINT("sync", path_);
    if (fdatasync(fd_) != 0) return Status::FromErrno(errno, "sync", path_);
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    CD_FIU_POINT("truncate", path_);
    if (ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return Status::FromErrno(errno, "truncate", path_);
    }
    return Status::Ok();
  }

  Result<uint64_t> Size() override {
    CD_FIU_POINT("size", path_);
    struct stat st {};
    if (fstat(fd_, &st) != 0) return Status::FromErrno(errno, "size", path_);
    return static_cast<uint64_t>(st.st_size);
  }

  Status Allocate(uint64_t offset, uint64_t length) override {
    CD_FIU_POINT("allocate", path_);
    const int err = posix_fallocate(fd_, static_cast<off_t>(offset), static_cast<off_t>(length));
    if (err != 0) return Status::FromErrno(err, "allocate", path_);
    return Status::Ok();
  }

  // The end of the last data extent, by SEEK_HOLE and SEEK_DATA in turn: ext4
  // and xfs report preallocated, never-written extents as holes (and pages
  // the page cache holds as data), so an Open need not read megabytes of a
  // segment's zeros. Without SEEK_DATA support, the size.
  Result<uint64_t> ZerosFrom() override {
    CD_FIU_POINT("zerosfrom", path_);
    CD_ASSIGN_OR_RETURN(const uint64_t size, Size());
    uint64_t data_end = 0;
    for (uint64_t at = 0; at < size;) {
      const off_t data = lseek(fd_, static_cast<off_t>(at), SEEK_DATA);
      if (data < 0 && errno == ENXIO) break;  // only holes from here
      if (data < 0) {
        if (errno == EINVAL || errno == EOPNOTSUPP) return size;
        return Status::FromErrno(errno, "seek data", path_);
      }
      const off_t hole = lseek(fd_, data, SEEK_HOLE);
      if (hole < 0) return Status::FromErrno(errno, "seek hole", path_);
      data_end = std::min<uint64_t>(static_cast<uint64_t>(hole), size);
      at = data_end;
    }
    return data_end;
  }

  void WillRead(uint64_t offset, uint64_t length) override {
    ReadAheadWorker::Get().Hint(fd_, offset, length);
  }

  Result<std::unique_ptr<MappedRegion>> Map(uint64_t offset, size_t length) override {
    CD_FIU_POINT("map", path_);
    void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_,
                      static_cast<off_t>(offset));
    if (base == MAP_FAILED) return Status::FromErrno(errno, "map", path_);
    return std::unique_ptr<MappedRegion>(new PosixMappedRegion(path_, base, length));
  }

 private:
  // pwrite until everything is written; a device that accepts nothing more is full.
  Status WriteFully(uint64_t offset, ByteSpan data) {
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = pwrite(fd_, data.data() + done, data.size() - done,
                               static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int err = n < 0 ? errno : ENOSPC;
        Status status = Status::FromErrno(err, "write", path_);
        if (done > 0) status.Annotate(fmt::format("short write: {} of {} bytes written", done,
                                                  data.size()));
        return status.SetOffset(static_cast<int64_t>(offset + done));
      }
      done += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  std::string path_;
  int fd_;
};

}  // namespace

void InitFaultPoints() {
  static std::once_flag once;
  std::call_once(once, [] { fiu_init(0); });
}

Status EnableFiuRemoteControl(const std::string& fifo_basename) {
  InitFaultPoints();
  if (fiu_rc_fifo(fifo_basename.c_str()) != 0) {
    return Status::Error(StatusCode::kIoError, "fiu_rc_fifo", fifo_basename,
                         "libfiu could not create its remote-control fifo");
  }
  return Status::Ok();
}

PosixFs::PosixFs() { InitFaultPoints(); }

Result<std::unique_ptr<File>> PosixFs::Open(const std::string& path, OpenOptions options) {
  CD_FIU_POINT("open", path);
  int flags = O_CLOEXEC | (options.read_only ? O_RDONLY : O_RDWR);
  if (options.create) flags |= O_CREAT;
  if (options.create && options.exclusive) flags |= O_EXCL;
  if (options.truncate) flags |= O_TRUNC;
  int fd;
  do {
    fd = ::open(path.c_str(), flags, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Status::FromErrno(errno, "open", path);
  return std::unique_ptr<File>(new PosixFile(path, fd));
}

Status PosixFs::Rename(const std::string& from, const std::string& to) {
  CD_FIU_POINT("rename", from);
  if (rename(from.c_str(), to.c_str()) != 0) {
    return Status::FromErrno(errno, "rename", from).Annotate(fmt::format("to {}", to));
  }
  return Status::Ok();
}

Status PosixFs::Unlink(const std::string& path) {
  CD_FIU_POINT("unlink", path);
  if (unlink(path.c_str()) != 0) return Status::FromErrno(errno, "unlink", path);
  return Status::Ok();
}

Result<std::vector<std::string>> PosixFs::List(const std::string& dir) {
  CD_FIU_POINT("list", dir);
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) return Status::FromErrno(errno, "list", dir);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = readdir(handle)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  const int err = errno;
  closedir(handle);
  if (err != 0) return Status::FromErrno(err, "list", dir);
  std::sort(names.begin(), names.end());
  return names;
}

Status PosixFs::MakeDir(const std::string& dir) {
  CD_FIU_POINT("mkdir", dir);
  if (mkdir(dir.c_str(), 0755) == 0) return Status::Ok();
  const int err = errno;
  struct stat st {};
  if (err == EEXIST && stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::Ok();
  return Status::FromErrno(err, "mkdir", dir);
}

Status PosixFs::SyncDir(const std::string& dir) {
  CD_FIU_POINT("syncdir", dir);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "syncdir", dir);
  const int rc = fsync(fd);
  const int err = errno;
  close(fd);
  if (rc != 0) return Status::FromErrno(err, "syncdir", dir);
  return Status::Ok();
}

Result<bool> PosixFs::Exists(const std::string& path) {
  CD_FIU_POINT("exists", path);
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return Status::FromErrno(errno, "exists", path);
}

Result<uint64_t> PosixFs::FileSize(const std::string& path) {
  CD_FIU_POINT("size", path);
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return Status::FromErrno(errno, "size", path);
  return static_cast<uint64_t>(st.st_size);
}

Result<uint64_t> PosixFs::FreeSpace(const std::string& path) {
  CD_FIU_POINT("freespace", path);
  struct statvfs st {};
  if (statvfs(path.c_str(), &st) != 0) return Status::FromErrno(errno, "freespace", path);
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

}  // namespace crashdrill::system

#include "system/backup/backup_key.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "system/io/check.h"
#include "system/io/fs.h"

namespace crashdrill::system {
namespace {

static_assert(BackupKey::kKeyBytes == crypto_secretstream_xchacha20poly1305_KEYBYTES);

// Closes a descriptor on every path out.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

Status SyncParentDir(const std::string& path) {
  const std::string dir = ParentDir(path);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open key file directory", dir);
  FdCloser closer(fd);
  if (::fsync(fd) != 0) return Status::FromErrno(errno, "sync key file directory", dir);
  return Status::Ok();
}

}  // namespace

Status InitSodium() {
  if (sodium_init() < 0) {
    return Status::Error(StatusCode::kInternal, "sodium_init", "", "libsodium failed to start");
  }
  return Status::Ok();
}

BackupKey BackupKey::Generate() {
  CD_CHECK(sodium_init() >= 0, "libsodium failed to start");
  BackupKey key;
  crypto_secretstream_xchacha20poly1305_keygen(key.bytes_.data());
  return key;
}

BackupKey BackupKey::FromBytes(std::span<const unsigned char> bytes) {
  CD_CHECK(bytes.size() == kKeyBytes, "a backup key is exactly kKeyBytes bytes");
  BackupKey key;
  std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
  return key;
}

BackupKey::~BackupKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

std::array<unsigned char, 16> BackupKey::Fingerprint() const {
  static constexpr std::string_view kContext = "crashdrill-backup key fingerprint v1";
  std::array<unsigned char, 16> out{};
  crypto_generichash(out.data(), out.size(),
                     reinterpret_cast<const unsigned char*>(kContext.data()), kContext.size(),
                     bytes_.data(), bytes_.size());
  return out;
}

Result<BackupKey> LoadKeyFile(const std::string& path) {
  CD_RETURN_IF_ERROR(InitSodium());
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open backup key file", path);
  FdCloser closer(fd);
  struct stat info {};
  if (::fstat(fd, &info) != 0) return Status::FromErrno(errno, "stat backup key file", path);
  if (!S_ISREG(info.st_mode)) {
    return Status::Error(StatusCode::kInvalidArgument, "load backup key", path,
                         "the key file is not a regular file");
  }
  const unsigned mode = info.st_mode & 07777;
  if ((mode & 077) != 0) {
    return Status::Error(StatusCode::kFailedPrecondition, "load backup key", path,
                         fmt::format("the key file has mode {:04o}: group or others can access "
                                     "it; refusing to use it (chmod 600 it, or make a new key)",
                                     mode));
  }
  if (info.st_size != static_cast<off_t>(BackupKey::kKeyBytes)) {
    return Status::Error(StatusCode::kInvalidArgument, "load backup key", path,
                         fmt::format("the key file holds {} bytes; a key file holds exactly {} "
                                     "raw bytes",
                                     info.st_size, BackupKey::kKeyBytes));
  }
  std::array<unsigned char, BackupKey::kKeyBytes> bytes{};
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "read backup key file", path);
    if (n == 0) {
      return Status::Error(StatusCode::kInvalidArgument, "load backup key", path,
                           "the key file shrank while being read");
    }
    done += static_cast<size_t>(n);
  }
  BackupKey key = BackupKey::FromBytes(bytes);
  sodium_memzero(bytes.data(), bytes.size());
  return key;
}

Result<BackupKey> GenerateKeyFile(const std::string& path) {
  CD_RETURN_IF_ERROR(InitSodium());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno(errno, "create backup key file", path);
  FdCloser closer(fd);
  // The umask can only take bits away; fchmod makes the mode exactly 0600 anyway.
  if (::fchmod(fd, 0600) != 0) return Status::FromErrno(errno, "chmod backup key file", path);
  BackupKey key = BackupKey::Generate();
  size_t done = 0;
  while (done < BackupKey::kKeyBytes) {
    const ssize_t n = ::write(fd, key.data() + done, BackupKey::kKeyBytes - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::FromErrno(n < 0 ? errno : EIO, "write backup key file", path);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return Status::FromErrno(errno, "sync backup key file", path);
  CD_RETURN_IF_ERROR(SyncParentDir(path));
  return key;
}

}  // namespace crashdrill::system

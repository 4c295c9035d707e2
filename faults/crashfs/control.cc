// The crashfs control socket: its name, the listening side and the client.
#include "faults/crashfs/control.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace crashdrill::faults::crashfs {

using system::Result;
using system::Status;

namespace {

sockaddr_un AddressOf(const std::string& mountpoint, socklen_t& length) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string name = ControlSocketName(mountpoint);
  std::memcpy(address.sun_path + 1, name.data(), name.size());  // sun_path[0] = 0: abstract
  length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  return address;
}

}  // namespace

std::string CanonicalMountpoint(const std::string& path) {
  std::string out = std::filesystem::absolute(path).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string ControlSocketName(const std::string& mountpoint) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : CanonicalMountpoint(mountpoint)) {
    hash = (hash ^ c) * 0x100000001b3ull;
  }
  return fmt::format("crashdrill-crashfs-{:016x}", hash);
}

Result<int> ListenControl(const std::string& mountpoint) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno(errno, "crashfs control socket", mountpoint);
  socklen_t length = 0;
  const sockaddr_un address = AddressOf(mountpoint, length);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0 || listen(fd, 4) != 0) {
    const int error = errno;
    close(fd);
    return Status::FromErrno(error, "crashfs control bind @" + ControlSocketName(mountpoint),
                             mountpoint);
  }
  return fd;
}

Result<std::string> RequestPowerLoss(const std::string& mountpoint) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno(errno, "crashfs control socket", mountpoint);
  socklen_t length = 0;
  const sockaddr_un address = AddressOf(mountpoint, length);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    close(fd);
    return Status::Error(
        system::StatusCode::kNotFound, "crashfs --power-loss", mountpoint,
        "not a crashfs mount: no daemon listens on @" + ControlSocketName(mountpoint));
  }
  const std::string request = "power-loss\n";
  std::string reply;
  if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    ssize_t n = 0;
    while ((n = read(fd, buffer, sizeof buffer)) > 0) reply.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  while (!reply.empty() && reply.back() == '\n') reply.pop_back();
  if (reply.empty()) {
    return Status::Error(system::StatusCode::kUnavailable, "crashfs --power-loss", mountpoint,
                         "the daemon closed the connection without a reply");
  }
  return reply;
}

}  // namespace crashdrill::faults::crashfs

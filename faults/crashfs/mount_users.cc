// Finding and killing the processes that use a mount, from /proc.
#include "faults/crashfs/mount_users.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <thread>

namespace crashdrill::faults::crashfs {

namespace {

bool Under(const std::string& path, const std::string& mountpoint) {
  return path == mountpoint ||
         (path.size() > mountpoint.size() && path.compare(0, mountpoint.size(), mountpoint) == 0 &&
          path[mountpoint.size()] == '/');
}

std::string ReadLink(const std::string& path) {
  char buffer[4096];
  const ssize_t n = readlink(path.c_str(), buffer, sizeof buffer);
  return n <= 0 ? std::string() : std::string(buffer, static_cast<size_t>(n));
}

bool LinksUnder(const std::string& fd_dir, const std::string& mountpoint) {
  DIR* dir = opendir(fd_dir.c_str());
  if (dir == nullptr) return false;
  bool found = false;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    if (Under(ReadLink(fd_dir + "/" + entry->d_name), mountpoint)) {
      found = true;
      break;
    }
  }
  closedir(dir);
  return found;
}

bool MapsUnder(const std::string& maps_path, const std::string& mountpoint) {
  std::ifstream maps(maps_path);
  std::string line;
  while (std::getline(maps, line)) {
    const size_t slash = line.find('/');
    if (slash != std::string::npos && Under(line.substr(slash), mountpoint)) return true;
  }
  return false;
}

bool Uses(pid_t pid, const std::string& mountpoint) {
  const std::string proc = "/proc/" + std::to_string(pid);
  for (const char* link : {"/cwd", "/root", "/exe"}) {
    if (Under(ReadLink(proc + link), mountpoint)) return true;
  }
  return LinksUnder(proc + "/fd", mountpoint) || MapsUnder(proc + "/maps", mountpoint);
}

}  // namespace

std::vector<pid_t> MountUsers(const std::string& mountpoint, const std::set<pid_t>& spared) {
  std::vector<pid_t> users;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return users;
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || pid <= 0) continue;
    if (spared.count(static_cast<pid_t>(pid)) != 0) continue;
    if (Uses(static_cast<pid_t>(pid), mountpoint)) users.push_back(static_cast<pid_t>(pid));
  }
  closedir(proc);
  return users;
}

system::Result<uint64_t> KillMountUsers(const std::string& mountpoint,
                                        const std::set<pid_t>& spared, int64_t timeout_ms) {
  std::set<pid_t> killed;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const std::vector<pid_t> users = MountUsers(mountpoint, spared);
    if (users.empty()) return static_cast<uint64_t>(killed.size());
    for (pid_t pid : users) {
      if (kill(pid, SIGKILL) == 0) killed.insert(pid);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return system::Status::Error(system::StatusCode::kUnavailable, "crashfs power loss",
                                   mountpoint,
                                   "processes still use the mount after SIGKILL, first pid " +
                                       std::to_string(users.front()));
    }
    // Killed processes exit asynchronously (their FUSE requests are still served).
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace crashdrill::faults::crashfs

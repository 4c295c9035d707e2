// crashfs's cost on the path that matters for durability: a 4 KiB record written with
// pwrite and made durable with fdatasync, through a crashfs mount (FUSE round trips,
// SimDisk bookkeeping, write-through of the synced range to the backing directory and
// its real fdatasync) against the same loop straight on a file of the backing file system,
// measured in the same run. Both files are prefilled with written zeros and synced (name
// too) first, so each sync is a data sync of an overwritten block, not a metadata sync.
// Needs /dev/fuse and the crashdrill binary; skipped otherwise. Refuses tmpfs.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/bench/bench_support.h"

namespace crashdrill::bench {
namespace {

constexpr size_t kRecordBytes = 4096;
constexpr size_t kRecords = 500;  // per side per iteration

struct Daemon {
  pid_t pid = -1;
  std::FILE* out = nullptr;
  std::string mountpoint;
  ~Daemon() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
    if (out != nullptr) std::fclose(out);
    if (!mountpoint.empty()) {
      const std::string command = "fusermount3 -uz " + mountpoint + " 2>/dev/null";
      if (std::system(command.c_str()) != 0) {
        // Already unmounted by the daemon: the usual case.
      }
    }
  }
};

// Starts `crashdrill crashfs` and returns once it printed that it mounted.
bool StartDaemon(Daemon& daemon, const std::string& backing, const std::string& mountpoint) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  daemon.pid = fork();
  if (daemon.pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    execl(CRASHDRILL_BINARY, CRASHDRILL_BINARY, "crashfs", "--backing", backing.c_str(),
          mountpoint.c_str(), "--seed", "1", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  daemon.out = fdopen(fds[0], "r");
  daemon.mountpoint = mountpoint;
  char line[512];
  while (std::fgets(line, sizeof line, daemon.out) != nullptr) {
    if (std::string(line).starts_with("crashfs: mounted")) return true;
  }
  return false;
}

// A file of kRecords written zero blocks, synced, its name synced; returns its fd.
int Prefill(const std::string& dir) {
  const std::string path = dir + "/records";
  const int fd = open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0644);
  const std::vector<char> zeros(kRecordBytes * kRecords, 0);
  if (fd < 0 || pwrite(fd, zeros.data(), zeros.size(), 0) != static_cast<ssize_t>(zeros.size()) ||
      fsync(fd) != 0) {
    return -1;
  }
  const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool synced = dir_fd >= 0 && fsync(dir_fd) == 0;
  if (dir_fd >= 0) close(dir_fd);
  return synced ? fd : -1;
}

// kRecords records written and fdatasync'ed; seconds, or -1 on any failed call.
double RecordLoop(int fd) {
  std::vector<char> record(kRecordBytes, 'r');
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < kRecords; ++i) {
    record[0] = static_cast<char>(i);
    if (pwrite(fd, record.data(), record.size(), static_cast<off_t>(i * kRecordBytes)) !=
            static_cast<ssize_t>(record.size()) ||
        fdatasync(fd) != 0) {
      return -1;
    }
  }
  return SecondsSince(start);
}

void BM_CrashfsFdatasync4KiB(benchmark::State& state) {
  if (access("/dev/fuse", R_OK | W_OK) != 0) return state.SkipWithError("no usable /dev/fuse");
  const std::string dir = BenchDir("crashfs");
  if (RefuseVolatileFs(state, dir)) return;
  const std::string plain = dir + "/plain", backing = dir + "/backing", mnt = dir + "/mnt";
  for (const std::string& sub : {plain, backing, mnt}) std::filesystem::create_directory(sub);
  Daemon daemon;
  if (!StartDaemon(daemon, backing, mnt)) return state.SkipWithError("crashfs did not mount");
  const int plain_fd = Prefill(plain);
  const int mounted_fd = Prefill(mnt);
  if (plain_fd < 0 || mounted_fd < 0) return state.SkipWithError("prefill failed");
  double plain_seconds = 0, crashfs_seconds = 0;
  for (auto _ : state) {
    const double floor = RecordLoop(plain_fd);
    const double through = RecordLoop(mounted_fd);
    if (floor < 0 || through < 0) return state.SkipWithError("pwrite or fdatasync failed");
    plain_seconds += floor;
    crashfs_seconds += through;
    state.SetIterationTime(through);
  }
  close(plain_fd);
  close(mounted_fd);
  const double records = static_cast<double>(state.iterations() * kRecords);
  state.counters["crashfs_syncs_per_s"] = records / crashfs_seconds;
  state.counters["backing_syncs_per_s"] = records / plain_seconds;
  state.counters["ratio_throughput"] = plain_seconds / crashfs_seconds;  // crashfs / backing
}
BENCHMARK(BM_CrashfsFdatasync4KiB)->Iterations(4)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace crashdrill::bench

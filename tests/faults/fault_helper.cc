// crashdrill_fault_helper: a tiny stand-in for the engine in process-mode tests. It writes
// and fsyncs files with raw syscalls (so libfiu's POSIX preload can fail them) and prints
// its wall and monotonic clocks (so faketime's skew can be observed).
//   fault_helper write PATH TEXT            write + fsync; exit 0, or the failing errno
//                                           (+100 when fsync failed; stdout may fail too)
//   fault_helper clocks                     print "wall_ns=W mono_ns=M"
//   fault_helper write-when PATH TEXT GO    touch PATH.ready, wait (<= 10 s) for GO, write
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

namespace {

int WriteAndSync(const char* path, const char* text) {
  const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    return 200;
  }
  const size_t length = std::strlen(text);
  const ssize_t written = write(fd, text, length);
  if (written != static_cast<ssize_t>(length)) {
    const int code = written < 0 ? errno : 99;
    close(fd);
    return code;
  }
  if (fsync(fd) != 0) {
    const int code = 100 + errno;
    close(fd);
    return code;
  }
  close(fd);
  return 0;
}

long long Nanos(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<long long>(now.tv_sec) * 1000000000LL + now.tv_nsec;
}

int WriteWhen(const char* path, const char* text, const char* go) {
  const std::string ready = std::string(path) + ".ready";
  const int fd = open(ready.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) close(fd);
  for (int i = 0; i < 10000 && access(go, F_OK) != 0; ++i) {
    const timespec pause{0, 1000000};
    nanosleep(&pause, nullptr);
  }
  return WriteAndSync(path, text);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  int code = 2;
  if (command == "write" && argc == 4) {
    code = WriteAndSync(argv[2], argv[3]);
  } else if (command == "clocks") {
    std::printf("wall_ns=%lld mono_ns=%lld\n", Nanos(CLOCK_REALTIME), Nanos(CLOCK_MONOTONIC));
    code = 0;
  } else if (command == "write-when" && argc == 5) {
    code = WriteWhen(argv[2], argv[3], argv[4]);
  } else {
    std::fprintf(stderr, "usage: fault_helper write|clocks|write-when ...\n");
  }
  std::fflush(stdout);
  return code;
}

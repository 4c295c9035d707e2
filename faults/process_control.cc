#include "faults/process_control.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include <fmt/format.h>

extern char** environ;

namespace crashdrill::faults {

using system::Result;
using system::Status;
using system::StatusCode;

namespace {

std::vector<std::string> BuildEnvironment(const ChildSpec& spec) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text(*entry);
    const size_t eq = text.find('=');
    if (eq != std::string::npos) env[text.substr(0, eq)] = text.substr(eq + 1);
  }
  for (const auto& [key, value] : spec.env) env[key] = value;
  if (!spec.preload.empty()) {
    std::string joined;
    for (const std::string& library : spec.preload) {
      joined += (joined.empty() ? "" : " ") + library;
    }
    env["LD_PRELOAD"] = joined;
  }
  std::vector<std::string> out;
  for (const auto& [key, value] : env) out.push_back(key + "=" + value);
  return out;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

void SleepOneMillisecond() {
  const timespec pause{.tv_sec = 0, .tv_nsec = system::kNanosPerMilli};
  nanosleep(&pause, nullptr);
}

}  // namespace

void AddFiuRun(ChildSpec& spec, const std::vector<std::string>& enable_commands,
               const std::string& fifo_prefix) {
  spec.preload.push_back(fmt::format("{}/fiu_run_preload.so", kFiuPreloadDir));
  spec.preload.push_back(fmt::format("{}/fiu_posix_preload.so", kFiuPreloadDir));
  std::string enable;
  for (const std::string& command : enable_commands) enable += command + "\n";
  spec.env["FIU_ENABLE"] = enable;
  spec.env["FIU_CTRL_FIFO"] = fifo_prefix;
}

void AddFaketime(ChildSpec& spec, const FaketimeSpec& faketime) {
  spec.preload.push_back(faketime.threaded ? kFaketimeLibraryThreaded : kFaketimeLibrary);
  if (faketime.timestamp_file.empty()) {
    spec.env["FAKETIME"] = faketime.faketime;
  } else {
    spec.env["FAKETIME_TIMESTAMP_FILE"] = faketime.timestamp_file;
    spec.env["FAKETIME_NO_CACHE"] = "1";
  }
  if (!faketime.fake_monotonic) spec.env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1";
}

Status WriteFaketimeFile(const std::string& path, const std::string& faketime) {
  const std::string temp = path + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(errno, "open", temp);
  const std::string line = faketime + "\n";
  const ssize_t written = ::write(fd, line.data(), line.size());
  const int write_errno = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(line.size())) {
    return Status::FromErrno(written < 0 ? write_errno : EIO, "write", temp);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) return Status::FromErrno(errno, "rename", path);
  return Status::Ok();
}

Result<ChildProcess> ChildProcess::Spawn(const ChildSpec& spec) {
  if (spec.argv.empty()) return Status::InvalidArgument("spawn", "empty argv");
  std::vector<std::string> argv = spec.argv;
  std::vector<std::string> env = BuildEnvironment(spec);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!spec.stdout_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, spec.stdout_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  pid_t pid = 0;
  const int err = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr,
                              Pointers(argv).data(), Pointers(env).data());
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) return Status::FromErrno(err, "spawn", argv[0]);
  return ChildProcess(pid);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_), reaped_(other.reaped_) {
  other.reaped_ = true;
}

ChildProcess::~ChildProcess() {
  if (reaped_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

Result<int> ChildProcess::Wait(system::Clock& clock, int64_t timeout_ns) {
  if (reaped_) return Status::Error(StatusCode::kFailedPrecondition, "wait", "", "reaped");
  const int64_t deadline_ns = clock.Mono() + timeout_ns;
  while (true) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done < 0 && errno != EINTR) return Status::FromErrno(errno, "waitpid", "");
    if (done == pid_) {
      reaped_ = true;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    if (clock.Mono() >= deadline_ns) {
      return Status::Error(StatusCode::kUnavailable, "wait", fmt::format("pid {}", pid_),
                           "child still running at the deadline");
    }
    SleepOneMillisecond();
  }
}

Status ChildProcess::Kill(int signal_number) {
  if (reaped_ || ::kill(pid_, signal_number) == 0) return Status::Ok();
  return Status::FromErrno(errno, "kill", fmt::format("pid {}", pid_));
}

Status SendFiuCommand(const std::string& fifo_prefix, pid_t pid, const std::string& command,
                      system::Clock& clock, int64_t timeout_ns) {
  const std::string base = fmt::format("{}-{}", fifo_prefix, pid);
  const int64_t deadline_ns = clock.Mono() + timeout_ns;
  int in_fd = -1;
  while ((in_fd = ::open((base + ".in").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
    if ((errno != ENXIO && errno != ENOENT) || clock.Mono() >= deadline_ns) {
      return Status::FromErrno(errno == ENXIO ? EAGAIN : errno, "fiu_rc", base + ".in");
    }
    SleepOneMillisecond();  // the child's remote-control thread has not opened it yet
  }
  const int out_fd = ::open((base + ".out").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  const std::string line = command + "\n";
  const ssize_t written = ::write(in_fd, line.data(), line.size());
  ::close(in_fd);
  if (out_fd < 0) return Status::FromErrno(errno, "fiu_rc", base + ".out");
  if (written != static_cast<ssize_t>(line.size())) {
    ::close(out_fd);
    return Status::FromErrno(EIO, "fiu_rc", base + ".in");
  }
  std::string reply;
  while (reply.find('\n') == std::string::npos && clock.Mono() < deadline_ns) {
    char buffer[64];
    const ssize_t n = ::read(out_fd, buffer, sizeof(buffer));
    if (n > 0) {
      reply.append(buffer, static_cast<size_t>(n));
    } else {
      SleepOneMillisecond();  // no reply yet (EAGAIN) or no writer yet (0)
    }
  }
  ::close(out_fd);
  if (reply.find('\n') == std::string::npos) {
    return Status::Error(StatusCode::kUnavailable, "fiu_rc", base, "no reply before deadline");
  }
  if (reply.rfind("-1", 0) == 0) {
    return Status::Error(StatusCode::kInvalidArgument, "fiu_rc", base,
                         fmt::format("libfiu rejected '{}'", command));
  }
  return Status::Ok();
}

}  // namespace crashdrill::faults

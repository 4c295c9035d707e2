#include "faults/process_control.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <ctime>

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

namespace {

// Both ends close-on-exec; the child's end is dup2'ed onto its stdin or stdout.
Status MakePipe(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::FromErrno(errno, "pipe2", "");
  return Status::Ok();
}

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

Result<ChildProcess> ChildProcess::Spawn(const ChildSpec& spec) {
  if (spec.argv.empty()) return Status::InvalidArgument("spawn", "empty argv");
  std::vector<std::string> argv = spec.argv;
  std::vector<std::string> env = BuildEnvironment(spec);
  int in_pipe[2] = {-1, -1};
  int out_pipe[2] = {-1, -1};
  if (spec.stdin_pipe) CD_RETURN_IF_ERROR(MakePipe(in_pipe));
  if (spec.stdout_pipe) {
    if (Status made = MakePipe(out_pipe); !made.ok()) {
      CloseFd(in_pipe[0]);
      CloseFd(in_pipe[1]);
      return made;
    }
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (spec.stdin_pipe) posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
  if (spec.stdout_pipe) {
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  } else if (!spec.stdout_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, spec.stdout_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  if (!spec.stderr_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, spec.stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
  }
  // The child starts with no signal blocked and the usual dispositions, whatever
  // the harness blocks or ignores (it may sigwait for SIGINT, ignore SIGPIPE).
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int signal_number : {SIGINT, SIGTERM, SIGPIPE, SIGHUP}) sigaddset(&defaults, signal_number);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (spec.own_process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&attributes, 0);
  }
  posix_spawnattr_setflags(&attributes, flags);
  pid_t pid = 0;
  const int err = posix_spawn(&pid, argv[0].c_str(), &actions, &attributes, Pointers(argv).data(),
                              Pointers(env).data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  CloseFd(in_pipe[0]);
  CloseFd(out_pipe[1]);
  if (err != 0) {
    CloseFd(in_pipe[1]);
    CloseFd(out_pipe[0]);
    return Status::FromErrno(err, "spawn", argv[0]);
  }
  if (out_pipe[0] >= 0) ::fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  return ChildProcess(pid, in_pipe[1], out_pipe[0], spec.own_process_group);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_),
      stdin_fd_(other.stdin_fd_),
      stdout_fd_(other.stdout_fd_),
      group_(other.group_),
      reaped_(other.reaped_) {
  other.reaped_ = true;
  other.stdin_fd_ = -1;
  other.stdout_fd_ = -1;
}

ChildProcess::~ChildProcess() {
  if (!reaped_) {
    if (group_) ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    Reap();
  }
  CloseFd(stdin_fd_);
  CloseFd(stdout_fd_);
}

void ChildProcess::Reap() {
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
}

void ChildProcess::KillGroupAndReap() {
  if (reaped_) return;
  if (group_) ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  Reap();
}

Status ChildProcess::WriteStdin(std::string_view text) {
  if (stdin_fd_ < 0) return Status::Error(StatusCode::kUnavailable, "write", "stdin", "closed");
  // A child that closed its stdin must give EPIPE here, not kill the harness
  // with SIGPIPE: block it for the write and take back one it raised.
  sigset_t pipe_signal, previous;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
  size_t done = 0;
  int write_errno = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(stdin_fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      write_errno = n < 0 ? errno : EIO;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (write_errno == EPIPE) {
    const timespec zero{};
    while (sigtimedwait(&pipe_signal, nullptr, &zero) == SIGPIPE) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (write_errno != 0) {
    return Status::FromErrno(write_errno, "write", fmt::format("stdin of pid {}", pid_));
  }
  return Status::Ok();
}

void ChildProcess::CloseStdin() { CloseFd(stdin_fd_); }

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

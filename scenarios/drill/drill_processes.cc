#include "scenarios/drill/drill_processes.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <fstream>
#include <sstream>

namespace crashdrill::scenarios {
namespace {

using system::Status;
using system::StatusCode;

std::atomic<bool> g_interrupted{false};

int64_t MonoNowMs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
}

Status Interrupted(std::string_view what) {
  return Status::Error(StatusCode::kUnavailable, what, "", "the drill was interrupted");
}

}  // namespace

bool DrillInterrupted() { return g_interrupted.load(); }
void InterruptDrill() { g_interrupted.store(true); }

int64_t WallNowNs() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

void Nap() {
  const timespec pause{.tv_sec = 0, .tv_nsec = 1'000'000};
  nanosleep(&pause, nullptr);
}

bool ChildLines::Pump() {
  if (fd_ < 0) return true;
  char buffer[16 * 1024];
  while (true) {
    const ssize_t n = ::read(fd_, buffer, sizeof(buffer));
    if (n == 0) return true;
    if (n < 0) return errno != EAGAIN && errno != EINTR;
    const int64_t now = WallNowNs();
    partial_.append(buffer, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t end; (end = partial_.find('\n', start)) != std::string::npos; start = end + 1) {
      lines_.push_back({partial_.substr(start, end - start), now});
    }
    partial_.erase(0, start);
  }
}

system::Result<CommandRun> RunToEnd(faults::ChildSpec spec, int64_t timeout_ms) {
  spec.stdout_pipe = true;
  spec.own_process_group = true;
  const int64_t start = MonoNowMs();
  CD_ASSIGN_OR_RETURN(faults::ChildProcess child, faults::ChildProcess::Spawn(spec));
  ChildLines out(child.stdout_fd());
  system::SystemClock clock;
  while (true) {
    const bool eof = out.Pump();
    auto code = child.Wait(clock, 0);
    if (code.ok()) {
      while (!out.Pump()) {
      }
      CommandRun run;
      run.exit_code = *code;
      run.wall_ms = static_cast<double>(MonoNowMs() - start);
      for (const auto& line : out.lines()) run.out += line.text + "\n";
      return run;
    }
    if (DrillInterrupted()) return Interrupted(spec.argv.size() > 1 ? spec.argv[1] : "command");
    if (MonoNowMs() - start > timeout_ms) {
      return Status::Error(StatusCode::kUnavailable, spec.argv.size() > 1 ? spec.argv[1] : "", "",
                           fmt::format("still running after {} ms; killed", timeout_ms));
    }
    if (!eof) Nap();
  }
}

system::Result<ExchangeProcess> ExchangeProcess::Start(const std::string& binary,
                                                       const std::string& address, uint64_t seed,
                                                       const std::string& log_path) {
  faults::ChildSpec spec;
  spec.stderr_path = log_path;
  spec.argv = {binary,   "exchange",           "--listen",       address,
               "--seed", std::to_string(seed), "--control-stdin"};
  spec.stdin_pipe = true;
  spec.stdout_pipe = true;
  spec.own_process_group = true;
  CD_ASSIGN_OR_RETURN(faults::ChildProcess child, faults::ChildProcess::Spawn(spec));
  ExchangeProcess exchange(std::move(child));
  const int64_t deadline = MonoNowMs() + 10'000;
  while (exchange.address_.empty()) {
    const bool eof = exchange.out_.Pump();
    for (const auto& line : exchange.out_.lines()) {
      if (line.text.starts_with("listening on ")) {
        std::istringstream words(line.text.substr(13));
        words >> exchange.address_;
      }
    }
    if (!exchange.address_.empty()) break;
    if (eof || MonoNowMs() > deadline || DrillInterrupted()) {
      return Status::Error(StatusCode::kUnavailable, "exchange", address,
                           "did not say where it listens (see its stderr)");
    }
    Nap();
  }
  return exchange;
}

Status ExchangeProcess::Control(const std::string& command) {
  const size_t before = out_.lines().size();
  CD_RETURN_IF_ERROR(child_.WriteStdin(command + "\n"));
  const int64_t deadline = MonoNowMs() + 5'000;
  while (MonoNowMs() < deadline) {
    out_.Pump();
    for (size_t i = before; i < out_.lines().size(); ++i) {
      if (out_.lines()[i].text == "ok " + command) return Status::Ok();
      if (out_.lines()[i].text.starts_with("error")) {
        return Status::Error(StatusCode::kInvalidArgument, "exchange control", command,
                             out_.lines()[i].text);
      }
    }
    Nap();
  }
  return Status::Error(StatusCode::kUnavailable, "exchange control", command, "no answer in 5 s");
}

system::Result<EngineProcess> EngineProcess::Start(faults::ChildSpec spec) {
  spec.stdout_pipe = true;
  spec.own_process_group = true;
  CD_ASSIGN_OR_RETURN(faults::ChildProcess child, faults::ChildProcess::Spawn(spec));
  return EngineProcess(std::move(child));
}

bool EngineProcess::Poll() {
  out_.Pump();
  if (exit_code_) return false;
  system::SystemClock clock;
  auto code = child_.Wait(clock, 0);
  if (code.ok()) {
    while (!out_.Pump()) {
    }
    exit_code_ = *code;
    return false;
  }
  return true;
}

Status EngineProcess::WaitForAcks(size_t count, int64_t timeout_ms) {
  const int64_t deadline = MonoNowMs() + timeout_ms;
  while (true) {
    const bool running = Poll();
    const size_t have = acks().size();
    if (have >= count) return Status::Ok();
    if (!running || MonoNowMs() > deadline || DrillInterrupted()) {
      return Status::Error(
          StatusCode::kUnavailable, "trade", fmt::format("pid {}", pid()),
          DrillInterrupted() ? "the drill was interrupted"
          : running ? fmt::format("{} of {} acknowledgements in {} ms", have, count, timeout_ms)
                    : fmt::format("exited with {} after {} of {} acknowledgements",
                                  exit_code_.value_or(-1), have, count));
    }
    Nap();
  }
}

system::Result<std::string> EngineProcess::WaitForPause(int64_t timeout_ms) {
  const int64_t deadline = MonoNowMs() + timeout_ms;
  while (true) {
    const bool running = Poll();
    for (const auto& line : out_.lines()) {
      if (line.text.starts_with("paused ")) return line.text;
    }
    if (!running || MonoNowMs() > deadline || DrillInterrupted()) {
      return Status::Error(StatusCode::kUnavailable, "trade", fmt::format("pid {}", pid()),
                           running ? "never reached the moment to pause in"
                                   : "exited before the moment to pause in");
    }
    Nap();
  }
}

void EngineProcess::Kill() {
  child_.KillGroupAndReap();
  // Every writer of the pipe is dead: it reads to EOF (bounded, in case one
  // was passed on to a process outside the group).
  const int64_t deadline = MonoNowMs() + 2'000;
  while (!out_.Pump() && MonoNowMs() < deadline) Nap();
}

std::vector<Ack> EngineProcess::acks() const {
  std::vector<Ack> out;
  for (const auto& line : out_.lines()) {
    if (!line.text.starts_with("ack ")) continue;
    std::istringstream fields(line.text.substr(4));
    Ack ack;
    fields >> ack.seq >> ack.type;
    std::getline(fields, ack.detail);
    if (!ack.detail.empty() && ack.detail.front() == ' ') ack.detail.erase(0, 1);
    ack.wall_ns = line.wall_ns;
    out.push_back(std::move(ack));
  }
  return out;
}

system::Result<CrashfsMount> CrashfsMount::Mount(const std::string& binary,
                                                 const std::string& backing,
                                                 const std::string& mountpoint,
                                                 const std::string& model_json, uint64_t seed,
                                                 const std::string& log_path) {
  faults::ChildSpec spec;
  spec.argv = {binary,     "crashfs", "--backing",          backing,   "--model",
               model_json, "--seed",  std::to_string(seed), mountpoint};
  spec.stdout_path = log_path;
  spec.stderr_path = log_path;
  spec.own_process_group = true;
  CD_ASSIGN_OR_RETURN(faults::ChildProcess child, faults::ChildProcess::Spawn(spec));
  CrashfsMount mount(std::move(child), mountpoint);
  // Mounted once the mount table says so.
  const int64_t deadline = MonoNowMs() + 10'000;
  while (true) {
    std::ifstream mounts("/proc/self/mounts");
    std::string device, point;
    std::string rest;
    while (mounts >> device >> point && std::getline(mounts, rest)) {
      if (point == mountpoint) return mount;
    }
    system::SystemClock clock;
    if (auto code = mount.child_->Wait(clock, 0); code.ok()) {
      return Status::Error(StatusCode::kUnavailable, "crashfs", mountpoint,
                           fmt::format("exited with {} before mounting (see {})", *code, log_path));
    }
    if (MonoNowMs() > deadline || DrillInterrupted()) {
      return Status::Error(StatusCode::kUnavailable, "crashfs", mountpoint, "not mounted in 10 s");
    }
    Nap();
  }
}

system::Result<std::string> CrashfsMount::PowerLoss(const std::string& binary) {
  faults::ChildSpec spec;
  spec.argv = {binary, "crashfs", "--power-loss", mountpoint_};
  spec.stderr_path = mountpoint_ + ".log";
  CD_ASSIGN_OR_RETURN(CommandRun run, RunToEnd(spec, 30'000));
  if (run.exit_code != 0) {
    return Status::Error(StatusCode::kIoError, "crashfs --power-loss", mountpoint_,
                         fmt::format("exit {}: {}", run.exit_code, run.out));
  }
  while (!run.out.empty() && run.out.back() == '\n') run.out.pop_back();
  return run.out;
}

Status CrashfsMount::Unmount() {
  if (!child_) return Status::Ok();
  (void)child_->Kill(SIGTERM);
  system::SystemClock clock;
  auto code = child_->Wait(clock, 10 * system::kNanosPerSecond);
  if (!code.ok()) {
    child_->KillGroupAndReap();
    faults::ChildSpec lazy;
    lazy.argv = {"/bin/fusermount3", "-uz", mountpoint_};
    (void)RunToEnd(lazy, 10'000);
  }
  child_.reset();
  if (!code.ok()) {
    return Status::Error(StatusCode::kIoError, "crashfs", mountpoint_,
                         "did not unmount on SIGTERM in 10 s; killed and lazily unmounted");
  }
  return Status::Ok();
}

CrashfsMount::~CrashfsMount() { (void)Unmount(); }

}  // namespace crashdrill::scenarios

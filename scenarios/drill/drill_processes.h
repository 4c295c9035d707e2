// The drill's real processes: the exchange (with its fault hooks on stdin),
// engines (`crashdrill trade --acks`, whose acknowledgements stream to the
// harness over a pipe, each stamped with the harness's wall time), one-shot
// commands (`recover`, `inspect`) and the crash filesystem. Every child leads a
// process group of its own and is killed with it when its handle goes, so an
// interrupted or failing drill leaves no process behind; waits give up when
// the drill is interrupted (DrillInterrupted()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "faults/process_control.h"
#include "system/io/clock.h"
#include "system/io/result.h"

namespace crashdrill::scenarios {

// Set by the drill command's SIGINT/SIGTERM handler; every wait checks it.
bool DrillInterrupted();
void InterruptDrill();

int64_t WallNowNs();

// Lines from a child's stdout pipe, read as they come (Pump) and kept.
class ChildLines {
 public:
  struct Line {
    std::string text;
    int64_t wall_ns = 0;  // when the harness read it
  };
  explicit ChildLines(int fd) : fd_(fd) {}
  // Reads what is there without blocking. True at EOF.
  bool Pump();
  const std::vector<Line>& lines() const { return lines_; }

 private:
  int fd_;
  std::string partial_;
  std::vector<Line> lines_;
};

struct Ack {
  uint64_t seq = 0;
  std::string type;    // record type name ("order_submit")
  std::string detail;  // client order id (and exchange_seq for fills)
  int64_t wall_ns = 0;
};

// Sleeps about a millisecond.
void Nap();

// One `crashdrill ...` run to its end (or timeout_ms): exit code, stdout, wall time.
struct CommandRun {
  int exit_code = -1;
  std::string out;
  double wall_ms = 0;
};
system::Result<CommandRun> RunToEnd(faults::ChildSpec spec, int64_t timeout_ms);

class ExchangeProcess {
 public:
  // `crashdrill exchange --listen ADDRESS --control-stdin`.
  // Its stderr goes to `log_path`.
  static system::Result<ExchangeProcess> Start(const std::string& binary,
                                               const std::string& address, uint64_t seed,
                                               const std::string& log_path);
  const std::string& address() const { return address_; }
  // "partition", "heal", "pause-market", "resume-market"; waits for "ok <command>".
  system::Status Control(const std::string& command);

 private:
  explicit ExchangeProcess(faults::ChildProcess child)
      : child_(std::move(child)), out_(child_.stdout_fd()) {}
  faults::ChildProcess child_;
  ChildLines out_;
  std::string address_;
};

// A running `crashdrill trade --acks`.
class EngineProcess {
 public:
  static system::Result<EngineProcess> Start(faults::ChildSpec spec);
  // Pumps its stdout; false once it exited (its exit code then in exit_code()).
  bool Poll();
  // Waits until `count` acknowledgements arrived in total; kUnavailable naming what
  // it got when the engine exits first or timeout_ms passes.
  system::Status WaitForAcks(size_t count, int64_t timeout_ms);
  // Waits for the "paused <moment> <path>" line; returns it.
  system::Result<std::string> WaitForPause(int64_t timeout_ms);
  std::vector<Ack> acks() const;
  pid_t pid() const { return child_.pid(); }
  // SIGKILL (the whole group), reap, and read what it wrote before it died:
  // an acknowledgement still in the pipe was made and must be counted.
  void Kill();
  std::optional<int> exit_code() const { return exit_code_; }

 private:
  explicit EngineProcess(faults::ChildProcess child)
      : child_(std::move(child)), out_(child_.stdout_fd()) {}
  faults::ChildProcess child_;
  ChildLines out_;
  std::optional<int> exit_code_;
};

// `crashdrill crashfs --backing DIR MOUNT` in the foreground; unmounted (SIGTERM,
// then waited for) when the handle goes.
class CrashfsMount {
 public:
  static system::Result<CrashfsMount> Mount(const std::string& binary, const std::string& backing,
                                            const std::string& mountpoint,
                                            const std::string& model_json, uint64_t seed,
                                            const std::string& log_path);
  CrashfsMount(CrashfsMount&& other) noexcept
      : child_(std::move(other.child_)), mountpoint_(std::move(other.mountpoint_)) {
    other.child_.reset();
  }
  ~CrashfsMount();
  // `crashdrill crashfs --power-loss MOUNT`: kills what uses the mount, drops
  // what was not durable. Returns its summary line.
  system::Result<std::string> PowerLoss(const std::string& binary);
  // Unmounts and waits for the daemon; the backing directory then holds the image.
  system::Status Unmount();
  const std::string& mountpoint() const { return mountpoint_; }

 private:
  CrashfsMount(faults::ChildProcess child, std::string mountpoint)
      : child_(std::move(child)), mountpoint_(std::move(mountpoint)) {}
  std::optional<faults::ChildProcess> child_;
  std::string mountpoint_;
};

}  // namespace crashdrill::scenarios

// Process-mode helpers: run the engine (or any program) as a child process with real
// faults injected from outside — libfiu's POSIX preload (the environment `fiu-run -x` sets:
// ENOSPC/EIO on real write, fsync, rename ...), libfiu remote control over its fifo (what
// `fiu-ctrl` does), and libfaketime for wall-clock skew with an untouched monotonic clock.
// Fault contract: faults hit only the child; the calling process is never preloaded.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "system/io/clock.h"
#include "system/io/result.h"

namespace crashdrill::faults {

inline constexpr const char* kFiuPreloadDir = "/usr/lib/fiu";
inline constexpr const char* kFaketimeLibrary =
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
inline constexpr const char* kFaketimeLibraryThreaded =
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

struct ChildSpec {
  std::vector<std::string> argv;             // argv[0] is the program path (PATH is not searched)
  std::map<std::string, std::string> env;    // set on top of the caller's environment
  std::vector<std::string> preload;          // joined into LD_PRELOAD, in order
  std::string stdout_path;                   // empty: inherit (unless stdout_pipe)
  std::string stderr_path;                   // empty: inherit; appended to otherwise
  // A pipe to the child's stdin (ChildProcess::WriteStdin; closing it gives the
  // child EOF) and one from its stdout (ChildProcess::stdout_fd, non-blocking).
  bool stdin_pipe = false;
  bool stdout_pipe = false;
  // The child leads a process group of its own, so KillGroup reaches whatever it
  // starts (a harness that is interrupted kills every group it made).
  bool own_process_group = false;
};

// Adds what `fiu-run -x -f fifo_prefix -c cmd...` adds: the run and POSIX preload
// libraries, FIU_ENABLE with the commands (e.g. "enable name=posix/io/rw/write,failinfo=28")
// and FIU_CTRL_FIFO so the child listens on `<fifo_prefix>-<pid>.in/.out`.
void AddFiuRun(ChildSpec& spec, const std::vector<std::string>& enable_commands,
               const std::string& fifo_prefix);

struct FaketimeSpec {
  // FAKETIME value ("+86400", "-3600", "@2026-01-01 00:00:00"); used when no file is given.
  std::string faketime;
  // When set, FAKETIME_TIMESTAMP_FILE with FAKETIME_NO_CACHE=1, so the skew can be changed
  // while the child runs (WriteFaketimeFile).
  std::string timestamp_file;
  bool fake_monotonic = false;  // false sets FAKETIME_DONT_FAKE_MONOTONIC=1
  bool threaded = false;        // libfaketimeMT for threaded programs
};
void AddFaketime(ChildSpec& spec, const FaketimeSpec& faketime);
// Atomically replaces the content of a FAKETIME_TIMESTAMP_FILE.
system::Status WriteFaketimeFile(const std::string& path, const std::string& faketime);

class ChildProcess {
 public:
  static system::Result<ChildProcess> Spawn(const ChildSpec& spec);
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) = delete;
  ChildProcess(const ChildProcess&) = delete;
  // Kills (SIGKILL) and reaps a child still running.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool running() const { return !reaped_; }
  // -1 unless spawned with stdout_pipe. Non-blocking; the caller reads it.
  int stdout_fd() const { return stdout_fd_; }
  // Writes `text` to the child's stdin (REQUIRES: stdin_pipe). kUnavailable once the
  // child closed it.
  system::Status WriteStdin(std::string_view text);
  // Closes the child's stdin: it reads EOF.
  void CloseStdin();
  // Waits until the child exits or `timeout_ns` of clock.Mono() passes (polling every
  // millisecond). Returns the exit code, 128+signal when killed, kUnavailable on timeout.
  system::Result<int> Wait(system::Clock& clock, int64_t timeout_ns);
  system::Status Kill(int signal_number);
  // SIGKILLs the child's whole process group (REQUIRES: own_process_group) and reaps
  // the child.
  void KillGroupAndReap();

 private:
  ChildProcess(pid_t pid, int stdin_fd, int stdout_fd, bool group)
      : pid_(pid), stdin_fd_(stdin_fd), stdout_fd_(stdout_fd), group_(group) {}
  void Reap();
  pid_t pid_;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  bool group_ = false;
  bool reaped_ = false;
};

// Sends one libfiu remote-control command ("enable name=posix/io/rw/write,failinfo=28",
// "disable name=...") to the process listening on `<fifo_prefix>-<pid>`, and waits (at most
// timeout_ns of clock.Mono()) for its reply. kUnavailable if nobody listens,
// kInvalidArgument if libfiu rejected the command.
system::Status SendFiuCommand(const std::string& fifo_prefix, pid_t pid,
                              const std::string& command, system::Clock& clock,
                              int64_t timeout_ns);

}  // namespace crashdrill::faults

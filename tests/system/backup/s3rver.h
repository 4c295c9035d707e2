// S3rver: a real S3 server (s3rver, npm; PITFALLS "S3 in tests") for one
// test, on 127.0.0.1 at a free port, over a fresh temp directory with one
// bucket. It runs in its own process group, dies with the test process
// (PR_SET_PDEATHSIG), and Stop() or the destructor kills the group and
// reaps it, so no server outlives its test.
//
// Not installed: Start() fails saying how to install it (.ci/install-deps does).
// CRASHDRILL_SKIP_S3=1 opts out: S3SkipReason() says why, and fixtures skip.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "system/backup/s3_target.h"
#include "tests/support/temp_dir.h"

namespace crashdrill::testing {

inline constexpr char kS3Bucket[] = "crashdrill-backups";
inline constexpr char kS3rverKeyId[] = "S3RVER";  // s3rver's only account
inline constexpr char kS3rverSecret[] = "S3RVER";

// Non-empty when the environment opts out of the S3 tests.
inline std::string S3SkipReason() {
  const char* skip = std::getenv("CRASHDRILL_SKIP_S3");
  if (skip == nullptr || std::string(skip).empty() || std::string(skip) == "0") return "";
  return "CRASHDRILL_SKIP_S3 is set: S3 target tests skipped";
}

// Where .ci/install-deps puts s3rver (the same default and override).
inline std::string S3rverScript() {
  std::string dir;
  if (const char* override_dir = std::getenv("CRASHDRILL_S3RVER_DIR")) {
    dir = override_dir;
  } else if (const char* cache = std::getenv("XDG_CACHE_HOME")) {
    dir = std::string(cache) + "/crashdrill/s3rver";
  } else {
    dir = std::string(std::getenv("HOME") ? std::getenv("HOME") : "") + "/.cache/crashdrill/s3rver";
  }
  return dir + "/node_modules/s3rver/bin/s3rver.js";
}

// A port nobody listens on now: bind 127.0.0.1:0, read the port, close.
// (s3rver cannot bind port 0 itself and report it.)
inline int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

inline bool LoopbackPortAnswers(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return connected;
}

class S3rver {
 public:
  S3rver() : port_(FreeLoopbackPort()) {}
  ~S3rver() { Stop(); }
  S3rver(const S3rver&) = delete;
  S3rver& operator=(const S3rver&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Options of a target on this server: its account, path-style URLs, short
  // timeouts, 3 attempts, and backoffs counted in `*retries` instead of slept.
  system::S3Options Options(const std::string& prefix, int* retries = nullptr) const {
    system::S3Options options;
    options.endpoint = endpoint();
    options.bucket = kS3Bucket;
    options.prefix = prefix;
    options.access_key_id = kS3rverKeyId;
    options.secret_access_key = kS3rverSecret;
    options.connect_timeout_ms = 2'000;
    options.request_timeout_ms = 20'000;
    options.attempts_max = 3;
    options.backoff_wait = [retries](int64_t) {
      if (retries != nullptr) ++*retries;
    };
    return options;
  }

  // Starts the server and waits (at most 20 s) until it accepts connections.
  system::Status Start() {
    const std::string script = S3rverScript();
    if (!std::filesystem::exists(script)) {
      return system::Status::Error(
          system::StatusCode::kFailedPrecondition, "start s3rver", script,
          "s3rver is not installed: run .ci/install-deps (it runs `npm install --prefix DIR "
          "s3rver@3`), or set CRASHDRILL_SKIP_S3=1 to skip the S3 tests");
    }
    if (port_ <= 0) {
      return system::Status::Error(system::StatusCode::kUnavailable, "start s3rver", "",
                                   "no free loopback port");
    }
    log_ = directory_.Join("s3rver.log");
    const std::string data = directory_.Join("data");
    std::filesystem::create_directory(data);
    // s3rver makes continuation tokens with DES, which OpenSSL 3 keeps in its
    // legacy provider: without it every truncated List page is an HTTP 500.
    const std::vector<std::string> args = {"node",
                                           "--openssl-legacy-provider",
                                           script,
                                           "--address",
                                           "127.0.0.1",
                                           "--port",
                                           std::to_string(port_),
                                           "--directory",
                                           data,
                                           "--configure-bucket",
                                           kS3Bucket,
                                           "--silent"};
    Spawn(args);
    if (pid_ < 0) {
      return system::Status::FromErrno(errno, "start s3rver", "fork");
    }
    return WaitUntilAnswering();
  }

  // Kills the server's process group and reaps it. Idempotent.
  void Stop() {
    if (pid_ <= 0) return;
    kill(-pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  void Spawn(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    const int log_fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {  // only async-signal-safe calls until exec
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      if (log_fd >= 0) {
        dup2(log_fd, STDOUT_FILENO);
        dup2(log_fd, STDERR_FILENO);
      }
      execvp("node", argv.data());
      _exit(127);
    }
    if (pid_ > 0) setpgid(pid_, pid_);  // either side may win the race; both set it
    if (log_fd >= 0) close(log_fd);
  }

  system::Status WaitUntilAnswering() {
    for (int i = 0; i < 1000; ++i) {  // 1000 x 20 ms
      if (LoopbackPortAnswers(port_)) return system::Status::Ok();
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return system::Status::Error(system::StatusCode::kUnavailable, "start s3rver", endpoint(),
                                     "s3rver exited: " + Log());
      }
      timespec pause{.tv_sec = 0, .tv_nsec = 20'000'000};
      nanosleep(&pause, nullptr);
    }
    return system::Status::Error(system::StatusCode::kUnavailable, "start s3rver", endpoint(),
                                 "no answer within 20 s: " + Log());
  }

  std::string Log() const {
    std::ifstream in(log_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  TempDir directory_;
  int port_;
  pid_t pid_ = -1;
  std::string log_;
};

}  // namespace crashdrill::testing

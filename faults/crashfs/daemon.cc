// The crashfs daemon: session, signals, the control thread and the power-loss sequence.
#include "faults/crashfs/daemon.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "faults/crashfs/control.h"
#include "faults/crashfs/fuse_ops.h"
#include "faults/crashfs/mount_users.h"

namespace crashdrill::faults::crashfs {

using system::Status;

namespace {

constexpr int64_t kKillTimeoutMs = 10'000;

struct Daemon {
  CrashFs* fs = nullptr;
  fuse_session* session = nullptr;
  std::string mountpoint;
  std::FILE* out = nullptr;
};

void InvalidateInodes(Daemon& daemon, const std::vector<uint64_t>& inodes) {
  for (uint64_t ino : inodes) {
    // -ENOENT: the kernel already forgot it. Nothing else can fail here that matters.
    fuse_lowlevel_notify_inval_inode(daemon.session, ino, 0, 0);
  }
}

// The sequence of daemon.h. Runs on the control thread and holds no lock while notifying.
std::string CutPower(Daemon& daemon, pid_t requester) {
  const system::Result<uint64_t> killed =
      KillMountUsers(daemon.mountpoint, {getpid(), requester}, kKillTimeoutMs);
  if (!killed.ok()) return "error " + killed.status().ToString();
  InvalidateInodes(daemon, daemon.fs->KnownInodes());  // dirty pages come in as writes now
  const PowerLossOutcome outcome = daemon.fs->PowerLoss();
  InvalidateInodes(daemon, outcome.inodes);
  for (const ChangedName& name : outcome.names) {
    fuse_lowlevel_notify_inval_entry(daemon.session, name.parent_ino, name.name.c_str(),
                                     name.name.size());
  }
  if (!outcome.mirror_error.empty()) return "error backing directory: " + outcome.mirror_error;
  return fmt::format(
      "ok power loss (seed {}): writes dropped {}, torn {}, truncates undone {}, names rolled "
      "back {}, processes killed {}",
      daemon.fs->seed(), outcome.writes_dropped, outcome.writes_torn, outcome.truncates_undone,
      outcome.names_rolled_back, *killed);
}

void Answer(Daemon& daemon, int client) {
  ucred peer{};
  socklen_t length = sizeof peer;
  std::string reply;
  char buffer[256];
  const ssize_t n = read(client, buffer, sizeof buffer - 1);
  const std::string request = n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
  if (getsockopt(client, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 ||
      (peer.uid != 0 && peer.uid != getuid())) {
    reply = "error permission denied";
  } else if (request.starts_with("power-loss")) {
    reply = CutPower(daemon, peer.pid);
  } else {
    reply = "error unknown request";
  }
  reply += '\n';
  if (write(client, reply.data(), reply.size()) < 0) {
    // The requester went away; the power loss happened all the same.
  }
  std::fprintf(daemon.out, "crashfs: %s", reply.c_str());
  std::fflush(daemon.out);
}

void ServeControl(Daemon& daemon, int listen_fd) {
  struct stat st {};
  if (stat(daemon.mountpoint.c_str(), &st) == 0) {  // served by the loop, now running
    std::fprintf(daemon.out,
                 "crashfs: a stuck connection is aborted with `echo 1 > "
                 "/sys/fs/fuse/connections/%u/abort` then `fusermount3 -uz %s`\n",
                 minor(st.st_dev), daemon.mountpoint.c_str());
    std::fflush(daemon.out);
  }
  for (;;) {
    const int client = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0 && errno == EINTR) continue;
    if (client < 0) return;  // shut down
    Answer(daemon, client);
    close(client);
  }
}

// Starts the control thread with the termination signals blocked, so they reach the loop.
std::thread StartControl(Daemon& daemon, int listen_fd) {
  sigset_t signals, previous;
  sigemptyset(&signals);
  for (int signal_number : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, signal_number);
  pthread_sigmask(SIG_BLOCK, &signals, &previous);
  std::thread thread([&daemon, listen_fd] { ServeControl(daemon, listen_fd); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return thread;
}

Status Serve(Daemon& daemon, int listen_fd) {
  if (fuse_set_signal_handlers(daemon.session) != 0) {
    return Status::Error(system::StatusCode::kInternal, "crashfs signals", daemon.mountpoint,
                         "fuse_set_signal_handlers failed");
  }
  if (fuse_session_mount(daemon.session, daemon.mountpoint.c_str()) != 0) {
    fuse_remove_signal_handlers(daemon.session);
    return Status::Error(system::StatusCode::kUnavailable, "crashfs mount", daemon.mountpoint,
                         "fuse_session_mount failed (is /dev/fuse there, is it a directory?)");
  }
  std::fprintf(daemon.out, "crashfs: mounted %s control @%s\n", daemon.mountpoint.c_str(),
               ControlSocketName(daemon.mountpoint).c_str());
  std::fflush(daemon.out);
  std::thread control = StartControl(daemon, listen_fd);
  const int loop = fuse_session_loop(daemon.session);
  shutdown(listen_fd, SHUT_RDWR);
  control.join();
  fuse_remove_signal_handlers(daemon.session);
  fuse_session_unmount(daemon.session);
  if (loop < 0) return Status::FromErrno(-loop, "crashfs loop", daemon.mountpoint);
  return Status::Ok();
}

}  // namespace

Status RunDaemon(const DaemonOptions& options, std::FILE* out) {
  CD_ASSIGN_OR_RETURN(std::unique_ptr<CrashFs> fs,
                      CrashFs::Open(options.backing_dir, options.disk));
  Daemon daemon{.fs = fs.get(), .mountpoint = CanonicalMountpoint(options.mountpoint), .out = out};
  CD_ASSIGN_OR_RETURN(const int listen_fd, ListenControl(daemon.mountpoint));
  std::fprintf(out, "crashfs: serving %s seed %llu\n", options.backing_dir.c_str(),
               static_cast<unsigned long long>(options.disk.plan.seed));
  FuseContext context{.fs = fs.get(), .started = time(nullptr)};
  const char* argv[] = {"crashdrill-crashfs", "-o", "fsname=crashfs,subtype=crashdrill"};
  fuse_args args = FUSE_ARGS_INIT(3, const_cast<char**>(argv));
  const fuse_lowlevel_ops ops = MakeFuseOps();
  daemon.session = fuse_session_new(&args, &ops, sizeof ops, &context);
  fuse_opt_free_args(&args);  // the session copied what it needs
  Status status = daemon.session == nullptr
                      ? Status::Error(system::StatusCode::kInternal, "crashfs session",
                                      daemon.mountpoint, "fuse_session_new failed")
                      : Serve(daemon, listen_fd);
  close(listen_fd);
  if (daemon.session != nullptr) fuse_session_destroy(daemon.session);
  if (!status.ok()) return status;
  // A clean unmount loses nothing: everything becomes durable and reaches the backing dir.
  CD_RETURN_IF_ERROR(fs->Shutdown());
  std::fprintf(out, "crashfs: unmounted %s; %s holds the image\n", daemon.mountpoint.c_str(),
               options.backing_dir.c_str());
  std::fflush(out);
  return Status::Ok();
}

}  // namespace crashdrill::faults::crashfs

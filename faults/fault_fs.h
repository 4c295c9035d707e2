// FaultFs: an FsWrapper over any Fs (PosixFs included) that injects, from a FaultPlan,
// EIO (kIoError), ENOSPC (kNoSpace), short writes (kShortWrite: the first half lands on the
// target, then ENOSPC), fsync failures (kSyncFailure: EIO without calling the target's
// sync — a real page cache cannot be made to drop data, so nothing is dropped) and latency
// (kLatency: the injected sleep function is called with duration_ns before the operation).
// Crash, corruption and misdirected writes need a simulated device: use SimDisk for those;
// FaultFs leaves them out of its trace. Exists, FileSize and FreeSpace pass through.
// Every injected status is marked injected.
// Thread-safe if the target is; the decision logic runs under one mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "faults/fault_injector.h"
#include "faults/fault_plan.h"
#include "faults/fault_trace.h"
#include "system/io/fs.h"

namespace crashdrill::faults {

// Receives the latency to inject; tests pass one that advances a SimClock, the drill a real
// sleep.
using SleepFunction = std::function<void(int64_t duration_ns)>;

class FaultFs final : public system::FsWrapper {
 public:
  // Does not own `target`. REQUIRES: `sleep` is callable.
  FaultFs(system::Fs* target, FaultPlan plan, SleepFunction sleep);

  system::Result<std::unique_ptr<system::File>> Open(const std::string& path,
                                                     system::OpenOptions options) override;
  system::Status Rename(const std::string& from, const std::string& to) override;
  system::Status Unlink(const std::string& path) override;
  system::Result<std::vector<std::string>> List(const std::string& dir) override;
  system::Status MakeDir(const std::string& dir) override;
  system::Status SyncDir(const std::string& dir) override;

  // A copy of the trace so far.
  FaultTrace trace() const;

  // What the caller of an operation must do after the plan was consulted. Used by the
  // files FaultFs hands out.
  struct Decision {
    system::Status error;     // non-OK: fail the operation with this, do nothing else
    bool short_write = false;  // write the first half, then fail with ENOSPC
  };
  Decision Decide(const OpInfo& op);

 private:
  mutable std::mutex mutex_;
  FaultInjector injector_;
  FaultTrace trace_;
  uint64_t op_index_ = 0;
  SleepFunction sleep_;
};

}  // namespace crashdrill::faults

// AsyncArchiveSink: the archive off the trading path. The checkpointer calls
// its ArchiveSink from Tick(), on the engine's loop; an archive database that
// is down, slow or full (a PostgreSQL connect timeout is seconds) must never
// hold that loop up (DESIGN §4: L4 never blocks or halts trading). This sink
// takes a copy of the state and returns at once; a task on `executor` hands
// it to the real sink. Only the newest state waits: one queued but not yet
// taken is replaced by a newer one (counted as superseded), since an archive
// wants the latest copy, not every copy. A failure of the real sink is
// counted and kept for stats(); the next period tries again with a newer state.
//
// Thread-safety: Archive(), Drain() and stats() from any thread; the real sink
// is called by one thread at a time. Items still queued at a crash are lost,
// as any archive attempt in flight would be.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "system/io/executor.h"
#include "system/levels/checkpointer.h"

namespace crashdrill::system {

struct AsyncArchiveStats {
  uint64_t queued = 0;      // states accepted by Archive()
  uint64_t superseded = 0;  // replaced by a newer state before the sink took them
  uint64_t written = 0;     // the sink returned OK
  uint64_t failed = 0;      // the sink returned an error
  Status last_error;        // of the last failed attempt (OK if none failed)
};

class AsyncArchiveSink final : public ArchiveSink {
 public:
  // Neither is owned; both must outlive this object.
  AsyncArchiveSink(ArchiveSink& sink, Executor& executor);
  // Drain(): waits for the attempt in flight and writes what is queued.
  ~AsyncArchiveSink() override;
  AsyncArchiveSink(const AsyncArchiveSink&) = delete;
  AsyncArchiveSink& operator=(const AsyncArchiveSink&) = delete;

  // Queues a copy of `state` and returns OK at once: whether it was archived
  // is in stats(), never a reason for the caller to wait or to halt.
  Status Archive(const EngineState& state) override;
  // Waits until nothing is queued or in flight, writing a queued state on
  // this thread when no task is running (so it also returns with an executor
  // nobody runs). Returns the status of the last attempt it waited for.
  Status Drain();
  AsyncArchiveStats stats() const;

 private:
  struct Shared {
    ArchiveSink* sink;
    std::mutex mu;
    std::condition_variable idle;
    std::optional<EngineState> pending;
    bool task_posted = false;  // a task of ours is in the executor
    bool writing = false;      // someone is inside sink->Archive
    AsyncArchiveStats stats;
    Status last;  // of the last attempt
  };
  // Writes the queued states until none is left; false if someone else is
  // writing (they will take what is queued).
  static void WriteQueued(const std::shared_ptr<Shared>& shared, std::unique_lock<std::mutex>& lock);

  std::shared_ptr<Shared> shared_;
  Executor& executor_;
};

}  // namespace crashdrill::system

// AsyncWriter: a bounded queue for data that is not critical (analytics,
// market data), written by tasks on an Executor. Submit never blocks on I/O
// (unless the executor is inline, as in sim mode): when the queue is full the
// item is dropped and counted, because a slow disk must never stall the trading
// path. Flush() and Stop() drain what was queued. Nothing here is durable
// before the sink says so; items still queued at a crash are lost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "system/io/executor.h"
#include "system/io/status.h"

namespace crashdrill::system {

struct AsyncWriterStats {
  uint64_t submitted = 0;  // accepted into the queue
  uint64_t written = 0;    // handed to the sink, which returned OK
  uint64_t dropped = 0;    // queue full, or submitted after Stop()
  uint64_t sink_failures = 0;
  bool operator==(const AsyncWriterStats&) const = default;
};

// How the work is done, whatever the executor:
// - The writer keeps at most one task of its own posted at a time; each task
//   writes the oldest queued item (one item, so a ManualExecutor's RunOne()
//   writes exactly one) and posts the next task if items remain.
// - The sink is called by one thread at a time, in submission order: by the
//   executor's task, or by the thread in Flush()/Stop().
// - Flush() and Stop() do not wait for the executor to get round to it: when
//   no one is in the sink they write the queued items themselves, on the
//   caller's thread. So they never deadlock, with a ManualExecutor nobody
//   runs, with an InlineExecutor, or behind a ThreadExecutor busy with
//   others' tasks; they wait only for an item already in the sink.
// - A task of the writer may outlive it in the executor (after Flush()/Stop()
//   wrote its item); it shares the writer's state and then does nothing.
// With an InlineExecutor, Submit writes the item before it returns; with a
// ManualExecutor, items wait until the executor runs (or Flush()/Stop()); with
// a ThreadExecutor, the worker writes them in the background.
class AsyncWriter {
 public:
  // Writes one item. Called one at a time, in submission order, on the
  // executor's thread or the thread in Flush()/Stop(). It may Submit (the
  // item is queued behind the current one) but must not Flush() or Stop().
  using Sink = std::function<Status(const std::string& item)>;

  // REQUIRES: capacity >= 1; `executor` outlives every Submit (not owned) and
  // accepts tasks until Stop() (a ThreadExecutor stopped first aborts).
  AsyncWriter(Executor& executor, size_t capacity, Sink sink);
  ~AsyncWriter();  // Stop()
  AsyncWriter(const AsyncWriter&) = delete;
  AsyncWriter& operator=(const AsyncWriter&) = delete;

  // Queues `item`, or drops it (returns false) when `capacity` items are
  // already waiting (an item in the sink does not count) or after Stop().
  // Thread-safe.
  bool Submit(std::string item);
  // Returns once every item submitted before the call was handed to the sink
  // and the sink returned; returns the first sink error since the previous
  // Flush (OK if none), so each error is reported once. Thread-safe.
  Status Flush();
  // Writes everything queued, then drops later submits. Idempotent. A sink
  // error met here is counted in stats() and returned by a later Flush().
  // Thread-safe.
  void Stop();

  AsyncWriterStats stats() const;

 private:
  struct Shared;
  static void RunTask(const std::shared_ptr<Shared>& shared, Executor& executor);
  void PostTask();

  Executor& executor_;
  std::shared_ptr<Shared> shared_;  // also held by the writer's pending task
};

}  // namespace crashdrill::system

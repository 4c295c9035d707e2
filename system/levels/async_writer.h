// AsyncWriter: a bounded queue drained by one background thread, for data
// that is not critical (analytics, market data). Submit never blocks on I/O:
// when the queue is full the item is dropped and counted, because a slow disk
// must never stall the trading path. Flush() and destruction drain what was
// queued (clean shutdown). Nothing here is durable before the sink says so.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "system/io/status.h"

namespace crashdrill::system {

struct AsyncWriterStats {
  uint64_t submitted = 0;
  uint64_t written = 0;
  uint64_t dropped = 0;        // queue full, or submitted after Stop()
  uint64_t sink_failures = 0;
  bool operator==(const AsyncWriterStats&) const = default;
};

class AsyncWriter {
 public:
  // Writes one item; runs on the writer thread only.
  using Sink = std::function<Status(const std::string& item)>;

  // REQUIRES: capacity >= 1.
  AsyncWriter(size_t capacity, Sink sink);
  ~AsyncWriter();  // Stop()
  AsyncWriter(const AsyncWriter&) = delete;
  AsyncWriter& operator=(const AsyncWriter&) = delete;

  // Queues `item`, or drops it (returns false) when the queue is full.
  bool Submit(std::string item);
  // Waits until every item submitted before the call was handed to the sink;
  // returns the first sink error since the previous Flush (OK if none).
  Status Flush();
  // Drains the queue and stops the thread; later submits are dropped.
  void Stop();

  AsyncWriterStats stats() const;

 private:
  void Run();

  const size_t capacity_;
  Sink sink_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::deque<std::string> queue_;
  uint64_t taken_ = 0;  // items taken by the thread and finished
  bool stopping_ = false;
  Status first_error_;
  AsyncWriterStats stats_;
  std::thread thread_;  // last: starts after every member above exists
};

}  // namespace crashdrill::system

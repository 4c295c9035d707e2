#include "system/levels/async_writer.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <utility>

#include "system/io/check.h"

namespace crashdrill::system {

// Invariant (under mu): finished + queue.size() + (in_sink ? 1 : 0) ==
// stats.submitted; and a non-empty queue has a task posted or someone in the
// sink, who posts one when it leaves (NeedsTask), so no item is stranded.
struct AsyncWriter::Shared {
  Shared(size_t capacity_items, Sink sink_function)
      : capacity(capacity_items), sink(std::move(sink_function)) {}

  // REQUIRES: lock holds mu, !in_sink, !queue.empty(). Unlocks around the sink.
  void WriteOldest(std::unique_lock<std::mutex>& lock) {
    CD_CHECK(!in_sink && !queue.empty(), "AsyncWriter: one writer at a time, of a queued item");
    CD_CHECK(sink != nullptr, "AsyncWriter: an item accepted after Stop() released the sink");
    std::string item = std::move(queue.front());
    queue.pop_front();
    in_sink = true;
    lock.unlock();
    Status status = sink(item);
    lock.lock();
    in_sink = false;
    ++finished;
    if (status.ok()) {
      ++stats.written;
    } else {
      ++stats.sink_failures;
      if (first_error.ok()) first_error = std::move(status);
    }
    idle_cv.notify_all();
  }

  // REQUIRES: mu held. True when the caller must post a task (outside mu).
  bool NeedsTask() {
    if (in_sink || queue.empty() || task_posted) return false;
    task_posted = true;
    return true;
  }

  const size_t capacity;
  Sink sink;
  std::mutex mu;
  std::condition_variable idle_cv;  // an item left the sink
  std::deque<std::string> queue;
  uint64_t finished = 0;     // items that went through the sink
  bool in_sink = false;      // a thread is calling the sink
  bool task_posted = false;  // a task is in the executor and has not started
  bool stopping = false;
  Status first_error;  // since the previous Flush
  AsyncWriterStats stats;
};

AsyncWriter::AsyncWriter(Executor& executor, size_t capacity, Sink sink)
    : executor_(executor), shared_(std::make_shared<Shared>(capacity, std::move(sink))) {
  CD_CHECK(capacity >= 1, "AsyncWriter capacity must be at least one item");
}

AsyncWriter::~AsyncWriter() { Stop(); }

void AsyncWriter::RunTask(const std::shared_ptr<Shared>& shared, Executor& executor) {
  bool post = false;
  {
    std::unique_lock lock(shared->mu);
    shared->task_posted = false;
    // Empty when Flush()/Stop() wrote the items. In the sink: Flush()/Stop()
    // is writing (or the executor ran this task from inside the sink); who is
    // in the sink posts the next task when it leaves.
    if (shared->in_sink || shared->queue.empty()) return;
    shared->WriteOldest(lock);
    post = shared->NeedsTask();
  }
  if (post) executor.Post([shared, &executor] { RunTask(shared, executor); });
}

void AsyncWriter::PostTask() {
  executor_.Post([shared = shared_, &executor = executor_] { RunTask(shared, executor); });
}

bool AsyncWriter::Submit(std::string item) {
  bool post = false;
  {
    std::lock_guard lock(shared_->mu);
    if (shared_->stopping || shared_->queue.size() >= shared_->capacity) {
      ++shared_->stats.dropped;
      return false;
    }
    shared_->queue.push_back(std::move(item));
    ++shared_->stats.submitted;
    post = shared_->NeedsTask();
  }
  if (post) PostTask();  // outside the lock: an inline executor runs it now
  return true;
}

Status AsyncWriter::Flush() {
  bool post = false;
  Status error;
  {
    std::unique_lock lock(shared_->mu);
    const uint64_t target = shared_->stats.submitted;
    while (shared_->finished < target) {
      if (shared_->in_sink) {
        shared_->idle_cv.wait(lock);
      } else {
        shared_->WriteOldest(lock);
      }
    }
    post = shared_->NeedsTask();  // items submitted during the flush
    error = std::exchange(shared_->first_error, Status::Ok());
  }
  if (post) PostTask();
  return error;
}

void AsyncWriter::Stop() {
  Sink sink;
  {
    std::unique_lock lock(shared_->mu);
    shared_->stopping = true;
    while (shared_->in_sink || !shared_->queue.empty()) {
      if (shared_->in_sink) {
        shared_->idle_cv.wait(lock);
      } else {
        shared_->WriteOldest(lock);
      }
    }
    // A task left in the executor finds the queue empty and never calls the
    // sink again: release what the sink holds now, not when that task runs.
    sink = std::move(shared_->sink);
  }
}

AsyncWriterStats AsyncWriter::stats() const {
  std::lock_guard lock(shared_->mu);
  return shared_->stats;
}

}  // namespace crashdrill::system

#include "system/levels/async_archive.h"

namespace crashdrill::system {

AsyncArchiveSink::AsyncArchiveSink(ArchiveSink& sink, Executor& executor)
    : shared_(std::make_shared<Shared>()), executor_(executor) {
  shared_->sink = &sink;
}

AsyncArchiveSink::~AsyncArchiveSink() { Drain().IgnoreError(); }

void AsyncArchiveSink::WriteQueued(const std::shared_ptr<Shared>& shared,
                                   std::unique_lock<std::mutex>& lock) {
  while (shared->pending && !shared->writing) {
    EngineState state = std::move(*shared->pending);
    shared->pending.reset();
    shared->writing = true;
    lock.unlock();
    Status status = shared->sink->Archive(state);
    lock.lock();
    shared->writing = false;
    if (status.ok()) {
      ++shared->stats.written;
    } else {
      ++shared->stats.failed;
      shared->stats.last_error = status;
    }
    shared->last = std::move(status);
  }
  shared->idle.notify_all();
}

Status AsyncArchiveSink::Archive(const EngineState& state) {
  std::unique_lock lock(shared_->mu);
  ++shared_->stats.queued;
  if (shared_->pending) ++shared_->stats.superseded;
  shared_->pending = state;
  if (shared_->task_posted) return Status::Ok();  // that task takes the newest
  shared_->task_posted = true;
  lock.unlock();
  // The task shares the state, not this object: it may run after ~AsyncArchiveSink.
  executor_.Post([shared = shared_] {
    std::unique_lock task_lock(shared->mu);
    shared->task_posted = false;
    WriteQueued(shared, task_lock);
  });
  return Status::Ok();
}

Status AsyncArchiveSink::Drain() {
  std::unique_lock lock(shared_->mu);
  for (;;) {
    if (shared_->writing) {
      shared_->idle.wait(lock, [&] { return !shared_->writing; });
      continue;
    }
    if (!shared_->pending) return shared_->last;
    WriteQueued(shared_, lock);  // the posted task, when it runs, finds nothing
  }
}

AsyncArchiveStats AsyncArchiveSink::stats() const {
  std::lock_guard lock(shared_->mu);
  return shared_->stats;
}

}  // namespace crashdrill::system

#include "system/levels/async_writer.h"

#include <cassert>

namespace crashdrill::system {

AsyncWriter::AsyncWriter(size_t capacity, Sink sink)
    : capacity_(capacity), sink_(std::move(sink)), thread_([this] { Run(); }) {
  assert(capacity_ >= 1);
}

AsyncWriter::~AsyncWriter() { Stop(); }

bool AsyncWriter::Submit(std::string item) {
  std::lock_guard lock(mu_);
  if (stopping_ || queue_.size() >= capacity_) {
    ++stats_.dropped;
    return false;
  }
  queue_.push_back(std::move(item));
  ++stats_.submitted;
  work_cv_.notify_one();
  return true;
}

Status AsyncWriter::Flush() {
  std::unique_lock lock(mu_);
  const uint64_t target = stats_.submitted;
  idle_cv_.wait(lock, [&] { return taken_ >= target; });
  Status error = std::move(first_error_);
  first_error_ = Status::Ok();
  return error;
}

void AsyncWriter::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  work_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

AsyncWriterStats AsyncWriter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void AsyncWriter::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is drained
    std::string item = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    Status status = sink_(item);
    lock.lock();
    if (status.ok()) {
      ++stats_.written;
    } else {
      ++stats_.sink_failures;
      if (first_error_.ok()) first_error_ = std::move(status);
    }
    ++taken_;
    idle_cv_.notify_all();
  }
}

}  // namespace crashdrill::system

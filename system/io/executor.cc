#include "system/io/executor.h"

#include <utility>

#include "system/io/check.h"

namespace crashdrill::system {

void InlineExecutor::Post(std::function<void()> task) { task(); }

void ManualExecutor::Post(std::function<void()> task) { tasks_.push_back(std::move(task)); }

bool ManualExecutor::RunOne() {
  if (tasks_.empty()) return false;
  // Popped before it runs: the task may post (or run this executor) itself.
  std::function<void()> task = std::move(tasks_.front());
  tasks_.pop_front();
  task();
  return true;
}

size_t ManualExecutor::RunAll() {
  size_t ran = 0;
  while (RunOne()) ++ran;
  return ran;
}

size_t ManualExecutor::DropAll() {
  const size_t dropped = tasks_.size();
  tasks_.clear();
  return dropped;
}

ThreadExecutor::ThreadExecutor() : worker_([this] { Run(); }) { worker_id_ = worker_.get_id(); }

ThreadExecutor::~ThreadExecutor() { Stop(); }

void ThreadExecutor::Post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    CD_CHECK(!stopped_, "ThreadExecutor::Post after Stop(): the task would never run");
    tasks_.push_back(std::move(task));
  }
  work_cv_.notify_one();
}

void ThreadExecutor::Stop() {
  CD_CHECK(std::this_thread::get_id() != worker_id_,
           "ThreadExecutor::Stop from one of its own tasks would join its own thread");
  std::lock_guard join_lock(join_mu_);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_one();
  if (worker_.joinable()) worker_.join();
}

void ThreadExecutor::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
    if (tasks_.empty()) {  // stopping, and everything posted has run
      stopped_ = true;
      return;
    }
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

}  // namespace crashdrill::system

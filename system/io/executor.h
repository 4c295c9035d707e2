// Executor: where background work runs (DESIGN §2). Sim mode runs it inline or
// when the simulation says so (deterministic); real mode runs it on a thread.
// Contract: a posted task runs exactly once, unless its owner drops it on
// purpose (ManualExecutor::DropAll, a simulated crash); it is never lost silently.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace crashdrill::system {

// Ordering: each implementation states its own. All three run the tasks that
// one thread posts (outside any task) in the order posted, each finished
// before the next starts. A task may run before Post() returns (InlineExecutor)
// and on another thread (ThreadExecutor), so a user that needs mutual
// exclusion with its own callers provides it.
class Executor {
 public:
  virtual ~Executor() = default;
  // REQUIRES: task is callable. It must not throw (an exception is a
  // programmer error and ends the process).
  virtual void Post(std::function<void()> task) = 0;
};

// Runs the task at once, on the caller's thread, before Post() returns. A task
// posted from inside a task runs nested, before the outer one finishes.
// Thread-safety: Post may be called from any thread; tasks posted from
// different threads then run concurrently.
class InlineExecutor final : public Executor {
 public:
  void Post(std::function<void()> task) override;
};

// Queues tasks until the owner runs them, so a deterministic simulation decides
// when background work happens: a crash before RunOne() loses what is queued.
// Tasks run in post order, on the thread that calls RunOne()/RunAll().
// Thread-safety: none; one thread (the simulation's) uses it.
class ManualExecutor final : public Executor {
 public:
  ManualExecutor() = default;
  ManualExecutor(const ManualExecutor&) = delete;
  ManualExecutor& operator=(const ManualExecutor&) = delete;
  // Destroys pending tasks without running them, as DropAll() does: check
  // pending() or call RunAll() first when they must run.
  ~ManualExecutor() override = default;

  void Post(std::function<void()> task) override;
  // Runs the oldest pending task; returns false if there was none.
  bool RunOne();
  // Runs tasks until none is pending, including those posted by the tasks it
  // runs (a task that always posts another never lets it return); returns how
  // many ran.
  size_t RunAll();
  // A simulated crash: destroys every pending task without running it;
  // returns how many were dropped.
  size_t DropAll();
  size_t pending() const { return tasks_.size(); }

 private:
  std::deque<std::function<void()>> tasks_;
};

// One worker thread that runs tasks one at a time, in post order (tasks posted
// from several threads: in the order their Post() calls took the queue lock).
// Stop() (and the destructor) runs every task posted before it returns, tasks
// posted by those tasks included, then joins the worker.
// Thread-safety: Post and Stop may be called from any thread, except that
// Stop must not be called from a task (it would join its own thread, and
// aborts instead).
class ThreadExecutor final : public Executor {
 public:
  ThreadExecutor();
  ~ThreadExecutor() override;  // Stop()
  ThreadExecutor(const ThreadExecutor&) = delete;
  ThreadExecutor& operator=(const ThreadExecutor&) = delete;

  // Post after Stop() returned is a programmer error and aborts (CD_CHECK): the
  // task would never run. A Post racing with Stop() either runs or aborts.
  void Post(std::function<void()> task) override;
  // Drains the queue and joins the worker. Idempotent; every caller returns
  // only once the worker has exited.
  void Stop();

 private:
  void Run();

  std::mutex join_mu_;  // one Stop() joins; a concurrent one waits for it
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;      // the worker exits once the queue is empty
  bool stopped_ = false;       // the worker has exited: Post would be lost
  std::thread worker_;         // starts after every member above exists
  std::thread::id worker_id_;  // set once in the constructor; read without a lock
};

}  // namespace crashdrill::system

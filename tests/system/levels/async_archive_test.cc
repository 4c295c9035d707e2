// AsyncArchiveSink keeps the archive off the trading path: Archive() returns
// at once even while the database hangs, only the newest state waits, a
// failure is counted (never returned to the checkpointer's Tick), and Drain()
// writes what is queued — also with an executor nobody runs.
#include "system/levels/async_archive.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <vector>

namespace crashdrill::system {
namespace {

EngineState StateAt(Seq seq) {
  EngineState state;
  state.trading.state_seq = seq;
  return state;
}

// A sink that records what it archived, and can hang until released or fail.
class RecordingSink final : public ArchiveSink {
 public:
  Status Archive(const EngineState& state) override {
    std::unique_lock lock(mu_);
    entered_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return !hold_; });
    if (fail_) return Status::Error(StatusCode::kUnavailable, "connect", "archive", "down");
    archived_.push_back(state.state_seq());
    return Status::Ok();
  }
  void Hold(bool hold) {
    std::lock_guard lock(mu_);
    hold_ = hold;
    changed_.notify_all();
  }
  void Fail(bool fail) {
    std::lock_guard lock(mu_);
    fail_ = fail;
  }
  void WaitEntered() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return entered_; });
  }
  std::vector<Seq> archived() {
    std::lock_guard lock(mu_);
    return archived_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  bool hold_ = false, fail_ = false, entered_ = false;
  std::vector<Seq> archived_;
};

TEST(AsyncArchiveTest, OnlyTheNewestStateWaitsAndDrainWritesItWithAnExecutorNobodyRuns) {
  RecordingSink sink;
  ManualExecutor executor;
  AsyncArchiveSink archive(sink, executor);
  ASSERT_TRUE(archive.Archive(StateAt(1)).ok());
  ASSERT_TRUE(archive.Archive(StateAt(2)).ok());
  ASSERT_TRUE(archive.Archive(StateAt(3)).ok());
  EXPECT_EQ(executor.pending(), 1u) << "one task at a time";
  EXPECT_TRUE(sink.archived().empty());
  EXPECT_TRUE(archive.Drain().ok());
  EXPECT_EQ(sink.archived(), std::vector<Seq>{3});
  executor.RunAll();  // the task finds nothing left
  EXPECT_EQ(sink.archived(), std::vector<Seq>{3});
  const AsyncArchiveStats stats = archive.stats();
  EXPECT_EQ(stats.queued, 3u);
  EXPECT_EQ(stats.superseded, 2u);
  EXPECT_EQ(stats.written, 1u);
}

TEST(AsyncArchiveTest, AFailureIsCountedNotReturnedAndTheNextStateIsTried) {
  RecordingSink sink;
  InlineExecutor executor;
  AsyncArchiveSink archive(sink, executor);
  sink.Fail(true);
  EXPECT_TRUE(archive.Archive(StateAt(1)).ok()) << "the caller never sees the database's failure";
  EXPECT_EQ(archive.stats().failed, 1u);
  EXPECT_EQ(archive.stats().last_error.code(), StatusCode::kUnavailable);
  sink.Fail(false);
  EXPECT_TRUE(archive.Archive(StateAt(2)).ok());
  EXPECT_EQ(sink.archived(), std::vector<Seq>{2});
  EXPECT_EQ(archive.stats().written, 1u);
}

// The database hangs (a connect timeout): the thread that calls Archive()
// goes on, and what it queues meanwhile is written once the database answers.
TEST(AsyncArchiveThreadTest, AHangingArchiveNeverHoldsUpTheCaller) {
  RecordingSink sink;
  ThreadExecutor executor;
  {
    AsyncArchiveSink archive(sink, executor);
    sink.Hold(true);
    ASSERT_TRUE(archive.Archive(StateAt(1)).ok());
    sink.WaitEntered();  // the worker is inside the hanging sink
    // On another thread, so a caller held up by the sink fails the test
    // (after a minute: a hang guard, not a speed target) instead of hanging it.
    auto caller = std::async(std::launch::async, [&] {
      for (Seq seq = 2; seq <= 100; ++seq) {
        if (!archive.Archive(StateAt(seq)).ok()) return false;
      }
      return true;
    });
    ASSERT_EQ(caller.wait_for(std::chrono::minutes(1)), std::future_status::ready)
        << "Archive() waited for the hanging sink";
    EXPECT_TRUE(caller.get());
    sink.Hold(false);
    EXPECT_TRUE(archive.Drain().ok());
    EXPECT_EQ(sink.archived().back(), 100u);
    EXPECT_LE(sink.archived().size(), 3u) << "only the newest state waits";
  }
  executor.Stop();
}

}  // namespace
}  // namespace crashdrill::system

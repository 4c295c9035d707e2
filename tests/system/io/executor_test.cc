// Executor: where each kind runs a task, and in what order. The
// ThreadExecutorTest cases start a thread and run in the TSan tree too.
#include "system/io/executor.h"

#include <gtest/gtest.h>

#include <latch>
#include <thread>
#include <vector>

namespace crashdrill::system {
namespace {

TEST(InlineExecutorTest, RunsTheTaskOnTheCallersThreadBeforePostReturns) {
  InlineExecutor executor;
  std::thread::id ran_on;
  executor.Post([&] { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(InlineExecutorTest, RunsTasksInPostOrder) {
  InlineExecutor executor;
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) executor.Post([&order, i] { order.push_back(i); });
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(ManualExecutorTest, RunsNothingUntilAsked) {
  ManualExecutor executor;
  int runs = 0;
  executor.Post([&] { ++runs; });
  executor.Post([&] { ++runs; });
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(executor.pending(), 2u);
}

TEST(ManualExecutorTest, RunOneRunsTheOldestTaskOnly) {
  ManualExecutor executor;
  std::vector<int> order;
  for (int i = 0; i < 3; ++i) executor.Post([&order, i] { order.push_back(i); });
  ASSERT_TRUE(executor.RunOne());
  EXPECT_EQ(order, (std::vector<int>{0}));
  EXPECT_EQ(executor.pending(), 2u);
  ASSERT_TRUE(executor.RunOne());
  ASSERT_TRUE(executor.RunOne());
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  EXPECT_FALSE(executor.RunOne()) << "nothing left to run";
}

TEST(ManualExecutorTest, RunAllRunsTasksPostedByTheTasksItRuns) {
  ManualExecutor executor;
  std::vector<int> order;
  executor.Post([&] {
    order.push_back(0);
    executor.Post([&] { order.push_back(2); });
  });
  executor.Post([&] { order.push_back(1); });
  EXPECT_EQ(executor.RunAll(), 3u);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(executor.pending(), 0u);
}

TEST(ManualExecutorTest, DropAllLosesPendingTasksWithoutRunningThem) {
  ManualExecutor executor;
  int runs = 0;
  executor.Post([&] { ++runs; });
  executor.Post([&] { ++runs; });
  EXPECT_EQ(executor.DropAll(), 2u);
  EXPECT_EQ(executor.pending(), 0u);
  EXPECT_EQ(executor.RunAll(), 0u);
  EXPECT_EQ(runs, 0);
}

TEST(ThreadExecutorTest, RunsTasksOnItsOwnThreadInPostOrder) {
  std::vector<int> order;
  std::vector<std::thread::id> ran_on;
  {
    ThreadExecutor executor;
    for (int i = 0; i < 100; ++i) {
      executor.Post([&order, &ran_on, i] {
        order.push_back(i);
        ran_on.push_back(std::this_thread::get_id());
      });
    }
    executor.Stop();
  }
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
  for (const std::thread::id& id : ran_on) {
    EXPECT_NE(id, std::this_thread::get_id());
    EXPECT_EQ(id, ran_on.front()) << "one worker thread";
  }
}

TEST(ThreadExecutorTest, StopRunsEveryTaskPostedBeforeIt) {
  ThreadExecutor executor;
  std::latch first_started(1);
  std::latch release(1);
  int runs = 0;
  executor.Post([&] {
    first_started.count_down();
    release.wait();  // the worker is busy: the next tasks are still queued
    ++runs;
  });
  first_started.wait();
  for (int i = 0; i < 10; ++i) executor.Post([&] { ++runs; });
  std::latch stopping(1);
  std::thread stopper([&] {
    stopping.count_down();
    executor.Stop();
  });
  stopping.wait();  // Stop() is (most likely) waiting for the stuck task now
  release.count_down();
  stopper.join();
  EXPECT_EQ(runs, 11);
}

TEST(ThreadExecutorTest, StopRunsTasksPostedByTasksWhileDraining) {
  ThreadExecutor executor;
  int runs = 0;
  executor.Post([&] {
    ++runs;
    executor.Post([&] { ++runs; });
  });
  executor.Stop();
  EXPECT_EQ(runs, 2);
}

TEST(ThreadExecutorTest, DestructorDrains) {
  int runs = 0;
  {
    ThreadExecutor executor;
    for (int i = 0; i < 10; ++i) executor.Post([&] { ++runs; });
  }
  EXPECT_EQ(runs, 10);
}

TEST(ThreadExecutorDeathTest, PostAfterStopAbortsInsteadOfLosingTheTask) {
  EXPECT_DEATH(
      {
        ThreadExecutor executor;
        executor.Stop();
        executor.Post([] {});
      },
      "Post after Stop");
}

TEST(ThreadExecutorDeathTest, StopFromItsOwnTaskAborts) {
  EXPECT_DEATH(
      {
        ThreadExecutor executor;
        executor.Post([&] { executor.Stop(); });
        executor.Stop();
      },
      "join its own thread");
}

}  // namespace
}  // namespace crashdrill::system

// AsyncWriter on each Executor. Executors/AsyncWriterTest.*/Thread and
// AsyncWriterThreadTest.* start threads and run in the TSan tree too; the
// inline and manual cases are deterministic and single-threaded.
#include "system/levels/async_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace crashdrill::system {
namespace {

Status NoSpace() { return Status::Error(StatusCode::kNoSpace, "write", "analytics", "full"); }
Status IoError() { return Status::Error(StatusCode::kIoError, "write", "analytics", "EIO"); }

// A sink that records what it was given; safe to read after Flush()/Stop().
struct Recorder {
  AsyncWriter::Sink Sink() {
    return [this](const std::string& item) {
      std::lock_guard lock(mu);
      items.push_back(item);
      return Status::Ok();
    };
  }
  std::vector<std::string> Items() {
    std::lock_guard lock(mu);
    return items;
  }
  std::mutex mu;
  std::vector<std::string> items;
};

// ---------------------------------------------------------------------------
// The contract, with every executor.

enum class ExecutorKind { kInline, kManual, kThread };

const char* Name(ExecutorKind kind) {
  switch (kind) {
    case ExecutorKind::kInline:
      return "Inline";
    case ExecutorKind::kManual:
      return "Manual";
    case ExecutorKind::kThread:
      return "Thread";
  }
  return "Unknown";
}

// gtest (and CTest's test names) print the parameter with this, not as bytes.
void PrintTo(ExecutorKind kind, std::ostream* out) { *out << Name(kind); }

class AsyncWriterTest : public testing::TestWithParam<ExecutorKind> {
 protected:
  static std::unique_ptr<Executor> Make(ExecutorKind kind) {
    switch (kind) {
      case ExecutorKind::kInline:
        return std::make_unique<InlineExecutor>();
      case ExecutorKind::kManual:
        return std::make_unique<ManualExecutor>();
      case ExecutorKind::kThread:
        return std::make_unique<ThreadExecutor>();
    }
    return nullptr;
  }
  // Declared before any writer in a test body, so it outlives them.
  std::unique_ptr<Executor> executor_ = Make(GetParam());
};

TEST_P(AsyncWriterTest, FlushWritesEverySubmittedItemInOrder) {
  Recorder recorder;
  AsyncWriter writer(*executor_, 64, recorder.Sink());
  std::vector<std::string> expected;
  for (int i = 0; i < 50; ++i) {
    expected.push_back(std::to_string(i));
    ASSERT_TRUE(writer.Submit(expected.back()));
  }
  ASSERT_TRUE(writer.Flush().ok());
  EXPECT_EQ(recorder.Items(), expected);
  EXPECT_EQ(writer.stats(), (AsyncWriterStats{.submitted = 50, .written = 50}));
}

TEST_P(AsyncWriterTest, FlushReturnsTheFirstSinkErrorOnceAndCountsEveryFailure) {
  AsyncWriter writer(*executor_, 8, [](const std::string& item) {
    if (item == "full") return NoSpace();
    if (item == "eio") return IoError();
    return Status::Ok();
  });
  ASSERT_TRUE(writer.Submit("ok"));
  ASSERT_TRUE(writer.Submit("full"));
  ASSERT_TRUE(writer.Submit("eio"));
  ASSERT_TRUE(writer.Submit("ok"));
  Status flushed = writer.Flush();
  EXPECT_TRUE(flushed.IsNoSpace()) << "the first error wins: " << flushed.ToString();
  EXPECT_EQ(writer.stats().sink_failures, 2u);
  EXPECT_EQ(writer.stats().written, 2u);
  EXPECT_TRUE(writer.Flush().ok()) << "an error is reported once";
  ASSERT_TRUE(writer.Submit("eio"));
  EXPECT_EQ(writer.Flush().code(), StatusCode::kIoError) << "a new error after a Flush is reported";
}

TEST_P(AsyncWriterTest, StopWritesQueuedItemsThenDropsNewOnes) {
  Recorder recorder;
  AsyncWriter writer(*executor_, 16, recorder.Sink());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(writer.Submit("x"));
  writer.Stop();
  EXPECT_EQ(recorder.Items().size(), 10u);
  EXPECT_FALSE(writer.Submit("late"));
  EXPECT_EQ(writer.stats(), (AsyncWriterStats{.submitted = 10, .written = 10, .dropped = 1}));
  writer.Stop();  // idempotent
  EXPECT_EQ(recorder.Items().size(), 10u);
}

TEST_P(AsyncWriterTest, SinkErrorMetDuringStopIsReturnedByALaterFlush) {
  AsyncWriter writer(*executor_, 4, [](const std::string&) { return NoSpace(); });
  ASSERT_TRUE(writer.Submit("a"));
  writer.Stop();
  EXPECT_EQ(writer.stats().sink_failures, 1u);
  EXPECT_TRUE(writer.Flush().IsNoSpace());
}

INSTANTIATE_TEST_SUITE_P(Executors, AsyncWriterTest,
                         testing::Values(ExecutorKind::kInline, ExecutorKind::kManual,
                                         ExecutorKind::kThread),
                         [](const testing::TestParamInfo<ExecutorKind>& info) {
                           return std::string(Name(info.param));
                         });

// ---------------------------------------------------------------------------
// InlineExecutor (sim mode): the work happens inside Submit.

TEST(AsyncWriterInlineTest, SubmitWritesTheItemBeforeItReturns) {
  InlineExecutor executor;
  Recorder recorder;
  AsyncWriter writer(executor, 1, recorder.Sink());
  ASSERT_TRUE(writer.Submit("a"));
  EXPECT_EQ(recorder.Items(), (std::vector<std::string>{"a"}));
  ASSERT_TRUE(writer.Submit("b")) << "the queue is empty again: nothing is dropped";
  EXPECT_EQ(recorder.Items(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(writer.stats().dropped, 0u);
}

TEST(AsyncWriterInlineTest, AnItemSubmittedByTheSinkIsWrittenAfterTheCurrentOne) {
  InlineExecutor executor;
  std::vector<std::string> written;
  std::unique_ptr<AsyncWriter> writer;
  writer = std::make_unique<AsyncWriter>(executor, 4, [&](const std::string& item) {
    if (item == "a") {
      EXPECT_TRUE(writer->Submit("follow-up"));
    }
    written.push_back(item);
    return Status::Ok();
  });
  ASSERT_TRUE(writer->Submit("a"));
  EXPECT_EQ(written, (std::vector<std::string>{"a", "follow-up"}));
}

// ---------------------------------------------------------------------------
// ManualExecutor (deterministic simulation): the simulation decides when.

TEST(AsyncWriterManualTest, ItemsWaitUntilTheExecutorRunsAndEachTaskWritesOne) {
  ManualExecutor executor;
  Recorder recorder;
  AsyncWriter writer(executor, 8, recorder.Sink());
  ASSERT_TRUE(writer.Submit("a"));
  ASSERT_TRUE(writer.Submit("b"));
  ASSERT_TRUE(writer.Submit("c"));
  EXPECT_TRUE(recorder.Items().empty()) << "a crash now loses a, b and c";
  EXPECT_EQ(executor.pending(), 1u) << "one task of the writer at a time";
  ASSERT_TRUE(executor.RunOne());
  EXPECT_EQ(recorder.Items(), (std::vector<std::string>{"a"}));
  EXPECT_EQ(executor.RunAll(), 2u);
  EXPECT_EQ(recorder.Items(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(writer.stats().written, 3u);
}

TEST(AsyncWriterManualTest, FullQueueDropsAndCountsInsteadOfBlocking) {
  ManualExecutor executor;
  Recorder recorder;
  AsyncWriter writer(executor, 2, recorder.Sink());
  EXPECT_TRUE(writer.Submit("a"));
  EXPECT_TRUE(writer.Submit("b"));
  EXPECT_FALSE(writer.Submit("c")) << "a full queue must drop, not block";
  EXPECT_FALSE(writer.Submit("d"));
  EXPECT_EQ(writer.stats(), (AsyncWriterStats{.submitted = 2, .dropped = 2}));
  ASSERT_TRUE(executor.RunOne());  // "a" written: room for one
  EXPECT_TRUE(writer.Submit("e"));
  EXPECT_FALSE(writer.Submit("f"));
  executor.RunAll();
  EXPECT_EQ(recorder.Items(), (std::vector<std::string>{"a", "b", "e"}));
  EXPECT_EQ(writer.stats(), (AsyncWriterStats{.submitted = 3, .written = 3, .dropped = 3}));
}

TEST(AsyncWriterManualTest, FlushWritesTheQueueItselfAndRunsNoOtherTask) {
  ManualExecutor executor;
  Recorder recorder;
  AsyncWriter writer(executor, 8, recorder.Sink());
  bool other_ran = false;
  executor.Post([&] { other_ran = true; });
  ASSERT_TRUE(writer.Submit("a"));
  ASSERT_TRUE(writer.Submit("b"));
  ASSERT_TRUE(writer.Flush().ok()) << "no deadlock although nobody runs the executor";
  EXPECT_EQ(recorder.Items(), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(other_ran) << "Flush writes this writer's items, not others' work";
  executor.RunAll();  // the writer's leftover task finds nothing to write
  EXPECT_EQ(recorder.Items().size(), 2u);
  EXPECT_EQ(writer.stats().written, 2u);
}

TEST(AsyncWriterManualTest, ExecutorRunFromInsideTheSinkNeverReentersItNorStrandsAnItem) {
  ManualExecutor executor;
  std::vector<std::string> written;
  int sink_depth = 0;
  std::unique_ptr<AsyncWriter> writer;
  writer = std::make_unique<AsyncWriter>(executor, 8, [&](const std::string& item) {
    EXPECT_EQ(++sink_depth, 1) << "the sink is never re-entered";
    // The simulation runs its background work from inside the sink.
    if (item == "a") executor.RunAll();
    if (item == "b") {
      EXPECT_TRUE(writer->Submit("c"));  // after the Flush's target
    }
    written.push_back(item);
    --sink_depth;
    return Status::Ok();
  });
  ASSERT_TRUE(writer->Submit("a"));
  ASSERT_TRUE(writer->Submit("b"));
  ASSERT_TRUE(writer->Flush().ok());
  EXPECT_EQ(written, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(executor.pending(), 1u) << "Flush left c queued: it must post a task for it";
  executor.RunAll();
  EXPECT_EQ(written, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(AsyncWriterManualTest, ItemsSubmittedAfterAFlushStillGetATask) {
  ManualExecutor executor;
  Recorder recorder;
  AsyncWriter writer(executor, 8, recorder.Sink());
  ASSERT_TRUE(writer.Submit("a"));
  ASSERT_TRUE(writer.Flush().ok());
  executor.RunAll();
  ASSERT_TRUE(writer.Submit("b"));
  ASSERT_EQ(executor.pending(), 1u);
  executor.RunAll();
  EXPECT_EQ(recorder.Items(), (std::vector<std::string>{"a", "b"}));
}

TEST(AsyncWriterManualTest, ATaskLeftAfterTheWriterIsGoneDoesNothing) {
  ManualExecutor executor;
  int sink_calls = 0;
  {
    AsyncWriter writer(executor, 8, [&](const std::string&) {
      ++sink_calls;
      return Status::Ok();
    });
    ASSERT_TRUE(writer.Submit("a"));
  }  // Stop() wrote "a"; the writer's task is still queued
  EXPECT_EQ(sink_calls, 1);
  EXPECT_EQ(executor.RunAll(), 1u);
  EXPECT_EQ(sink_calls, 1);
}

// ---------------------------------------------------------------------------
// ThreadExecutor (real mode): a worker writes in the background.

TEST(AsyncWriterThreadTest, FullQueueDropsAndCountsInsteadOfBlocking) {
  ThreadExecutor executor;
  std::latch in_sink(1);
  std::latch release(1);
  AsyncWriter writer(executor, 2, [&](const std::string& item) {
    if (item == "a") {
      in_sink.count_down();
      release.wait();  // the disk is stuck
    }
    return Status::Ok();
  });
  ASSERT_TRUE(writer.Submit("a"));
  in_sink.wait();  // "a" is in the sink, on the worker
  EXPECT_TRUE(writer.Submit("b"));
  EXPECT_TRUE(writer.Submit("c"));
  EXPECT_FALSE(writer.Submit("d")) << "a full queue must drop, not block";
  EXPECT_FALSE(writer.Submit("e"));
  EXPECT_EQ(writer.stats().dropped, 2u);
  release.count_down();
  ASSERT_TRUE(writer.Flush().ok());
  EXPECT_EQ(writer.stats().written, 3u);
}

TEST(AsyncWriterThreadTest, FlushWaitsForTheItemInTheSink) {
  ThreadExecutor executor;
  std::latch in_sink(1);
  std::latch release(1);
  std::atomic<int> written{0};
  AsyncWriter writer(executor, 4, [&](const std::string&) {
    in_sink.count_down();
    release.wait();
    ++written;
    return Status::Ok();
  });
  ASSERT_TRUE(writer.Submit("a"));
  in_sink.wait();
  int written_when_flushed = -1;
  std::latch flushing(1);
  std::thread flusher([&] {
    flushing.count_down();
    EXPECT_TRUE(writer.Flush().ok());
    written_when_flushed = written.load();
  });
  flushing.wait();  // Flush() is (most likely) waiting now
  release.count_down();
  flusher.join();
  EXPECT_EQ(written_when_flushed, 1);
}

TEST(AsyncWriterThreadTest, EachThreadsFlushCoversItsOwnSubmits) {
  ThreadExecutor executor;
  Recorder recorder;
  AsyncWriter writer(executor, 1024, recorder.Sink());
  constexpr int kThreads = 4;
  constexpr int kItemsPerThread = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kItemsPerThread; ++i) {
        const std::string item = std::to_string(t) + ":" + std::to_string(i);
        EXPECT_TRUE(writer.Submit(item));
        if (i % 10 != 9) continue;
        EXPECT_TRUE(writer.Flush().ok());
        std::vector<std::string> items = recorder.Items();
        EXPECT_NE(std::find(items.begin(), items.end(), item), items.end()) << item;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  writer.Stop();
  std::vector<std::string> items = recorder.Items();
  ASSERT_EQ(items.size(), size_t{kThreads * kItemsPerThread});
  std::vector<int> next(kThreads, 0);  // each thread's items in its order
  for (const std::string& item : items) {
    const int t = item[0] - '0';
    EXPECT_EQ(item, std::to_string(t) + ":" + std::to_string(next[static_cast<size_t>(t)]++));
  }
}

}  // namespace
}  // namespace crashdrill::system

#include "system/levels/async_writer.h"

#include <atomic>
#include <latch>
#include <vector>

#include <gtest/gtest.h>

namespace crashdrill::system {
namespace {

TEST(AsyncWriterTest, FlushWaitsForEverySubmittedItemInOrder) {
  std::vector<std::string> written;
  AsyncWriter writer(64, [&](const std::string& item) {
    written.push_back(item);
    return Status::Ok();
  });
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(writer.Submit(std::to_string(i)));
  ASSERT_TRUE(writer.Flush().ok());
  ASSERT_EQ(written.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(written[static_cast<size_t>(i)], std::to_string(i));
  EXPECT_EQ(writer.stats().written, 50u);
}

TEST(AsyncWriterTest, FullQueueDropsAndCountsInsteadOfBlocking) {
  std::latch release(1);
  std::atomic<int> in_sink{0};
  AsyncWriter writer(2, [&](const std::string&) {
    ++in_sink;
    release.wait();  // the disk is stuck
    return Status::Ok();
  });
  ASSERT_TRUE(writer.Submit("a"));
  while (in_sink.load() == 0) std::this_thread::yield();  // "a" is in the sink
  EXPECT_TRUE(writer.Submit("b"));
  EXPECT_TRUE(writer.Submit("c"));
  EXPECT_FALSE(writer.Submit("d")) << "a full queue must drop, not block";
  EXPECT_FALSE(writer.Submit("e"));
  EXPECT_EQ(writer.stats().dropped, 2u);
  release.count_down();
  ASSERT_TRUE(writer.Flush().ok());
  EXPECT_EQ(writer.stats().written, 3u);
}

TEST(AsyncWriterTest, SinkErrorsAreCountedAndReportedByFlush) {
  AsyncWriter writer(8, [](const std::string& item) {
    if (item == "bad") return Status::Error(StatusCode::kNoSpace, "write", "analytics", "full");
    return Status::Ok();
  });
  ASSERT_TRUE(writer.Submit("ok"));
  ASSERT_TRUE(writer.Submit("bad"));
  Status flushed = writer.Flush();
  EXPECT_TRUE(flushed.IsNoSpace());
  EXPECT_EQ(writer.stats().sink_failures, 1u);
  EXPECT_TRUE(writer.Flush().ok()) << "an error is reported once";
}

TEST(AsyncWriterTest, StopDrainsQueuedItemsThenDropsNewOnes) {
  std::atomic<int> written{0};
  AsyncWriter writer(16, [&](const std::string&) {
    ++written;
    return Status::Ok();
  });
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(writer.Submit("x"));
  writer.Stop();
  EXPECT_EQ(written.load(), 10);
  EXPECT_FALSE(writer.Submit("late"));
}

}  // namespace
}  // namespace crashdrill::system

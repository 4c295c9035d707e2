// CD_CHECK stays on where assert() is compiled out: this file is built with
// NDEBUG whatever the build type, so a death here can only come from CD_CHECK.
#ifndef NDEBUG
#define NDEBUG 1
#endif

#include "system/io/check.h"

#include <cassert>
#include <string>

#include <gtest/gtest.h>

#include "faults/sim_disk.h"
#include "system/levels/atomic_file.h"

namespace crashdrill::system {
namespace {

TEST(CheckDeathTest, FailedCheckAbortsNamingFileLineConditionAndMessage) {
  const int slots = 0;
  EXPECT_DEATH(
      {
        assert(slots >= 1);  // compiled out here: the abort below is CD_CHECK's
        CD_CHECK(slots >= 1, "a retention that keeps no copy deletes the newest");
      },
      "check_test\\.cc:[0-9]+: CD_CHECK\\(slots >= 1\\) failed: a retention that keeps no copy "
      "deletes the newest");
}

TEST(CheckDeathTest, MessageMayBeAComputedString) {
  const int version = 7;
  EXPECT_DEATH(CD_CHECK(version <= 2, "schema version " + std::to_string(version)),
               "failed: schema version 7");
}

TEST(CheckTest, PassingCheckEvaluatesItsConditionOnceAndNotItsMessage) {
  int conditions = 0;
  int messages = 0;
  CD_CHECK(++conditions == 1, (++messages, "unused"));
  EXPECT_EQ(conditions, 1);
  EXPECT_EQ(messages, 0);
}

// One of the guards that moved from assert() to CD_CHECK: a retention asked to
// keep no copy would delete the newest one, so it stops the process instead.
TEST(CheckDeathTest, RetentionThatWouldKeepNoCopyStopsTheProcess) {
  faults::SimDisk disk({});
  EXPECT_DEATH(KeepNewest(disk, {"/a", "/b"}, 0, "L2").IgnoreError(),
               "CD_CHECK\\(keep >= 1\\) failed: retention must keep the newest copy");
}

}  // namespace
}  // namespace crashdrill::system

// What every archive database must give recovery (DESIGN §5), checked the
// same way for SQLite and PostgreSQL: a checkpointer archives on its period,
// then commits more; with the state directory intact its newer local copies
// win, and once the whole directory is lost recovery comes back from the
// archive's newest valid copy, named as the archive names it.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "faults/sim_clock.h"
#include "faults/sim_disk.h"
#include "system/archive/archive_copy_source.h"
#include "system/archive/archive_database.h"
#include "system/levels/checkpointer.h"
#include "system/recovery/local_recovery.h"
#include "tests/system/archive/archive_states.h"

namespace crashdrill::testing {

inline void CheckRecoveryChoosesTheArchiveOnlyWhenItIsTheNewestValid(
    faults::SimDisk& disk, faults::SimClock& clock, system::ArchiveDatabase& archive) {
  using namespace system;
  constexpr int64_t kHourNs = 3600 * kNanosPerSecond;
  CheckpointerOptions options;
  options.state_dir = "/state";
  options.archive_period_ns = kHourNs;
  options.l1_slot_bytes = 64 << 10;
  MultiLevelCheckpointer checkpointer(disk, clock, options, &archive);
  ASSERT_TRUE(checkpointer.Open({}).ok());
  for (int k = 0; k < 6; ++k) {
    ASSERT_TRUE(checkpointer.Commit(ArchiveScriptUpdate(0, k)).ok());
    clock.Advance(kHourNs);
    ASSERT_TRUE(checkpointer.Tick().ok());
  }
  const EngineState archived = checkpointer.state();
  for (int k = 6; k < 10; ++k) ASSERT_TRUE(checkpointer.Commit(ArchiveScriptUpdate(0, k)).ok());
  const EngineState newest = checkpointer.state();
  ASSERT_GT(newest.state_seq(), archived.state_seq());

  ArchiveCopySource source(archive);
  LocalRecoveryOptions recover;
  recover.state_dir = "/state";
  recover.l1_slot_bytes = options.l1_slot_bytes;
  recover.copy_sources = {&source};
  auto intact = RecoverLocal(disk, clock, recover);
  ASSERT_TRUE(intact.ok()) << intact.status().ToString();
  EXPECT_NE(intact->report.source, "l4");
  EXPECT_EQ(intact->state.trading, newest.trading);

  // Lose the whole state directory.
  for (const std::string dir : {"/state/wal", "/state/snapshots", "/state/l2/automatic",
                                "/state/l2/manual", "/state/l2/daily"}) {
    auto names = disk.List(dir);
    if (!names.ok()) continue;
    for (const std::string& name : *names) ASSERT_TRUE(disk.Unlink(dir + "/" + name).ok());
  }
  ASSERT_TRUE(disk.Unlink("/state/l1").ok());
  auto lost = RecoverLocal(disk, clock, recover);
  ASSERT_TRUE(lost.ok()) << lost.status().ToString();
  EXPECT_EQ(lost->report.source, "l4");
  EXPECT_EQ(lost->state, archived);
  ASSERT_TRUE(lost->report.base.has_value());
  const CandidateCopy& base = lost->report.candidates.at(*lost->report.base);
  EXPECT_EQ(base.level, CopyLevel::kL4);
  EXPECT_EQ(base.location.rfind(archive.Describe() + " copy ", 0), 0u) << base.location;
}

// Every attempt of a run that archived `copies` states without a failure is
// logged as one 'ok' row naming its copy and what it held.
inline void ExpectEveryAttemptLoggedOk(system::ArchiveDatabase& archive, size_t copies) {
  const system::Result<std::vector<system::ArchiveLogEntry>> log = archive.Log();
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_EQ(log->size(), copies);
  for (const system::ArchiveLogEntry& entry : *log) {
    EXPECT_TRUE(entry.ok);
    EXPECT_NE(entry.copy_id, 0);
    EXPECT_NE(entry.notes.find("positions"), std::string::npos) << entry.notes;
  }
}

}  // namespace crashdrill::testing

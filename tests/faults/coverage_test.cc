// Coverage probes: a fixed campaign over several crash models and a plan holding every disk
// fault must make every probe fire. A probe at zero means a fault path never ran, and every
// "all properties held" built on this layer would be unproven for it.
#include <gtest/gtest.h>

#include <cstdio>

#include "faults/fault_fs.h"
#include "faults/sim_disk.h"
#include "tests/faults/test_util.h"
#include "tests/faults/workload.h"

namespace crashdrill::faults {
namespace {

void PowerLossCampaign(ProbeCounts& counts) {
  for (int model_index = 0; model_index < 8; ++model_index) {
    const CrashModel model{.sector_bytes = model_index % 2 == 0 ? 512u : 4096u,
                           .atomic_write_bytes = model_index % 2 == 0 ? 512u : 4096u,
                           .safe_append = (model_index & 2) != 0,
                           .dir_sync = DirSyncMode::kStrict,
                           .reorder_unsynced_writes = (model_index & 4) != 0};
    for (uint64_t seed = 0; seed < 25; ++seed) {
      SimDisk disk(
          {.model = model, .plan = {.seed = seed * 8 + static_cast<uint64_t>(model_index)}});
      testing::Workload workload(disk, seed, {.operations = 30});
      ASSERT_TRUE(workload.Setup().ok());
      ASSERT_TRUE(workload.Run().ok());
      ASSERT_TRUE(testing::WriteText(disk, "/d/tmp", "x", true).ok());
      ASSERT_TRUE(disk.Rename("/d/tmp", "/d/final").ok());
      disk.Crash(seed % 3 == 0 ? CrashKind::kProcessCrash : CrashKind::kPowerLoss);
      AddProbeCounts(counts, disk.trace().counts());
    }
  }
}

void PlannedFaultCampaign(ProbeCounts& counts) {
  auto at = [](TriggerOn on, uint64_t nth, FaultKind kind) {
    return FaultEntry{.trigger = {.on = on, .nth = nth}, .fault = {.kind = kind}};
  };
  const FaultPlan plan{.seed = 1,
                       .entries = {at(TriggerOn::kWrite, 3, FaultKind::kNoSpace),
                                   at(TriggerOn::kWrite, 5, FaultKind::kShortWrite),
                                   at(TriggerOn::kWrite, 7, FaultKind::kIoError),
                                   at(TriggerOn::kWrite, 9, FaultKind::kMisdirectedWrite),
                                   at(TriggerOn::kRead, 1, FaultKind::kIoError),
                                   at(TriggerOn::kRead, 2, FaultKind::kBitFlip),
                                   at(TriggerOn::kRead, 3, FaultKind::kZeroSector),
                                   at(TriggerOn::kSync, 3, FaultKind::kSyncFailure),
                                   at(TriggerOn::kAnyOp, 4, FaultKind::kIoError),
                                   at(TriggerOn::kSync, 12, FaultKind::kCrash)}};
  SimDisk disk({.capacity_bytes = 1 << 20, .plan = plan});
  FaultFs fs(&disk, {.entries = {{.trigger = {.on = TriggerOn::kSync, .nth = 1},
                                  .fault = {.kind = FaultKind::kLatency, .duration_ns = 5}}}},
             [](int64_t) {});
  for (int round = 0; round < 40 && !disk.halted(); ++round) {
    const std::string path = "/f" + std::to_string(round % 4);
    testing::WriteText(fs, path, std::string(1500 + round * 10, 'a' + round % 26), true)
        .IgnoreError();  // the plan makes some of these fail on purpose
    testing::ReadText(fs, path);
  }
  auto big = disk.Open("/big", system::OpenOptions::CreateNew());
  if (big.ok()) (*big)->WriteAt(0, std::vector<std::byte>(2 << 20)).IgnoreError();
  disk.Crash(CrashKind::kPowerLoss);
  AddProbeCounts(counts, disk.trace().counts());
  AddProbeCounts(counts, fs.trace().counts());
}

TEST(FaultCoverage, EveryFaultKindFiresAtLeastOnce) {
  ProbeCounts counts{};
  PowerLossCampaign(counts);
  PlannedFaultCampaign(counts);
  AddProbeCounts(testing::SuiteProbes(), counts);
  std::printf("[coverage campaign] %s\n", FormatProbeCounts(counts).c_str());
  for (int i = 0; i < kProbeCount; ++i) {
    EXPECT_GT(counts[static_cast<size_t>(i)], 0u)
        << "fault kind never fired: " << ProbeName(static_cast<Probe>(i));
  }
}

}  // namespace
}  // namespace crashdrill::faults

// SimDisk properties over random operation sequences and crash points. Every random choice
// comes from generated values (a seed and the model), so RapidCheck can replay and shrink.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <set>

#include "faults/sim_disk.h"
#include "tests/faults/test_util.h"
#include "tests/faults/workload.h"

namespace crashdrill::faults {
namespace {

using system::OpenOptions;
using testing::DeclaredDamage;
using testing::FileModel;
using testing::ReadText;
using testing::Workload;

CrashModel GenModel() {
  const uint32_t sector = *rc::gen::element<uint32_t>(512, 4096);
  return CrashModel{.sector_bytes = sector,
                    .atomic_write_bytes = sector * *rc::gen::element<uint32_t>(1, 1, 8),
                    .safe_append = *rc::gen::arbitrary<bool>(),
                    .dir_sync = *rc::gen::element(DirSyncMode::kStrict, DirSyncMode::kJournaled),
                    .reorder_unsynced_writes = *rc::gen::arbitrary<bool>()};
}

std::vector<std::byte> ReadBytes(SimDisk& disk, const std::string& path) {
  auto bytes = system::ReadWholeFile(disk, path);
  RC_ASSERT(bytes.ok());
  return *bytes;
}

bool Damaged(const std::vector<std::pair<uint64_t, uint64_t>>& damage, uint64_t offset) {
  for (const auto& [begin, end] : damage) {
    if (offset >= begin && offset < end) return true;
  }
  return false;
}

// Runs a random workload, then a power loss resolved from the disk's plan seed; returns the
// first trace event of the crash.
size_t WorkloadThenPowerLoss(SimDisk& disk, Workload& workload) {
  RC_ASSERT(workload.Setup().ok());
  RC_ASSERT(workload.Run().ok());
  const size_t first_event = disk.trace().events().size();
  disk.Crash(CrashKind::kPowerLoss);
  const auto& counts = disk.trace().counts();
  RC_CLASSIFY(counts[static_cast<size_t>(Probe::kTornPrefix)] +
                      counts[static_cast<size_t>(Probe::kTornArbitrary)] > 0,
              "torn write");
  RC_CLASSIFY(counts[static_cast<size_t>(Probe::kWriteLost)] > 0, "write lost");
  testing::Tally(disk.trace());
  return first_event;
}

RC_GTEST_PROP(SimDiskProperty, SyncedDataIsAlwaysThereAfterPowerLoss, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  SimDisk disk({.model = GenModel(), .plan = {.seed = seed}});
  Workload workload(disk, seed, {.operations = *rc::gen::inRange(1, 60)});
  WorkloadThenPowerLoss(disk, workload);
  for (const auto& [path, model] : workload.files()) {
    const std::vector<std::byte> now = ReadBytes(disk, path);
    for (uint64_t i = 0; i < model.synced.size(); ++i) {
      const bool changed = i < model.changed.size() && model.changed[i];
      if (changed) continue;
      RC_ASSERT(i < now.size());
      RC_ASSERT(now[i] == model.synced[i]);
    }
  }
}

RC_GTEST_PROP(SimDiskProperty, NothingAppearsThatWasNeverWrittenExceptDeclaredDamage, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  SimDisk disk({.model = GenModel(), .plan = {.seed = seed}});
  Workload workload(disk, seed, {.operations = *rc::gen::inRange(1, 60)});
  const size_t first_event = WorkloadThenPowerLoss(disk, workload);
  for (const auto& [path, model] : workload.files()) {
    const std::vector<std::byte> now = ReadBytes(disk, path);
    const auto damage = DeclaredDamage(disk.trace(), first_event, path);
    for (uint64_t i = 0; i < now.size(); ++i) {
      if (Damaged(damage, i)) continue;
      RC_ASSERT(Workload::Allowed(model, i, now[i]));
    }
  }
}

// safe_append: whatever a power loss keeps, every byte past the synced size is a value the
// page cache held there since that sync (written data or a hole's zero) — never declared
// damage, never zeros of a write that did not land.
RC_GTEST_PROP(SimDiskProperty, SafeAppendGrowsAFileOnlyWithDataThatLanded, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  CrashModel model = GenModel();
  model.safe_append = true;
  SimDisk disk({.model = model, .plan = {.seed = seed}});
  Workload workload(disk, seed, {.operations = *rc::gen::inRange(1, 60)});
  WorkloadThenPowerLoss(disk, workload);
  for (const auto& [path, file] : workload.files()) {
    const std::vector<std::byte> now = ReadBytes(disk, path);
    for (uint64_t i = file.synced.size(); i < now.size(); ++i) {
      RC_ASSERT(i < file.values_since_sync.size());
      const auto& values = file.values_since_sync[i];
      RC_ASSERT(std::find(values.begin(), values.end(), now[i]) != values.end());
    }
  }
}

RC_GTEST_PROP(SimDiskProperty, ProcessCrashKeepsEverythingWrittenIncludingMappedStores, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  SimDisk disk({.model = GenModel(), .plan = {.seed = seed}});
  Workload workload(disk, seed, {.operations = *rc::gen::inRange(1, 60), .use_maps = true});
  RC_ASSERT(workload.Setup().ok());
  RC_ASSERT(workload.Run().ok());
  disk.Crash(CrashKind::kProcessCrash);
  for (const auto& [path, model] : workload.files()) {
    RC_ASSERT(ReadBytes(disk, path) == model.cache);
  }
  // The unsynced data is still unsynced: a later power loss keeps what was synced.
  disk.Crash(CrashKind::kPowerLoss);
  for (const auto& [path, model] : workload.files()) RC_ASSERT(*disk.Exists(path));
  testing::Tally(disk.trace());
}

// tmp is written and synced; the rename to final may or may not be followed by SyncDir.
RC_GTEST_PROP(SimDiskProperty, RenamedFileIsUnderEitherNameOrBothNeverLostOnceSynced, ()) {
  const CrashModel model = GenModel();
  const bool tmp_entry_synced = *rc::gen::arbitrary<bool>();
  const bool rename_synced = *rc::gen::arbitrary<bool>();
  const bool final_existed = *rc::gen::arbitrary<bool>();
  SimDisk disk({.model = model, .plan = {.seed = *rc::gen::arbitrary<uint64_t>()}});
  if (final_existed) {
    RC_ASSERT(testing::WriteText(disk, "/final", "old", true).ok());
    RC_ASSERT(disk.SyncDir("/").ok());
  }
  RC_ASSERT(testing::WriteText(disk, "/tmp", "new", true).ok());
  if (tmp_entry_synced) RC_ASSERT(disk.SyncDir("/").ok());
  RC_ASSERT(disk.Rename("/tmp", "/final").ok());
  if (rename_synced) RC_ASSERT(disk.SyncDir("/").ok());
  disk.Crash(CrashKind::kPowerLoss);
  const bool has_tmp = *disk.Exists("/tmp");
  const bool has_final = *disk.Exists("/final");
  RC_CLASSIFY(has_tmp && has_final, "both names");
  if (has_tmp) RC_ASSERT(ReadText(disk, "/tmp") == "new");
  if (has_final) {
    const std::string final_text = ReadText(disk, "/final");
    RC_ASSERT(final_text == "new" || (final_existed && final_text == "old"));
  }
  if (rename_synced) {
    RC_ASSERT(!has_tmp);
    RC_ASSERT(ReadText(disk, "/final") == "new");
  }
  if (tmp_entry_synced) {
    RC_ASSERT(has_tmp || (has_final && ReadText(disk, "/final") == "new"));
  }
  if (final_existed) RC_ASSERT(has_final);
  testing::Tally(disk.trace());
}

// One unsynced write over synced content: after power loss every sector the write covered
// holds the new bytes, the old bytes, or declared zeros/garbage — never a mix inside a
// sector; and a write inside one atomic unit is all new or all old.
RC_GTEST_PROP(SimDiskProperty, TornWritesRespectSectorBoundaries, ()) {
  CrashModel model = GenModel();
  model.reorder_unsynced_writes = true;
  const uint64_t sector = model.sector_bytes;
  const uint64_t size = sector * 16;
  const uint64_t offset = *rc::gen::inRange<uint64_t>(0, size - 1);
  const uint64_t length = *rc::gen::inRange<uint64_t>(1, size - offset + 1);
  SimDisk disk({.model = model, .plan = {.seed = *rc::gen::arbitrary<uint64_t>()}});
  RC_ASSERT(testing::WriteText(disk, "/f", std::string(size, 'o'), true).ok());
  RC_ASSERT(disk.SyncDir("/").ok());
  auto file = disk.Open("/f", OpenOptions::ReadWrite());
  RC_ASSERT((*file)->WriteAt(offset, system::AsBytes(std::string(length, 'N'))).ok());
  const size_t first_event = disk.trace().events().size();
  disk.Crash(CrashKind::kPowerLoss);
  const std::string now = ReadText(disk, "/f");
  RC_ASSERT(now.size() == size);
  const auto damage = DeclaredDamage(disk.trace(), first_event, "/f");
  const bool torn = disk.trace().count(Probe::kTornPrefix) + disk.trace().count(Probe::kTornArbitrary) > 0;
  RC_CLASSIFY(torn, "torn");
  for (uint64_t s = offset / sector * sector; s < offset + length; s += sector) {
    const uint64_t lo = std::max(s, offset);
    const uint64_t hi = std::min(s + sector, offset + length);
    const std::string piece = now.substr(lo, hi - lo);
    const bool uniform_new = piece == std::string(hi - lo, 'N');
    const bool uniform_old = piece == std::string(hi - lo, 'o');
    const bool declared = Damaged(damage, lo) && Damaged(damage, hi - 1);
    RC_ASSERT(uniform_new || uniform_old || declared);
  }
  const uint64_t atomic = model.atomic_write_bytes;
  if (offset / atomic == (offset + length - 1) / atomic) {
    RC_ASSERT(!torn);
    const std::string piece = now.substr(offset, length);
    RC_ASSERT(piece == std::string(length, 'N') || piece == std::string(length, 'o'));
  }
  testing::Tally(disk.trace());
}

RC_GTEST_PROP(SimDiskProperty, SameSeedGivesByteIdenticalDiskAfterCrash, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const CrashModel model = GenModel();
  std::string dumps[2];
  std::vector<FaultEvent> traces[2];
  for (int run = 0; run < 2; ++run) {
    SimDisk disk({.model = model, .plan = {.seed = seed}});
    Workload workload(disk, seed, {.operations = 40});
    RC_ASSERT(workload.Setup().ok());
    RC_ASSERT(workload.Run().ok());
    disk.Crash(CrashKind::kPowerLoss);
    dumps[run] = disk.Dump();
    traces[run] = disk.trace().events();
  }
  RC_ASSERT(dumps[0] == dumps[1]);
  RC_ASSERT(traces[0] == traces[1]);
}

// Every byte synced and not changed since is still there (files exist durably once
// Workload::Setup finished: created, synced, directory synced).
void ExpectSyncedDataSurvived(SimDisk& disk, const Workload& workload, uint64_t n) {
  for (const auto& [path, model] : workload.files()) {
    auto now = system::ReadWholeFile(disk, path);
    ASSERT_TRUE(now.ok()) << "n=" << n << " " << now.status().ToString();
    for (uint64_t i = 0; i < model.synced.size(); ++i) {
      if (i < model.changed.size() && model.changed[i]) continue;
      ASSERT_LT(i, now->size()) << "n=" << n << " " << path;
      ASSERT_EQ((*now)[i], model.synced[i]) << "n=" << n << " " << path << " @" << i;
    }
  }
}

// SQLite's sweep: crash on the 1st, 2nd, ... sync of a fixed workload until no crash
// happens. Every N is visited, and every state is checked, not sampled.
TEST(SimDiskSweep, CrashOnTheNthSyncSweepVisitsEveryN) {
  std::set<uint64_t> visited;
  uint64_t n = 1;
  for (; n < 1000; ++n) {
    FaultPlan plan{.seed = n,
                   .entries = {{.trigger = {.on = TriggerOn::kSync, .nth = n},
                                .fault = {.kind = FaultKind::kCrash}}}};
    SimDisk disk({.plan = plan});
    Workload workload(disk, /*seed=*/99, {.operations = 120});
    const system::Status setup = workload.Setup();
    const system::Status run = setup.ok() ? workload.Run() : setup;
    if (!disk.halted()) {
      ASSERT_TRUE(run.ok()) << run.ToString();
      break;
    }
    EXPECT_EQ(run.code(), system::StatusCode::kUnavailable);
    visited.insert(n);
    disk.Crash(disk.halted_crash_kind());
    if (setup.ok()) ExpectSyncedDataSurvived(disk, workload, n);
    EXPECT_TRUE(disk.Open("/after", OpenOptions::CreateNew()).ok()) << "n=" << n;
    testing::Tally(disk.trace());
  }
  ASSERT_GT(n, 20u) << "the workload must sync more than a few times";
  EXPECT_EQ(visited.size(), n - 1);
  EXPECT_EQ(*visited.begin(), 1u);
  EXPECT_EQ(*visited.rbegin(), n - 1);
  std::printf("[sweep] crash-on-nth-sync cases: %zu\n", visited.size());
}

}  // namespace
}  // namespace crashdrill::faults

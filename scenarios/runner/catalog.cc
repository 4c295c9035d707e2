#include "scenarios/runner/catalog.h"

namespace crashdrill::scenarios {
namespace {

using faults::CrashKind;

std::vector<Scenario> MakeCatalog() {
  std::vector<Scenario> catalog;
  const auto add = [&catalog](std::string name, std::string summary, FaultMix mix) {
    Scenario s;
    s.name = std::move(name);
    s.summary = std::move(summary);
    s.mix = std::move(mix);
    catalog.push_back(std::move(s));
  };
  add("process-crash", "kill -9 at any disk operation: everything handed to the kernel survives",
      {.crash_kinds = {CrashKind::kProcessCrash}});
  add("power-loss", "power cut at any disk operation: unsynced writes lost, reordered or torn",
      {.crash_kinds = {CrashKind::kPowerLoss}});
  add("crash-during-recovery", "crashes of both kinds that also land inside recovery itself",
      {.crash_kinds = {CrashKind::kPowerLoss, CrashKind::kProcessCrash},
       .crash_during_recovery = true});
  add("disk-full",
      "the disk fills during trading and during a checkpoint, a snapshot, a WAL append; frees "
      "later",
      {.crash_kinds = {CrashKind::kPowerLoss}, .no_space_episodes = 2, .no_space_in_levels = 3});
  // No checkpoint can be written while the disk is full: strategy state ages
  // by the episode (up to 0.4 s of trading plus the disk's time) on top of
  // the L2 period.
  catalog.back().targets.rpo_strategy_ms = 5'000;
  add("torn-write",
      "power cut in the middle of a write to each level in turn (L1 msync, L2, snapshot, WAL)",
      {.crash_kinds = {CrashKind::kPowerLoss}, .crash_in_levels = true});
  add("sync-points",
      "crashes at each level's file and directory syncs, then a power cut early in the next life",
      {.crash_kinds = {CrashKind::kPowerLoss, CrashKind::kProcessCrash}, .crash_at_syncs = 4});
  add("fsync-failure", "fsync fails with Linux semantics (dirty pages dropped, error once)",
      {.crash_kinds = {CrashKind::kPowerLoss}, .sync_failures = 3});
  add("io-error", "transient EIO on reads and writes of the levels' files",
      {.crash_kinds = {CrashKind::kProcessCrash}, .io_errors = 4});
  add("bit-rot", "bit flips and zeroed sectors in each level's files while the engine is down",
      {.crash_kinds = {CrashKind::kProcessCrash}, .bit_flips = 4, .zero_sectors = 4});
  add("schema-upgrade",
      "half the lives on a build writing schema v1, then restarts as the current build (v2)",
      {.crash_kinds = {CrashKind::kPowerLoss, CrashKind::kProcessCrash}, .schema_upgrade = true});
  add("clock-skew", "the wall clock steps forward and backward by hours and drifts",
      {.crash_kinds = {CrashKind::kPowerLoss}, .clock_steps = true, .clock_drift = true});
  add("network-partition", "engine and venue cut off from each other, also during recovery",
      {.crash_kinds = {CrashKind::kProcessCrash}, .partitions = 3});
  add("all-local-copies-lost", "the state directory is wiped while down: rebuild from the venue",
      {.crash_kinds = {CrashKind::kProcessCrash}, .wipes = 1});
  add("l4-after-losing-the-directory",
      "the state directory is wiped while down: recover from the L4 archive, losing at most its "
      "age",
      {.crash_kinds = {CrashKind::kProcessCrash, CrashKind::kPowerLoss},
       .wipes = 1,
       .archive = true});
  add("mixed", "everything at once: the nightly default",
      {.crash_kinds = {CrashKind::kPowerLoss, CrashKind::kProcessCrash},
       .crash_during_recovery = true,
       .no_space_episodes = 1,
       .io_errors = 1,
       .sync_failures = 1,
       .bit_flips = 1,
       .zero_sectors = 1,
       .clock_steps = true,
       .clock_drift = true,
       .partitions = 1,
       .no_space_in_levels = 1,
       .crash_at_syncs = 2});
  catalog.back().targets.rpo_strategy_ms = 5'000;  // it fills the disk too
  catalog.back().venue_report_history = 32;
  return catalog;
}

}  // namespace

const std::vector<Scenario>& Catalog() {
  static const std::vector<Scenario> catalog = MakeCatalog();
  return catalog;
}

const Scenario* FindScenario(const std::string& name) {
  for (const Scenario& s : Catalog()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace crashdrill::scenarios

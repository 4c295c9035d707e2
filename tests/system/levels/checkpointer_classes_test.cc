// The sequence rule of state_update.h, end to end: critical and strategy
// updates interleaved through a MultiLevelCheckpointer on SimDisk, copies
// taken by every level at generated points, a power loss, and then every copy
// that survived — alone and with the WAL replayed over it — checked against
// each class's own reference history. The critical part must be exactly a
// critical prefix; the strategy part exactly a strategy prefix no newer than
// the copy's next critical update and no older than its own.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "faults/sim_clock.h"
#include "faults/sim_disk.h"
#include "system/levels/checkpointer.h"
#include "system/recovery/point_in_time.h"
#include "tests/support/next_update_generator.h"

namespace crashdrill::system {
namespace {

using faults::SimClock;
using faults::SimDisk;
using Strategies = std::map<std::string, StrategyState>;

constexpr const char* kStateDir = "/state";

CheckpointerOptions Options() {
  CheckpointerOptions options;
  options.state_dir = kStateDir;
  options.l1_slot_bytes = 256 << 10;
  options.l1_sync_each_write = true;  // L1 copies survive the power loss too
  options.l2_period_ns = 1 * kNanosPerSecond;
  options.snapshot_period_ns = 3 * kNanosPerSecond;
  options.snapshots_kept = 3;
  options.wal_segment_bytes = 4 << 10;  // rotation, and truncation behind snapshots
  return options;
}

// Each class's history on its own: critical updates applied without any
// strategy update, strategy updates applied without any critical one. A
// strategy update that touched the trading state, or took a state_seq, makes
// the live state differ from this reference.
struct ClassHistory {
  std::vector<EngineState> critical{EngineState{}};  // [n]: after critical updates 1..n
  std::vector<Strategies> strategy{Strategies{}};    // [k]: after strategy updates 1..k
  // [n]: how many strategy updates were made before critical update n ([0]: none).
  std::vector<size_t> strategy_before_critical{0};

  EngineState Live() const {
    EngineState live = critical.back();
    live.strategies = strategy.back();
    return live;
  }
  // The strategy prefixes a copy taken at state_seq n may hold: every strategy
  // update before critical n, and none after critical n + 1.
  std::pair<size_t, size_t> StrategyRange(Seq n) const {
    const size_t newest = n + 1 < strategy_before_critical.size() ? strategy_before_critical[n + 1]
                                                                  : strategy.size() - 1;
    return {strategy_before_critical[n], newest};
  }
};

EngineState CriticalPart(EngineState state) {
  state.strategies.clear();
  return state;
}

// "" when `copy` obeys the rule, else what breaks it. `base_seq` is the
// state_seq of the copy the state came from (== its own unless replayed).
std::string RuleBroken(const ClassHistory& h, const EngineState& copy, Seq base_seq,
                       const std::string& what) {
  const Seq n = copy.state_seq();
  if (n >= h.critical.size()) return fmt::format("{}: state_seq {} was never committed", what, n);
  if (CriticalPart(copy) != h.critical[n]) {
    return fmt::format("{}: critical part is not the state after critical updates 1..{}", what, n);
  }
  const auto [oldest, newest] = h.StrategyRange(base_seq);
  for (size_t k = oldest; k <= newest; ++k) {
    if (copy.strategies == h.strategy[k]) return "";
  }
  for (size_t k = 0; k < h.strategy.size(); ++k) {
    if (copy.strategies == h.strategy[k]) {
      return fmt::format(
          "{}: strategy state after {} strategy updates, outside [{}, {}] that a "
          "copy at state_seq {} may hold",
          what, k, oldest, newest, base_seq);
    }
  }
  return fmt::format("{}: strategy state is no prefix of the strategy updates", what);
}

// How far the WAL reaches: (the seq it starts after, its last seq). Its seqs
// must be contiguous: under the rule a gap is a lost critical record.
std::pair<Seq, Seq> WalReach(Fs& fs) {
  std::optional<Seq> previous;
  const auto contiguous = [&previous](const WalRecordView& r) {
    if (previous && r.state_seq != *previous + 1) {
      return Status::Error(StatusCode::kCorruption, "read", "wal",
                           fmt::format("state_seq {} follows {}", r.state_seq, *previous));
    }
    previous = r.state_seq;
    return Status::Ok();
  };
  WalEnd end;
  Status read = WalReader(fs, JoinPath(kStateDir, "wal")).Read(0, contiguous, end);
  if (!read.ok()) RC_FAIL(read.ToString());
  RC_ASSERT(!previous || *previous == end.last_seq);
  return {end.starts_after_seq, end.last_seq};
}

// `base` with every WAL record after its state_seq applied; nullopt when the
// log no longer reaches back to it (segments a snapshot covered were dropped).
std::optional<EngineState> ReplayWal(Fs& fs, EngineState base) {
  if (WalReach(fs).first > base.state_seq()) return std::nullopt;
  const auto apply = [&base](const WalRecordView& r) {
    auto update = DecodeStateUpdate(r.type, r.payload, "wal");
    if (!update.ok()) return update.status();
    return ApplyStateUpdate(base, *update, r.state_seq, r.time_ns);
  };
  WalEnd end;
  Status read = WalReader(fs, JoinPath(kStateDir, "wal")).Read(base.state_seq(), apply, end);
  if (!read.ok()) RC_FAIL(read.ToString());
  return base;
}

// Runs a generated session; returns the reference history of what it committed.
ClassHistory RunSession(SimDisk& disk, SimClock& clock) {
  ClassHistory h;
  MultiLevelCheckpointer checkpointer(disk, clock, Options());
  RC_ASSERT(checkpointer.Open({}).ok());
  const int steps = *rc::gen::inRange(10, 160);
  for (int i = 0; i < steps; ++i) {
    switch (*rc::gen::weightedElement<int>({{6, 0}, {1, 1}, {4, 2}, {3, 3}, {1, 4}})) {
      case 0:
      case 1: {  // a critical update: trading, or now and then a config change
        StateUpdate update = *testing::GenNextUpdateOwning(h.critical.back(), i);
        if (*rc::gen::inRange(0, 8) == 0) {
          ConfigurationState config = *testing::GenConfigurationState();
          config.version = h.critical.back().config.version + 1;
          update = ConfigChanged{config};
        }
        EngineState next = h.critical.back();
        RC_ASSERT(ApplyStateUpdate(next, update, next.state_seq() + 1, clock.Wall()).ok());
        const Status committed = checkpointer.Commit(update);
        if (!committed.ok()) RC_FAIL(committed.ToString());
        h.critical.push_back(std::move(next));
        h.strategy_before_critical.push_back(h.strategy.size() - 1);
        break;
      }
      case 2: {  // a strategy update
        const std::string id = *rc::gen::element<std::string>("mm-1", "trend-2");
        const StrategyState strategy = *testing::GenStrategyState(id);
        const Status committed = checkpointer.Commit(StrategyUpdated{strategy});
        if (!committed.ok()) RC_FAIL(committed.ToString());
        Strategies next = h.strategy.back();
        next[id] = strategy;
        h.strategy.push_back(std::move(next));
        break;
      }
      case 3:  // time passes; the levels that are due run
        clock.Advance(*rc::gen::inRange<int64_t>(10, 2'500) * kNanosPerMilli);
        RC_ASSERT(checkpointer.Tick().ok());
        break;
      default:
        RC_ASSERT(checkpointer.Checkpoint(CheckpointType::kManual).ok());
        break;
    }
    RC_ASSERT(checkpointer.state() == h.Live());
  }
  return h;
}

// Every copy of every level that a power loss left, each as {name, state}.
std::vector<std::pair<std::string, EngineState>> WholeStateCopies(SimDisk& disk) {
  std::vector<std::pair<std::string, EngineState>> copies;
  for (CheckpointType type : {CheckpointType::kAutomatic, CheckpointType::kManual}) {
    DurableFile l2(disk, {.dir = JoinPath(JoinPath(kStateDir, "l2"), CheckpointTypeName(type)),
                          .versions_kept = 10});
    RC_ASSERT(l2.Open().ok());
    const auto versions = l2.ListVersions();
    RC_ASSERT(versions.ok());
    for (const L2Version& version : *versions) {
      auto state = l2.Read(version.version);
      if (!state.ok()) continue;  // a torn or corrupt copy is no copy
      copies.emplace_back(fmt::format("L2 {} v{}", CheckpointTypeName(type), version.version),
                          std::move(*state));
    }
  }
  SnapshotStore snapshots(disk, {.dir = JoinPath(kStateDir, "snapshots")});
  const auto files = snapshots.List();
  RC_ASSERT(files.ok());
  for (const SnapshotFile& file : *files) {
    auto state = snapshots.Read(file);
    if (state.ok()) copies.emplace_back(file.path, std::move(*state));
  }
  return copies;
}

RC_GTEST_PROP(CheckpointerClassesProperty,
              EveryCopyHoldsACriticalPrefixAndAStrategyPrefixNoNewerThanItsNextCriticalUpdate, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  SimDisk disk({.plan = {.seed = seed}});
  SimClock clock;
  const ClassHistory h = RunSession(disk, clock);
  faults::Rng rng(seed);
  disk.Crash(faults::CrashKind::kPowerLoss, rng);
  const Seq committed = h.critical.size() - 1;
  RC_ASSERT(WalReach(disk).second == committed);  // every critical update was acknowledged

  size_t replayed = 0;
  for (const auto& [name, copy] : WholeStateCopies(disk)) {
    const std::string broken = RuleBroken(h, copy, copy.state_seq(), name);
    if (!broken.empty()) RC_FAIL(broken);
    const auto rebuilt = ReplayWal(disk, copy);
    if (!rebuilt) continue;
    ++replayed;
    RC_ASSERT(rebuilt->state_seq() == committed);
    const std::string replay_broken =
        RuleBroken(h, *rebuilt, copy.state_seq(), name + " + WAL replay");
    if (!replay_broken.empty()) RC_FAIL(replay_broken);
  }

  MmapCheckpoint l1(disk,
                    {.path = JoinPath(kStateDir, "l1"), .slot_bytes = Options().l1_slot_bytes});
  RC_ASSERT(l1.Open().ok());
  for (const L1Slot& slot : l1.ReadSlots()) {
    if (!slot.state.ok()) continue;
    const Seq n = slot.state->state_seq;
    RC_ASSERT(n <= committed);
    RC_ASSERT(*slot.state == h.critical[n].trading);  // L1 holds the trading state only
    EngineState base;
    base.trading = *slot.state;
    if (const auto rebuilt = ReplayWal(disk, base)) {
      RC_ASSERT(rebuilt->trading == h.critical[committed].trading);
    }
  }

  // Point in time from the oldest snapshot the log still reaches on. (A power
  // loss may bring back an older snapshot whose retention unlink was not yet
  // durable, after the WAL segments behind it were dropped: it is no promise.)
  SnapshotStore snapshots(disk, {.dir = JoinPath(kStateDir, "snapshots")});
  const auto files = *snapshots.List();
  const Seq wal_starts_after = WalReach(disk).first;
  std::optional<Seq> from;
  if (wal_starts_after == 0) from = 0;
  for (const SnapshotFile& file : files) {
    if (!from && file.state_seq >= wal_starts_after) from = file.state_seq;
  }
  if (!from) {
    RC_FAIL(fmt::format("the WAL starts after {}, and no snapshot covers it", wal_starts_after));
  }
  for (Seq target = *from; target <= committed; ++target) {
    auto rebuilt = RebuildAsOf(disk, snapshots, JoinPath(kStateDir, "wal"), target);
    if (!rebuilt.ok()) RC_FAIL(fmt::format("as of {}: {}", target, rebuilt.status().ToString()));
    const std::string broken = RuleBroken(h, rebuilt->state, rebuilt->snapshot_seq,
                                          fmt::format("rebuilt as of {}", target));
    if (!broken.empty()) RC_FAIL(broken);
  }
  RC_CLASSIFY(replayed > 0, "a copy replayed forward");
  RC_CLASSIFY(h.strategy.size() > 1 && committed > 0, "both classes updated");
}

}  // namespace
}  // namespace crashdrill::system

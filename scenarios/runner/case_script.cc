#include "scenarios/runner/case_script.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "system/io/rng.h"

namespace crashdrill::scenarios {
namespace {

using faults::CrashKind;

struct OpSpec {
  OpKind kind;
  bool has_level;
  const char* name;
  const char* flag_true;   // the word for flag == true; nullptr: no flag field
  const char* flag_false;  // the word for flag == false
  bool has_n;
};

constexpr OpSpec kSpecs[] = {
    {OpKind::kDisk, false, "disk", "strict", "journaled", false},
    {OpKind::kDrift, false, "drift", nullptr, nullptr, true},
    {OpKind::kRun, false, "run", nullptr, nullptr, true},
    {OpKind::kCrash, false, "crash", "power", "process", false},
    {OpKind::kWait, false, "wait", nullptr, nullptr, true},
    {OpKind::kCorrupt, false, "corrupt", "bit_flip", "zero_sector", true},
    {OpKind::kWipe, false, "wipe", nullptr, nullptr, false},
    {OpKind::kRestart, false, "restart", nullptr, nullptr, false},
    {OpKind::kCrashAt, false, "crash-at", "power", "process", true},
    {OpKind::kEioAt, false, "eio-at", "read", "write", true},
    {OpKind::kFsyncFailAt, false, "fsyncfail-at", nullptr, nullptr, true},
    {OpKind::kFull, false, "full", nullptr, nullptr, false},
    {OpKind::kFree, false, "free", nullptr, nullptr, false},
    {OpKind::kPartition, false, "partition", nullptr, nullptr, true},
    {OpKind::kClock, false, "clock", nullptr, nullptr, true},
    {OpKind::kSubmit, false, "submit", "buy", "sell", true},
    {OpKind::kCancel, false, "cancel", nullptr, nullptr, true},
    {OpKind::kMarket, false, "market", nullptr, nullptr, true},
    {OpKind::kCheckpoint, false, "checkpoint", nullptr, nullptr, false},
    {OpKind::kCrashIn, true, "crash-in", "power", "process", true},
    {OpKind::kCrashSync, true, "crash-sync", "power", "process", true},
    {OpKind::kCrashDirSync, true, "crash-dirsync", "power", "process", true},
    {OpKind::kCorruptIn, true, "corrupt-in", "bit_flip", "zero_sector", true},
    {OpKind::kNoSpaceIn, true, "nospace-in", nullptr, nullptr, true},
    {OpKind::kSchema, false, "schema", nullptr, nullptr, true},
    {OpKind::kUpgrade, false, "upgrade", nullptr, nullptr, false},
};

constexpr const char* kLevelNames[kLevelTargetCount] = {"l1", "l2", "snapshot", "wal"};

const OpSpec& SpecOf(OpKind kind) {
  for (const OpSpec& spec : kSpecs) {
    if (spec.kind == kind) return spec;
  }
  return kSpecs[0];  // unreachable: every kind has a spec
}

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t begin = 0;
  while (true) {
    const size_t end = text.find(separator, begin);
    parts.push_back(text.substr(begin, end - begin));
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return parts;
}

bool ParseInt(const std::string& text, int64_t* value) {
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (first != last && *first == '+') ++first;
  const auto [end, error] = std::from_chars(first, last, *value);
  return error == std::errc() && end == last && first != last;
}

system::Result<Op> ParseOp(const std::string& text) {
  const std::vector<std::string> fields = Split(text, ':');
  for (const OpSpec& spec : kSpecs) {
    if (fields[0] != spec.name) continue;
    const size_t expected =
        1 + (spec.has_level ? 1 : 0) + (spec.flag_true != nullptr ? 1 : 0) + (spec.has_n ? 1 : 0);
    if (fields.size() != expected) {
      return system::Status::InvalidArgument(
          "parse case script",
          fmt::format("'{}': {} takes {} field(s) after its name", text, spec.name, expected - 1));
    }
    Op op{.kind = spec.kind};
    size_t next = 1;
    if (spec.has_level) {
      const auto* found = std::find(std::begin(kLevelNames), std::end(kLevelNames), fields[next]);
      if (found == std::end(kLevelNames)) {
        return system::Status::InvalidArgument(
            "parse case script",
            fmt::format("'{}': '{}' is not a level (l1, l2, snapshot, wal)", text, fields[next]));
      }
      op.level = static_cast<LevelTarget>(found - std::begin(kLevelNames));
      ++next;
    }
    if (spec.flag_true != nullptr) {
      if (fields[next] == spec.flag_true) {
        op.flag = true;
      } else if (fields[next] != spec.flag_false) {
        return system::Status::InvalidArgument(
            "parse case script", fmt::format("'{}': expected {} or {}, not '{}'", text,
                                             spec.flag_true, spec.flag_false, fields[next]));
      }
      ++next;
    }
    if (spec.has_n && !ParseInt(fields[next], &op.n)) {
      return system::Status::InvalidArgument(
          "parse case script", fmt::format("'{}': '{}' is not an integer", text, fields[next]));
    }
    return op;
  }
  return system::Status::InvalidArgument("parse case script",
                                         fmt::format("'{}' is not an operation", text));
}

// --- the planner ---------------------------------------------------------------------

// Events of one life at a step, in step order.
struct LifeEvent {
  int step = 0;
  std::vector<Op> ops;
};

}  // namespace

bool IsSetupOp(const Op& op) {
  return op.kind == OpKind::kDisk || op.kind == OpKind::kDrift || op.kind == OpKind::kSchema;
}

std::string LevelTargetName(LevelTarget level) { return kLevelNames[static_cast<size_t>(level)]; }

std::string FormatOp(const Op& op) {
  const OpSpec& spec = SpecOf(op.kind);
  std::string text = spec.name;
  if (spec.has_level) text += ":" + LevelTargetName(op.level);
  if (spec.flag_true != nullptr) {
    text += ':';
    text += op.flag ? spec.flag_true : spec.flag_false;
  }
  if (spec.has_n) text += fmt::format(":{}", op.n);
  return text;
}

std::string FormatScriptOps(const CaseScript& script) {
  std::string text = fmt::format("{}@{}/", script.scenario, script.seed);
  for (size_t i = 0; i < script.ops.size(); ++i) {
    if (i != 0) text += ',';
    text += FormatOp(script.ops[i]);
  }
  return text;
}

std::string FormatScript(const CaseScript& script) {
  if (script.planned) return fmt::format("{}@{}", script.scenario, script.seed);
  return FormatScriptOps(script);
}

system::Result<CaseScript> ParseScript(const std::string& text) {
  const size_t slash = text.find('/');
  const std::string head = text.substr(0, slash);
  const size_t at = head.rfind('@');
  uint64_t seed = 0;
  const char* first = head.data() + (at == std::string::npos ? head.size() : at + 1);
  const char* last = head.data() + head.size();
  const auto [end, error] = std::from_chars(first, last, seed);
  if (at == std::string::npos || at == 0 || first == last || error != std::errc() || end != last) {
    return system::Status::InvalidArgument(
        "parse case script", fmt::format("'{}' is not <scenario>@<seed>[/ops]", head));
  }
  CaseScript script;
  script.scenario = head.substr(0, at);
  script.seed = seed;
  const Scenario* scenario = FindScenario(script.scenario);
  if (scenario == nullptr) {
    return system::Status::InvalidArgument(
        "parse case script", fmt::format("'{}' is not a scenario of the catalog", script.scenario));
  }
  if (slash == std::string::npos) return PlanCase(*scenario, script.seed);
  const std::string body = text.substr(slash + 1);
  if (body.empty()) return script;
  const std::vector<std::string> ops = Split(body, ',');
  for (size_t i = 0; i < ops.size(); ++i) {
    auto op = ParseOp(ops[i]);
    if (!op.ok()) {
      return system::Status::InvalidArgument("parse case script",
                                             fmt::format("op {}: {}", i, op.status().message()));
    }
    script.ops.push_back(*op);
  }
  return script;
}

CaseScript PlanCase(const Scenario& scenario, uint64_t seed) {
  CaseScript script{.scenario = scenario.name, .seed = seed, .planned = true};
  system::Rng rng(system::Mix64(seed ^ 0x5ced'11a7));
  const FaultMix& mix = scenario.mix;
  std::vector<Op>& ops = script.ops;
  const auto pick_kind = [&] {
    return mix.crash_kinds[rng.Below(mix.crash_kinds.size())] == CrashKind::kPowerLoss;
  };
  ops.push_back({.kind = OpKind::kDisk, .flag = rng.Chance(1, 2)});
  if (mix.clock_drift) ops.push_back({.kind = OpKind::kDrift, .n = rng.Between(-500, 500)});
  // Crash points at disk operations: the engine stops wherever the count lands
  // (inside a WAL append, a checkpoint, a snapshot or recovery). Armed at the
  // start, counted from there.
  if (mix.schema_upgrade) ops.push_back({.kind = OpKind::kSchema, .n = 1});
  uint64_t at = 0;
  // Where every life has a crash point aimed at a level, none at random.
  const bool aimed_only = mix.crash_in_levels || 2 * mix.crash_at_syncs >= scenario.lives;
  for (int i = 0; i < scenario.lives && !aimed_only; ++i) {
    at += 500 + rng.Below(8'000);
    const bool power = pick_kind();
    ops.push_back({.kind = OpKind::kCrashAt, .n = static_cast<int64_t>(at), .flag = power});
    if (mix.crash_during_recovery && rng.Chance(1, 2)) {
      // Soon after: likely inside the recovery that follows.
      ops.push_back({.kind = OpKind::kCrashAt,
                     .n = static_cast<int64_t>(at + 5 + rng.Below(150)),
                     .flag = power});
    }
  }
  for (int i = 0; i < mix.io_errors; ++i) {
    ops.push_back({.kind = OpKind::kEioAt,
                   .n = static_cast<int64_t>(50 + rng.Below(10'000)),
                   .flag = rng.Chance(1, 2)});
  }
  for (int i = 0; i < mix.sync_failures; ++i) {
    ops.push_back({.kind = OpKind::kFsyncFailAt, .n = static_cast<int64_t>(50 + rng.Below(2'000))});
  }
  // The runner's own faults, per life: (life, step) points drawn now.
  std::map<int, std::vector<LifeEvent>> during;  // life -> events while trading
  std::map<int, std::vector<Op>> down;           // life -> faults while down
  const auto episode = [&](int length_min, int length_max, OpKind begin, OpKind end) {
    const int life = static_cast<int>(rng.Below(scenario.lives));
    // Early in a life: a planned crash may end it before long.
    const int step = static_cast<int>(rng.Below(100));
    const int length = static_cast<int>(rng.Between(length_min, length_max));
    // (a full disk takes no length: a `free` ends it)
    during[life].push_back({step, {{.kind = begin, .n = begin == OpKind::kFull ? 0 : length}}});
    if (end == OpKind::kFree) during[life].push_back({step + length, {{.kind = OpKind::kFree}}});
    return std::pair{life, step};
  };
  for (int i = 0; i < mix.no_space_episodes; ++i) {
    episode(50, 400, OpKind::kFull, OpKind::kFree);
  }
  for (int i = 0; i < mix.partitions; ++i) {
    const auto [life, step] = episode(50, 1'500, OpKind::kPartition, OpKind::kPartition);
    if (step % 2 == 0) {
      // This one also spans a restart: recovery must wait for the venue.
      down[life].push_back(
          {.kind = OpKind::kPartition, .n = static_cast<int64_t>(rng.Between(50, 1'500))});
    }
  }
  // Latent corruption in every level in turn.
  const uint64_t first_level = rng.Below(kLevelTargetCount);
  for (int i = 0; i < mix.bit_flips + mix.zero_sectors; ++i) {
    down[static_cast<int>(rng.Below(scenario.lives))].push_back(
        {.kind = OpKind::kCorruptIn,
         .n = static_cast<int64_t>(rng.Below(1'000)),
         .flag = i < mix.bit_flips,
         .level = static_cast<LevelTarget>((first_level + static_cast<uint64_t>(i)) %
                                           kLevelTargetCount)});
  }
  // A full disk in the middle of a checkpoint (L2), a snapshot, a WAL append.
  for (int i = 0; i < mix.no_space_in_levels; ++i) {
    constexpr LevelTarget kWritten[] = {LevelTarget::kL2, LevelTarget::kSnapshot,
                                        LevelTarget::kWal};
    const LevelTarget level = kWritten[(first_level + static_cast<uint64_t>(i)) % 3];
    during[static_cast<int>(rng.Below(scenario.lives))].push_back(
        {static_cast<int>(rng.Below(scenario.steps_per_life)),
         {{.kind = OpKind::kNoSpaceIn,
           .n = level == LevelTarget::kWal ? rng.Between(1, 300) : rng.Between(1, 3),
           .level = level}}});
  }
  if (mix.crash_in_levels) {
    // One crash point a life, aimed at each level's writes in turn, armed
    // when the life starts: counts that land within it.
    for (int life = 0; life < scenario.lives; ++life) {
      const auto level =
          static_cast<LevelTarget>((first_level + static_cast<uint64_t>(life)) % kLevelTargetCount);
      int64_t n = 1;
      switch (level) {
        case LevelTarget::kL1:
          n = rng.Between(1, 8);
          break;  // msync every 50 ms
        case LevelTarget::kL2:
          n = rng.Between(1, 4);
          break;  // a version every 200 ms
        case LevelTarget::kSnapshot:
          n = rng.Between(1, 2);
          break;  // every 500 ms
        case LevelTarget::kWal:
          n = rng.Between(1, 400);
          break;  // every commit
      }
      during[life].push_back(
          {0, {{.kind = OpKind::kCrashIn, .n = n, .flag = pick_kind(), .level = level}}});
    }
  }
  // Each level in turn, at a file sync and at a directory sync by turns, in
  // every other life from one drawn; the life after each loses power early.
  const bool dir_first = rng.Chance(1, 2);
  const uint64_t first_life = rng.Below(scenario.lives);
  for (int i = 0; i < mix.crash_at_syncs; ++i) {
    const auto level =
        static_cast<LevelTarget>((first_level + static_cast<uint64_t>(i)) % kLevelTargetCount);
    const int life = static_cast<int>((first_life + 2 * static_cast<uint64_t>(i)) %
                                      static_cast<uint64_t>(scenario.lives));
    const bool dir = dir_first != (i % 2 == 1);
    // A life syncs each level's directory a few times (a new L2 version every
    // 200 ms, a snapshot every 500 ms, a WAL segment every few hundred
    // commits) and its files more often (the WAL at every commit).
    int64_t n = 1;
    if (dir) {
      n = rng.Between(1, 2);
    } else if (level == LevelTarget::kWal) {
      n = rng.Between(1, 400);
    } else {
      n = rng.Between(1, level == LevelTarget::kSnapshot ? 2 : 4);
    }
    during[life].push_back({0,
                            {{.kind = dir ? OpKind::kCrashDirSync : OpKind::kCrashSync,
                              .n = n,
                              .flag = pick_kind(),
                              .level = level}}});
    if (life + 1 < scenario.lives) {
      during[life + 1].push_back({0,
                                  {{.kind = OpKind::kCrashIn,
                                    .n = rng.Between(1, 300),
                                    .flag = true,
                                    .level = LevelTarget::kWal}}});
    }
  }
  if (mix.schema_upgrade) down[scenario.lives / 2].push_back({.kind = OpKind::kUpgrade});
  for (int i = 0; i < mix.wipes; ++i) {
    down[static_cast<int>(rng.Below(scenario.lives))].push_back({.kind = OpKind::kWipe});
  }
  if (mix.clock_steps) {
    for (int i = 0; i < 4; ++i) {
      const int64_t hours = rng.Chance(1, 2) ? 1 : -1;
      during[static_cast<int>(rng.Below(scenario.lives))].push_back(
          {static_cast<int>(rng.Below(scenario.steps_per_life)),
           {{.kind = OpKind::kClock, .n = hours * 3'600'000}}});
    }
  }
  for (int life = 0; life < scenario.lives; ++life) {
    std::vector<LifeEvent>& events = during[life];
    std::stable_sort(events.begin(), events.end(),
                     [](const LifeEvent& a, const LifeEvent& b) { return a.step < b.step; });
    int step = 0;
    for (const LifeEvent& e : events) {
      const int until = std::min(e.step, scenario.steps_per_life);
      if (until > step) ops.push_back({.kind = OpKind::kRun, .n = until - step});
      step = std::max(step, until);
      ops.insert(ops.end(), e.ops.begin(), e.ops.end());
    }
    if (scenario.steps_per_life > step) {
      ops.push_back({.kind = OpKind::kRun, .n = scenario.steps_per_life - step});
    }
    ops.push_back({.kind = OpKind::kCrash, .flag = pick_kind()});
    ops.push_back({.kind = OpKind::kWait, .n = rng.Between(50, 2'000)});
    const std::vector<Op>& faults = down[life];
    ops.insert(ops.end(), faults.begin(), faults.end());
    ops.push_back({.kind = OpKind::kRestart});
  }
  return script;
}

}  // namespace crashdrill::scenarios

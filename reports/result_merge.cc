#include "reports/result_merge.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

namespace crashdrill::reports {
namespace {

using nlohmann::json;

std::string Shorten(const json& value) {
  std::string text = value.dump();
  return text.size() > 80 ? text.substr(0, 77) + "..." : text;
}

std::optional<std::string> CheckSameScenarios(const ShardResult& first, const ShardResult& other) {
  const auto& a = first.result.scenarios;
  const auto& b = other.result.scenarios;
  if (a.size() != b.size()) {
    return fmt::format(
        "{}: field 'scenarios' lists {} scenarios, but {} lists {}: not shards of "
        "the same run",
        other.path, b.size(), first.path, a.size());
  }
  for (size_t i = 0; i < a.size(); ++i) {
    const std::vector<std::tuple<std::string, json, json>> fields = {
        {"name", a[i].name, b[i].name},
        {"mode", a[i].mode, b[i].mode},
        {"rto_ms.target", a[i].rto.target_ms, b[i].rto.target_ms},
        {"rpo_ms.target", a[i].rpo_strategy.target_ms, b[i].rpo_strategy.target_ms},
        {"rpo_ms_by_class.critical.target", a[i].rpo_critical.target_ms,
         b[i].rpo_critical.target_ms}};
    for (const auto& [field, mine, theirs] : fields) {
      if (mine == theirs) continue;
      return fmt::format(
          "{}: field 'scenarios[{}].{}' is {}, but {} has {}: not shards of the "
          "same run",
          other.path, i, field, Shorten(theirs), first.path, Shorten(mine));
    }
  }
  return std::nullopt;
}

// Everything that decides which cases run and what they measure must agree.
std::optional<std::string> CheckSameRun(const ShardResult& first, const ShardResult& other) {
  const Provenance& a = first.result.provenance;
  const Provenance& b = other.result.provenance;
  const std::vector<std::tuple<std::string, json, json>> fields = {
      {"commit", a.commit, b.commit},
      {"seed", a.seed, b.seed},
      {"configuration", a.configuration, b.configuration},
      {"disk_cost_model", a.disk_cost_model, b.disk_cost_model},
      {"shard.count", a.shard.count, b.shard.count}};
  for (const auto& [field, mine, theirs] : fields) {
    if (mine == theirs) continue;
    return fmt::format("{}: field 'provenance.{}' is {}, but {} has {}: not shards of the same run",
                       other.path, field, Shorten(theirs), first.path, Shorten(mine));
  }
  return CheckSameScenarios(first, other);
}

// Every shard index 0..N-1 exactly once. REQUIRES: the shards agree on N.
std::optional<std::string> CheckEveryShardOnce(const std::vector<ShardResult>& shards) {
  const uint64_t count = shards.front().result.provenance.shard.count;
  std::map<uint64_t, const std::string*> seen;
  for (const ShardResult& s : shards) {
    const uint64_t index = s.result.provenance.shard.index;
    const auto [it, inserted] = seen.emplace(index, &s.path);
    if (!inserted) {
      return fmt::format(
          "{}: field 'provenance.shard.index' is {}, as in {}: shard {}/{} is "
          "given twice",
          s.path, index, *it->second, index, count);
    }
  }
  for (uint64_t index = 0; index < count; ++index) {
    if (!seen.contains(index)) {
      return fmt::format(
          "shard {}/{} is missing: none of the {} results given has field "
          "'provenance.shard.index' {}",
          index, count, shards.size(), index);
    }
  }
  return std::nullopt;
}

void AddSamples(const Samples& from, Samples* into) {
  into->values_ms.insert(into->values_ms.end(), from.values_ms.begin(), from.values_ms.end());
}

void AddCounts(const std::map<std::string, uint64_t>& from, std::map<std::string, uint64_t>* into) {
  for (const auto& [name, n] : from) (*into)[name] += n;
}

// Adds scenario `i` of `shard` to `into`; its violations must be cases of its shard.
std::optional<std::string> AddScenario(const ShardResult& shard, size_t i, ScenarioRecord* into) {
  const ScenarioRecord& s = shard.result.scenarios[i];
  const ShardId id = shard.result.provenance.shard;
  for (size_t j = 0; j < s.violations.size(); ++j) {
    if (s.violations[j].case_index % id.count != id.index) {
      return fmt::format(
          "{}: field 'scenarios[{}].violations[{}].case' is {}, not a case of "
          "shard {}/{}",
          shard.path, i, j, s.violations[j].case_index, id.index, id.count);
    }
  }
  into->cases += s.cases;
  into->crashes += s.crashes;
  into->acknowledged += s.acknowledged;
  into->violations.insert(into->violations.end(), s.violations.begin(), s.violations.end());
  AddSamples(s.rto, &into->rto);
  AddSamples(s.rpo_strategy, &into->rpo_strategy);
  AddSamples(s.rpo_critical, &into->rpo_critical);
  AddCounts(s.recovered_from, &into->recovered_from);
  AddCounts(s.faults_fired, &into->faults_fired);
  for (const auto& [phase, ns] : s.recovery_phase_ns) into->recovery_phase_ns[phase] += ns;
  into->recovery_cpu_ms += s.recovery_cpu_ms;
  return std::nullopt;
}

// The distinct values of a field the shards may differ in, in shard order.
std::string Distinct(const std::vector<ShardResult>& shards, std::string Provenance::*field) {
  std::vector<std::string> values;
  for (const ShardResult& s : shards) {
    const std::string& value = s.result.provenance.*field;
    if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
  }
  return fmt::format("{}", fmt::join(values, "; "));
}

Provenance MergedProvenance(const std::vector<ShardResult>& shards) {
  Provenance p = shards.front().result.provenance;
  p.shard = ShardId{};
  p.build_type = Distinct(shards, &Provenance::build_type);
  p.compiler = Distinct(shards, &Provenance::compiler);
  p.machine = Distinct(shards, &Provenance::machine);
  p.wall_seconds = 0;
  p.shard_wall_seconds.clear();
  for (const ShardResult& s : shards) {
    // The run started when its first shard did (the text compares as the time does).
    const std::string& started = s.result.provenance.started_at;
    if (!started.empty() && (p.started_at.empty() || started < p.started_at)) {
      p.started_at = started;
    }
    p.wall_seconds = std::max(p.wall_seconds, s.result.provenance.wall_seconds);
    p.shard_wall_seconds.push_back(s.result.provenance.wall_seconds);
  }
  return p;
}

}  // namespace

Checked<ResultRecord> MergeShards(std::vector<ShardResult> shards) {
  if (shards.empty()) return Refusal{"no result to merge"};
  for (const ShardResult& s : shards) {
    // A merge rebuilds the scenarios and knows nothing of a drill's steps: it
    // would drop them. A drill runs whole, in one process, and has no shards.
    if (s.result.drill) {
      return Refusal{fmt::format(
          "{}: field 'drill' is present: a drill result is the whole drill, not a shard; report "
          "on it without --merge",
          s.path)};
    }
  }
  for (size_t i = 1; i < shards.size(); ++i) {
    if (auto why = CheckSameRun(shards.front(), shards[i])) return Refusal{*why};
  }
  if (auto why = CheckEveryShardOnce(shards)) return Refusal{*why};
  std::sort(shards.begin(), shards.end(), [](const ShardResult& a, const ShardResult& b) {
    return a.result.provenance.shard.index < b.result.provenance.shard.index;
  });

  ResultRecord merged;
  merged.provenance = MergedProvenance(shards);
  for (const ScenarioRecord& s : shards.front().result.scenarios) {
    merged.scenarios.push_back({.name = s.name, .mode = s.mode});
    merged.scenarios.back().rto.target_ms = s.rto.target_ms;
    merged.scenarios.back().rpo_strategy.target_ms = s.rpo_strategy.target_ms;
    merged.scenarios.back().rpo_critical.target_ms = s.rpo_critical.target_ms;
  }
  for (const ShardResult& shard : shards) {
    for (size_t i = 0; i < merged.scenarios.size(); ++i) {
      if (auto why = AddScenario(shard, i, &merged.scenarios[i])) return Refusal{*why};
    }
  }
  for (ScenarioRecord& s : merged.scenarios) {
    // The unsharded run's order: case by case, and within a case as it found
    // them (a case runs whole in one shard, so a stable sort keeps that).
    std::stable_sort(s.violations.begin(), s.violations.end(),
                     [](const ViolationRecord& a, const ViolationRecord& b) {
                       return a.case_index < b.case_index;
                     });
    for (Samples* samples : {&s.rto, &s.rpo_strategy, &s.rpo_critical}) {
      std::sort(samples->values_ms.begin(), samples->values_ms.end());
    }
  }
  return merged;
}

}  // namespace crashdrill::reports

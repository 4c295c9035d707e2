#include "scenarios/runner/chaos_run.h"

#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "faults/sim_disk.h"
#include "reports/result_model.h"
#include "system/io/rng.h"

#ifndef CRASHDRILL_COMMIT
#define CRASHDRILL_COMMIT "unknown"
#endif
#ifndef CRASHDRILL_BUILD_TYPE
#define CRASHDRILL_BUILD_TYPE "unknown"
#endif

namespace crashdrill::scenarios {
namespace {

using nlohmann::json;

uint64_t NameHash(const std::string& name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a: fixed across builds and machines
  for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

reports::Samples SamplesOf(std::vector<double> values_ms, int64_t target_ms) {
  std::sort(values_ms.begin(), values_ms.end());
  return {.values_ms = std::move(values_ms), .target_ms = target_ms};
}

reports::ScenarioRecord RecordOf(const ScenarioSummary& s) {
  reports::ScenarioRecord record{
      .name = s.name,
      .mode = "sim",
      .cases = s.cases,
      .crashes = s.crashes,
      .acknowledged = s.acknowledged,
      .rto = SamplesOf(s.rto_ms, s.targets.rto_ms),
      .rpo_strategy = SamplesOf(s.rpo_strategy_ms, s.targets.rpo_strategy_ms),
      .rpo_critical = SamplesOf(s.rpo_critical_ms, 0),
      .recovered_from = {{"l1", 0}, {"l2", 0}, {"l3", 0}, {"l4", 0}, {"backup", 0}, {"venue", 0}},
      .faults_fired = s.faults_fired,
      .recovery_phase_ns = s.recovery_phase_ns,
      .recovery_cpu_ms = s.recovery_cpu_ms};
  for (size_t i = 0; i < s.violations.size(); ++i) {
    const Violation& v = s.violations[i];
    record.violations.push_back({.property = v.property,
                                 .repro = v.repro,
                                 .detail = v.detail,
                                 .case_index = s.violation_cases[i]});
  }
  for (const auto& [level, n] : s.recovered_from) {
    if (level != "empty") record.recovered_from[level] = n;
  }
  return record;
}

}  // namespace

std::string Machine() {
  utsname name{};
  if (uname(&name) != 0) return "unknown";
  return std::string(name.sysname) + " " + name.release + " " + name.machine;
}

std::string Compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "g++ " __VERSION__;
#else
  return "unknown";
#endif
}

reports::Provenance BuildProvenance() {
  return {.commit = CRASHDRILL_COMMIT,
          .build_type = CRASHDRILL_BUILD_TYPE,
          .compiler = Compiler(),
          .machine = Machine()};
}

uint64_t ChaosResult::violations() const {
  uint64_t n = 0;
  for (const ScenarioSummary& s : scenarios) n += s.violations.size();
  return n;
}

uint64_t CaseSeed(uint64_t run_seed, const std::string& scenario, uint64_t case_index) {
  return system::Mix64(system::Mix64(run_seed) ^ NameHash(scenario) ^
                       system::Mix64(case_index + 0x51ed));
}

uint64_t CasesPerScenario(const ChaosOptions& options) {
  return options.cases != 0 || options.minutes > 0 ? options.cases : kNightlyCasesPerScenario;
}

uint64_t CasesOfShard(const ChaosOptions& options) {
  const uint64_t cases = CasesPerScenario(options);
  const Shard& shard = options.shard;
  return cases > shard.index ? (cases - shard.index + shard.count - 1) / shard.count : 0;
}

ChaosResult RunChaos(const ChaosOptions& options,
                     const std::function<void(const ChaosResult&, const CaseResult&)>& progress) {
  ChaosResult result;
  result.options = options;
  std::vector<const Scenario*> scenarios;
  for (const std::string& name : options.scenarios) {
    scenarios.push_back(FindScenario(name));
    result.scenarios.push_back({.name = name, .targets = scenarios.back()->targets});
  }
  const uint64_t cases = CasesPerScenario(options);
  result.started_at = UtcNow();
  const auto start = std::chrono::steady_clock::now();
  const auto out_of_time = [&] {
    return options.minutes > 0 &&
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >=
               options.minutes * 60;
  };
  // Case k of every scenario, then k + 1: a time budget spreads over all of them.
  for (uint64_t k = 0; cases == 0 || k < cases; ++k) {
    if (out_of_time()) break;
    if (k % options.shard.count != options.shard.index) continue;
    for (size_t i = 0; i < scenarios.size() && !out_of_time(); ++i) {
      const CaseResult c = RunCase(*scenarios[i], CaseSeed(options.seed, scenarios[i]->name, k));
      ScenarioSummary& s = result.scenarios[i];
      ++s.cases;
      s.crashes += c.crashes;
      s.acknowledged += c.acknowledged;
      s.violations.insert(s.violations.end(), c.violations.begin(), c.violations.end());
      s.violation_cases.resize(s.violations.size(), k);
      s.rto_ms.insert(s.rto_ms.end(), c.rto_ms.begin(), c.rto_ms.end());
      s.rpo_strategy_ms.insert(s.rpo_strategy_ms.end(), c.rpo_strategy_ms.begin(),
                               c.rpo_strategy_ms.end());
      s.rpo_critical_ms.insert(s.rpo_critical_ms.end(), c.rpo_critical_ms.begin(),
                               c.rpo_critical_ms.end());
      for (const auto& [from, n] : c.recovered_from) s.recovered_from[from] += n;
      for (const auto& [kind, n] : c.faults_fired) s.faults_fired[kind] += n;
      for (const auto& [phase, ns] : c.recovery_phase_ns) s.recovery_phase_ns[phase] += ns;
      s.recovery_cpu_ms += c.recovery_cpu_ms;
      if (progress) progress(result, c);
    }
  }
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

json ResultJson(const ChaosResult& result) {
  reports::ResultRecord record;
  for (const ScenarioSummary& s : result.scenarios) record.scenarios.push_back(RecordOf(s));
  json disk_cost;
  to_json(disk_cost, faults::DiskCostModel{});
  record.provenance = {
      .commit = CRASHDRILL_COMMIT,
      .build_type = CRASHDRILL_BUILD_TYPE,
      .compiler = Compiler(),
      .machine = Machine(),
      .seed = result.options.seed,
      .shard = {.index = result.options.shard.index, .count = result.options.shard.count},
      .configuration = {{"scenarios", result.options.scenarios},
                        {"cases_per_scenario", result.options.cases},
                        {"minutes", result.options.minutes}},
      .disk_cost_model = disk_cost,
      .started_at = result.started_at,
      .wall_seconds = result.wall_seconds};
  return reports::ToJson(record);
}

}  // namespace crashdrill::scenarios

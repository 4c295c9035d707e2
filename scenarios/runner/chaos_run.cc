#include "scenarios/runner/chaos_run.h"

#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "faults/sim_disk.h"
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

// Nearest rank, on a sorted copy.
double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

json Distribution(const std::vector<double>& values, int64_t target) {
  return {{"p50", Percentile(values, 0.50)},
          {"p95", Percentile(values, 0.95)},
          {"p99", Percentile(values, 0.99)},
          {"max", values.empty() ? 0.0 : *std::max_element(values.begin(), values.end())},
          {"samples", values.size()},
          {"target", target}};
}

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

}  // namespace

uint64_t ChaosResult::violations() const {
  uint64_t n = 0;
  for (const ScenarioSummary& s : scenarios) n += s.violations.size();
  return n;
}

uint64_t CaseSeed(uint64_t run_seed, const std::string& scenario, uint64_t case_index) {
  return system::Mix64(system::Mix64(run_seed) ^ NameHash(scenario) ^
                       system::Mix64(case_index + 0x51ed));
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
  const uint64_t cases =
      options.cases != 0 || options.minutes > 0 ? options.cases : kNightlyCasesPerScenario;
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
      s.rto_ms.insert(s.rto_ms.end(), c.rto_ms.begin(), c.rto_ms.end());
      s.rpo_strategy_ms.insert(s.rpo_strategy_ms.end(), c.rpo_strategy_ms.begin(),
                               c.rpo_strategy_ms.end());
      s.rpo_critical_ms.insert(s.rpo_critical_ms.end(), c.rpo_critical_ms.begin(),
                               c.rpo_critical_ms.end());
      for (const auto& [from, n] : c.recovered_from) s.recovered_from[from] += n;
      for (const auto& [kind, n] : c.faults_fired) s.faults_fired[kind] += n;
      s.recovery_cpu_ms += c.recovery_cpu_ms;
      if (progress) progress(result, c);
    }
  }
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

json ResultJson(const ChaosResult& result) {
  json scenarios = json::array();
  for (const ScenarioSummary& s : result.scenarios) {
    json violations = json::array();
    for (const Violation& v : s.violations) {
      violations.push_back({{"property", v.property}, {"repro", v.repro}, {"detail", v.detail}});
    }
    json from = {{"l1", 0}, {"l2", 0}, {"l3", 0}, {"l4", 0}, {"backup", 0}, {"venue", 0}};
    for (const auto& [level, n] : s.recovered_from) {
      if (level != "empty") from[level] = n;
    }
    scenarios.push_back(
        {{"name", s.name},
         {"mode", "sim"},
         {"cases", s.cases},
         {"crashes", s.crashes},
         {"acknowledged", s.acknowledged},
         {"violations", violations},
         {"rto_ms", Distribution(s.rto_ms, s.targets.rto_ms)},
         {"rpo_ms", Distribution(s.rpo_strategy_ms, s.targets.rpo_strategy_ms)},
         {"rpo_ms_by_class",
          {{"critical", Distribution(s.rpo_critical_ms, 0)},
           {"strategy", Distribution(s.rpo_strategy_ms, s.targets.rpo_strategy_ms)}}},
         {"recovered_from", from},
         {"faults_fired", s.faults_fired},
         // Wall-time fields: everything else is the same on every run of the same command.
         {"recovery_cpu_ms", s.recovery_cpu_ms}});
  }
  json disk_cost;
  to_json(disk_cost, faults::DiskCostModel{});
  return {
      {"schema", "crashdrill.result/1"},
      {"provenance",
       {{"commit", CRASHDRILL_COMMIT},
        {"build_type", CRASHDRILL_BUILD_TYPE},
        {"compiler", Compiler()},
        {"machine", Machine()},
        {"seed", result.options.seed},
        {"shard", {{"index", result.options.shard.index}, {"count", result.options.shard.count}}},
        {"configuration",
         {{"scenarios", result.options.scenarios},
          {"cases_per_scenario", result.options.cases},
          {"minutes", result.options.minutes}}},
        {"disk_cost_model", disk_cost},
        {"wall_seconds", result.wall_seconds}}},
      {"violations", result.violations()},
      {"scenarios", scenarios}};
}

}  // namespace crashdrill::scenarios

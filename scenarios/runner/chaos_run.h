// A chaos run: cases of one or more scenarios, each case seeded from the run's
// seed, its scenario and its index, so a case is the same wherever it runs
// (any shard, any machine) and `crashdrill replay <scenario>@<case seed>`
// repeats it exactly. The result is crashdrill.result/1 (DESIGN §9).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reports/result_model.h"
#include "scenarios/runner/sim_case.h"

namespace crashdrill::scenarios {

struct Shard {
  uint64_t index = 0;
  uint64_t count = 1;
};

struct ChaosOptions {
  std::vector<std::string> scenarios = {"mixed"};
  uint64_t cases = 0;  // per scenario; 0 with minutes == 0: the nightly default
  double minutes = 0;  // run cases round-robin until this much wall time passed
  uint64_t seed = 1;
  Shard shard;
};

inline constexpr uint64_t kNightlyCasesPerScenario = 200;

struct ScenarioSummary {
  std::string name;
  uint64_t cases = 0;
  uint64_t crashes = 0;
  uint64_t acknowledged = 0;
  std::vector<Violation> violations;
  std::vector<uint64_t> violation_cases;  // the case index of each of `violations`, in step
  std::vector<double> rto_ms;
  std::vector<double> rpo_strategy_ms;
  std::vector<double> rpo_critical_ms;
  std::map<std::string, uint64_t> recovered_from;
  std::map<std::string, uint64_t> faults_fired;
  std::map<std::string, uint64_t> recovery_phase_ns;
  double recovery_cpu_ms = 0;
  Targets targets;
};

struct ChaosResult {
  ChaosOptions options;
  std::vector<ScenarioSummary> scenarios;
  std::string started_at;  // RFC 3339 UTC
  double wall_seconds = 0;
  uint64_t violations() const;
};

uint64_t CaseSeed(uint64_t run_seed, const std::string& scenario, uint64_t case_index);

// The cases per scenario `options` runs over all shards: --cases, the nightly
// default when neither --cases nor --minutes is given, 0 when time decides.
uint64_t CasesPerScenario(const ChaosOptions& options);
// How many of those fall to options.shard (case k belongs to shard k mod N).
uint64_t CasesOfShard(const ChaosOptions& options);

// Runs the cases of `options` that belong to its shard; `progress` is called
// after every case. Unknown scenario names are the caller's to refuse.
ChaosResult RunChaos(const ChaosOptions& options,
                     const std::function<void(const ChaosResult&, const CaseResult&)>& progress);

// crashdrill.result/1, with provenance (commit, build, compiler, machine,
// seed, shard, configuration, the disk cost model) and what a merge of shard
// results needs (reports/result_model.h): the samples, each violation's case.
nlohmann::json ResultJson(const ChaosResult& result);

// What produced a result: "Linux 6.1.0 x86_64", "g++ 12.2.0", and a
// provenance with this build's commit and type, compiler and machine filled.
std::string Machine();
std::string Compiler();
reports::Provenance BuildProvenance();

}  // namespace crashdrill::scenarios

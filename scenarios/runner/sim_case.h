// One chaos case in sim mode (DESIGN §7): one process, one thread, simulated
// time. The engine runs on a SimDisk that charges simulated time per
// operation, with a SkewedClock over a SimClock, against an in-process exchange
// with background market flow. The case's seed decides the workload and every
// fault; the same seed gives the same trace and the same result, byte for byte.
// After every recovery the properties of DESIGN §8 are checked.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "scenarios/runner/case_script.h"
#include "scenarios/runner/catalog.h"

namespace crashdrill::scenarios {

struct Violation {
  std::string property;  // "P1".."P9"
  std::string detail;
  std::string repro;  // what `crashdrill replay` takes

  bool operator==(const Violation&) const = default;
};

struct CaseResult {
  std::string scenario;
  uint64_t seed = 0;
  uint64_t crashes = 0;
  uint64_t recoveries = 0;
  std::vector<Violation> violations;
  std::vector<double> rto_ms;                      // simulated: restart to ready to trade
  std::vector<double> rpo_strategy_ms;             // per recovery, strategy state
  std::vector<double> rpo_critical_ms;             // per recovery, 0 unless P2 broke
  std::map<std::string, uint64_t> recovered_from;  // l1, l2, l3, l4, backup, venue
  std::map<std::string, uint64_t> faults_fired;    // by kind
  uint64_t acknowledged = 0;                       // critical updates acknowledged over the case
  double recovery_cpu_ms = 0;  // the CPU time recoveries took (beside the simulated RTO)
  // Simulated time per recovery phase (discover, load, validate, replay,
  // reconcile) of the recoveries counted in rto_ms, summed, in ns.
  std::map<std::string, uint64_t> recovery_phase_ns;
  double sim_ms = 0;           // simulated time the case covered (monotonic clock)
  // Where the wall time of the case went: "workload" (engine steps), "crash"
  // (resolving crash states, faults while down), "recovery" (recover and
  // reconcile), "checks" (the property checks and the reference model).
  std::map<std::string, double> cpu_ms;
  uint64_t ops_applied = 0;         // ops of the script performed
  uint64_t first_violation_op = 0;  // ops performed when the first violation was found
  std::vector<std::string> trace;   // when asked for
};

// "<scenario>@<seed>": the whole identity of a case.
std::string ReproOf(const std::string& scenario, uint64_t seed);
// Parses a repro; false if it is not one.
bool ParseRepro(const std::string& repro, std::string* scenario, uint64_t* seed);

// The world of one case, driven op by op (RapidCheck's stateful tests drive it
// with generated ops; RunScript with a script's). Violations stop it: ops
// after the first are ignored.
class SimWorld {
 public:
  // `setup`: the scenario (a catalog name: its targets), the seed and the
  // setup ops (disk model, drift); its other ops are not applied.
  explicit SimWorld(const CaseScript& setup, bool keep_trace = false);
  ~SimWorld();
  SimWorld(const SimWorld&) = delete;
  SimWorld& operator=(const SimWorld&) = delete;

  // The engine's first start on an empty state directory.
  bool Start();
  void Apply(const Op& op);
  bool up() const;  // the engine is running (not crashed and not yet restarted)
  const CaseResult& result() const;
  // Restarts a crashed engine once more (every crash is checked), then
  // returns the result; the world is done.
  CaseResult Finish();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

CaseResult RunScript(const CaseScript& script, bool keep_trace = false);
// The planned case: RunScript(PlanCase(scenario, seed)).
CaseResult RunCase(const Scenario& scenario, uint64_t seed, bool keep_trace = false);

}  // namespace crashdrill::scenarios

// Harness throughput (issue 11; DESIGN §11): how fast sim mode runs the nightly
// default scenario, `mixed`, on one core (one thread, as the chaos runner does).
//   BM_ChaosMixed  each iteration runs the same kCases cases, the first cases of
//       the nightly run (`crashdrill chaos` with seed 1: CaseSeed(1, "mixed", i)),
//       so every iteration, repetition and machine measures the same work. The
//       time is the wall time of RunCase alone (manual time), per iteration:
//       kCases cases. Three repetitions, with min and max beside the median.
// Targets, reported as ratios (>= 1 meets the target), never asserted:
//   sim_to_wall        simulated time the cases covered over their wall time, >= 100x
//   cycles_per_min     crash-and-recover cycles (CaseResult.crashes) per wall minute, >= 1,000
// Where the wall time goes: share_<phase> of the cases' wall time for each
// phase the case reports (workload, crash, recovery, checks); share_other is
// what no phase holds (building the case: disk, exchange, market; its result).
// Other jobs share these 2-core VMs: on_cpu is the thread's CPU time over the
// wall time (1 = it was never descheduled), and sim_to_cpu and
// cycles_per_cpu_min are the same figures against CPU time. A core slowed by a
// job beside it (its hyperthread sibling, the shared cache) lowers those too:
// compare the min and max across repetitions and runs, not one figure.
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "scenarios/runner/catalog.h"
#include "scenarios/runner/chaos_run.h"
#include "scenarios/runner/sim_case.h"
#include "tests/bench/bench_support.h"

namespace crashdrill::bench {
namespace {

using scenarios::CaseResult;
using scenarios::Scenario;

constexpr uint64_t kRunSeed = 1;  // the nightly run's default seed
constexpr uint64_t kCases = 16;   // per iteration: about 4-5 s of cases on these VMs
constexpr double kSimToWallTarget = 100;
constexpr double kCyclesPerMinTarget = 1'000;

// The phases sim_case.cc attributes wall time to; reported even when a case
// spent nothing in one, so every run prints the same counters.
constexpr const char* kPhases[] = {"workload", "crash", "recovery", "checks"};

// CPU time of the calling thread, in ms.
double ThreadCpuMs() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

struct Totals {
  uint64_t cases = 0;
  uint64_t crashes = 0;
  uint64_t recoveries = 0;
  uint64_t violations = 0;
  double wall_ms = 0;
  double cpu_ms = 0;  // of this thread
  double sim_ms = 0;
  std::map<std::string, double> phase_ms;
  Samples case_wall_ms;
  Samples case_sim_to_wall;

  void Add(const CaseResult& result, double wall_ms_of_case, double cpu_ms_of_case) {
    ++cases;
    crashes += result.crashes;
    recoveries += result.recoveries;
    violations += result.violations.size();
    wall_ms += wall_ms_of_case;
    cpu_ms += cpu_ms_of_case;
    sim_ms += result.sim_ms;
    for (const auto& [phase, ms] : result.cpu_ms) phase_ms[phase] += ms;
    case_wall_ms.values.push_back(wall_ms_of_case);
    case_sim_to_wall.values.push_back(result.sim_ms / wall_ms_of_case);
  }
};

void Report(benchmark::State& state, Totals& t) {
  const double wall_s = t.wall_ms / 1e3;
  const double sim_to_wall = t.sim_ms / t.wall_ms;
  const double cycles_per_min = static_cast<double>(t.crashes) / wall_s * 60;
  // Rates: divided by the manual time, the cases' wall time.
  state.counters["cases_per_s"] =
      benchmark::Counter(static_cast<double>(t.cases), benchmark::Counter::kIsRate);
  state.counters["crashes_per_s"] =
      benchmark::Counter(static_cast<double>(t.crashes), benchmark::Counter::kIsRate);
  state.counters["cycles_per_min"] = cycles_per_min;
  state.counters["cycles_per_min_vs_target"] = cycles_per_min / kCyclesPerMinTarget;
  state.counters["sim_to_wall"] = sim_to_wall;
  state.counters["sim_to_wall_vs_target"] = sim_to_wall / kSimToWallTarget;
  // The worst case of the set (the least simulated time per wall second).
  state.counters["sim_to_wall_case_min"] = t.case_sim_to_wall.Min();
  state.counters["on_cpu"] = t.cpu_ms / t.wall_ms;
  state.counters["sim_to_cpu"] = t.sim_ms / t.cpu_ms;
  state.counters["cycles_per_cpu_min"] = static_cast<double>(t.crashes) / (t.cpu_ms / 6e4);
  const double cases = static_cast<double>(t.cases);
  state.counters["crashes_per_case"] = static_cast<double>(t.crashes) / cases;
  state.counters["recoveries_per_case"] = static_cast<double>(t.recoveries) / cases;
  state.counters["sim_ms_per_case"] = t.sim_ms / cases;
  state.counters["case_ms_p50"] = t.case_wall_ms.Percentile(0.5);
  state.counters["case_ms_max"] = t.case_wall_ms.Max();
  double phased_ms = 0;
  for (const char* phase : kPhases) t.phase_ms.try_emplace(phase, 0.0);
  for (const auto& [phase, ms] : t.phase_ms) {
    state.counters["share_" + phase] = ms / t.wall_ms;
    phased_ms += ms;
  }
  state.counters["share_other"] = std::max(0.0, t.wall_ms - phased_ms) / t.wall_ms;
  // A violation ends its case early: the figures then cover less work.
  state.counters["violations"] = static_cast<double>(t.violations);
  if (t.violations != 0) state.SetLabel("violations: some cases ended early");
}

void BM_ChaosMixed(benchmark::State& state) {
  const Scenario* scenario = scenarios::FindScenario("mixed");
  if (scenario == nullptr) {
    state.SkipWithError("no scenario \"mixed\" in the catalog");
    return;
  }
  std::vector<uint64_t> seeds;
  for (uint64_t i = 0; i < kCases; ++i) seeds.push_back(scenarios::CaseSeed(kRunSeed, "mixed", i));
  Totals totals;
  for (auto _ : state) {
    double iteration_ms = 0;
    for (const uint64_t seed : seeds) {
      const double cpu_start_ms = ThreadCpuMs();
      const auto start = std::chrono::steady_clock::now();
      CaseResult result = scenarios::RunCase(*scenario, seed);
      const double wall_ms = SecondsSince(start) * 1e3;
      const double cpu_ms = ThreadCpuMs() - cpu_start_ms;
      benchmark::DoNotOptimize(result);
      iteration_ms += wall_ms;
      totals.Add(result, wall_ms, cpu_ms);
    }
    state.SetIterationTime(iteration_ms / 1e3);
  }
  Report(state, totals);
}
BENCHMARK(BM_ChaosMixed)
    ->Iterations(1)
    ->Repetitions(3)
    ->Apply(AddMinMax)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace crashdrill::bench

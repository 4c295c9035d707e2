// The drill on this machine: wall time of one step of each fault kind of the
// short plan (`crashdrill drill --plan short --step N`, real processes: the
// exchange, the engine, recover, crashfs for a power loss) and its RTO, the
// wall time of `crashdrill recover --venue` from restart to reconciled.
// The floor measured in the same run is what any restart pays before it does
// anything: spawning the crashdrill binary and waiting for it to exit
// (`crashdrill drill --list-plans`). RTO / floor says how much of the RTO is
// recovery rather than process start.
#include <benchmark/benchmark.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "faults/process_control.h"
#include "tests/bench/bench_support.h"

namespace crashdrill::bench {
namespace {

// Runs crashdrill with `args`, output to /dev/null; its exit code.
int RunCrashdrill(const std::vector<std::string>& args) {
  faults::ChildSpec spec;
  spec.argv = {CRASHDRILL_BINARY};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.stdout_path = "/dev/null";
  spec.stderr_path = "/dev/null";
  auto child = faults::ChildProcess::Spawn(spec);
  if (!child.ok()) return -1;
  system::SystemClock clock;
  auto code = child->Wait(clock, 600 * system::kNanosPerSecond);
  return code.ok() ? *code : -1;
}

double ProcessStartFloorMs() {
  Samples floor;
  for (int i = 0; i < 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    if (RunCrashdrill({"drill", "--list-plans"}) != 0) return 0;
    floor.values.push_back(SecondsSince(start) * 1e3);
  }
  return floor.Percentile(0.5);
}

void BM_DrillStep(benchmark::State& state, int step) {
  const std::string dir = BenchDir("drill");
  if (RefuseVolatileFs(state, dir)) return;
  const double floor_ms = ProcessStartFloorMs();
  Samples wall_ms, rto_ms;
  std::string fault;
  for (auto _ : state) {
    const std::string out = dir + "/out";
    const auto start = std::chrono::steady_clock::now();
    const int code = RunCrashdrill({"drill", "--plan", "short", "--step", std::to_string(step),
                                    "--out", out, "--state-dir", dir + "/state"});
    wall_ms.values.push_back(SecondsSince(start) * 1e3);
    std::ifstream in(out + "/result.json");
    const auto result = nlohmann::json::parse(in, nullptr, false);
    if (code != 0 || result.is_discarded()) {
      state.SkipWithError(
          ("the drill step failed (exit " + std::to_string(code) + "); see " + out).c_str());
      return;
    }
    const auto& s = result["drill"]["steps"][0];
    fault = s["fault"].get<std::string>();
    rto_ms.values.push_back(s["rto_ms"].get<double>());
  }
  state.SetLabel(fault);
  state.counters["step_wall_ms_p50"] = wall_ms.Percentile(0.5);
  state.counters["rto_ms_p50"] = rto_ms.Percentile(0.5);
  state.counters["rto_ms_max"] = rto_ms.Max();
  state.counters["process_start_floor_ms"] = floor_ms;
  state.counters["rto_over_floor"] = floor_ms > 0 ? rto_ms.Percentile(0.5) / floor_ms : 0;
}

BENCHMARK_CAPTURE(BM_DrillStep, kill_in_wal_commit, 1)
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DrillStep, kill_in_snapshot, 2)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DrillStep, enospc_seam, 3)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DrillStep, fdatasync_eio_preload, 4)
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DrillStep, clock_behind, 5)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DrillStep, partition_in_recovery, 6)
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DrillStep, power_loss, 7)->Iterations(5)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace crashdrill::bench

// How long `crashdrill report` takes on a long history (issue 13): 100
// nightly results of 20 scenarios each (600 RTO, strategy RPO and critical RPO
// samples per scenario, about what 200 cases of `mixed` record), written as
// result files; each iteration reports on the newest with the other 99 as
// --history, writing HTML, Markdown, JUnit and OpenMetrics.
//   BM_ReportHundredNights  wall time per report (manual time: the reports alone)
// Floor, measured in the same run on the same files: reading and parsing
// them as JSON (ReadJsonFile), which any report must do.
//   over_parse_floor   report time over the floor (how much the model, the
//                      history and the writers add to reading the input)
//   html_kib           size of the HTML file
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "reports/report_request.h"
#include "reports/result_files.h"
#include "reports/result_model.h"
#include "tests/bench/bench_support.h"

namespace crashdrill::bench {
namespace {

constexpr int kNights = 100;
constexpr int kScenarios = 20;
constexpr int kSamples = 600;

reports::ResultRecord Night(int n) {
  reports::ResultRecord night;
  night.provenance = {
      .commit = "c" + std::to_string(n),
      .build_type = "RelWithDebInfo",
      .compiler = "g++ 12.2.0",
      .machine = "Linux x86_64",
      .seed = static_cast<uint64_t>(n + 1),
      .configuration = {{"cases_per_scenario", 200}, {"minutes", 0.0}},
      .started_at = fmt::format("2026-{:02}-{:02}T02:00:00Z", 1 + n / 28, 1 + n % 28),
      .wall_seconds = 3600};
  for (int i = 0; i < kScenarios; ++i) {
    reports::ScenarioRecord s{.name = fmt::format("scenario-{:02}", i), .mode = "sim"};
    s.cases = 200;
    s.crashes = kSamples;
    s.rto.target_ms = 5000;
    s.rpo_strategy.target_ms = 1000;
    for (int k = 0; k < kSamples; ++k) {
      s.rto.values_ms.push_back(20.0 + (k * 7919 + n * 31 + i) % 1500 / 10.0);
      s.rpo_strategy.values_ms.push_back((k * 104729 + n) % 4000 / 10.0);
      s.rpo_critical.values_ms.push_back(0);
    }
    for (reports::Samples* samples : {&s.rto, &s.rpo_strategy, &s.rpo_critical}) {
      std::sort(samples->values_ms.begin(), samples->values_ms.end());
    }
    s.recovered_from = {{"l1", 300}, {"l2", 200},   {"l3", 90},
                        {"l4", 0},   {"backup", 0}, {"venue", 10}};
    s.faults_fired = {{"power_loss", 300}, {"process_crash", 300}, {"disk.no_space", 40}};
    const uint64_t ms = 1'000'000;  // recovery_phase_ns is in ns
    s.recovery_phase_ns = {{"discover", 600 * ms},
                           {"load", 9000 * ms},
                           {"validate", 1200 * ms},
                           {"replay", 30000 * ms},
                           {"reconcile", 6000 * ms}};
    night.scenarios.push_back(std::move(s));
  }
  return night;
}

void BM_ReportHundredNights(benchmark::State& state) {
  const std::string dir = std::filesystem::temp_directory_path() / "crashdrill-report-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/history");
  std::vector<std::string> files;
  for (int n = 0; n < kNights; ++n) {
    files.push_back(fmt::format("{}/history/night-{:03}.json", dir, n));
    if (reports::WriteFileAtomically(files.back(),
                                     reports::ResultFileText(reports::ToJson(Night(n))))) {
      state.SkipWithError("cannot write the result files");
      return;
    }
  }
  // The floor: read and parse every file once.
  const auto floor_start = std::chrono::steady_clock::now();
  for (const std::string& file : files) {
    if (!reports::ReadJsonFile(file).ok()) {
      state.SkipWithError("a result file does not parse");
      return;
    }
  }
  const double floor_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - floor_start).count();

  const reports::ReportRequest request{.results = {files.back()},
                                       .html_path = dir + "/report.html",
                                       .markdown_path = dir + "/summary.md",
                                       .junit_path = dir + "/junit.xml",
                                       .metrics_path = dir + "/metrics.prom",
                                       .history_dir = dir + "/history"};
  double total_s = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const reports::ReportOutcome outcome = reports::MakeReports(request);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (outcome.kind != reports::ReportOutcome::Kind::kDone || outcome.nights != kNights) {
      state.SkipWithError(("the report failed: " + outcome.message).c_str());
      return;
    }
    state.SetIterationTime(s);
    total_s += s;
  }
  const double per_report_s = total_s / static_cast<double>(state.iterations());
  state.counters["seconds_per_report"] = per_report_s;
  state.counters["parse_floor_s"] = floor_s;
  state.counters["over_parse_floor"] = per_report_s / floor_s;
  state.counters["html_kib"] =
      static_cast<double>(std::filesystem::file_size(dir + "/report.html")) / 1024;
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ReportHundredNights)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace crashdrill::bench

// Nights: the results `crashdrill report` is given, grouped into the runs they
// belong to (the shards of one run are merged, DESIGN §10), ordered by when
// each run started, with the figures a trend shows per night and the nights
// where a figure got worse than the nights before it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "reports/checked.h"
#include "reports/result_merge.h"
#include "reports/result_model.h"

namespace crashdrill::reports {

struct Night {
  std::string label;               // the run's start ("2026-11-28 06:17Z"), or its file's name
  std::vector<std::string> paths;  // the files it came from
  ResultRecord result;             // the whole run: shards merged
};

// A night's label: its start ("2026-11-28 06:17Z"), or the file name of a
// result that did not record its start.
std::string NightLabel(const ResultRecord& result, const std::string& path);

// The order of nights: by start time, then by the first file's name (a
// result without a start time sorts before the timed ones).
bool NightBefore(const Night& a, const Night& b);

// The results of `inputs` as nights: the shards of one run (same commit,
// seed, shard count and configuration, shard count > 1) merged, every other
// result a night of its own, ordered by start time (then by file name; a
// result without a start time sorts by file name before the timed ones). A
// run with a shard missing or given twice is refused as MergeShards refuses
// it, naming the file.
Checked<std::vector<Night>> NightsOf(std::vector<ShardResult> inputs);

// The *.json files directly in `dir`, by name; refused when `dir` cannot be
// listed or holds none.
Checked<std::vector<std::string>> ResultFilesIn(const std::string& dir);

// The figures of one night a trend shows. RTO and RPO are the worst
// scenario's p99 (ms); the per-scenario p99s are beside them.
struct NightFigures {
  double rto_p99_ms = 0;
  double rpo_p99_ms = 0;  // strategy state
  uint64_t cases = 0;
  uint64_t crashes = 0;
  uint64_t violations = 0;
  double crashes_per_second = 0;  // crashes over the run's wall time: the harness's throughput
  std::map<std::string, double> scenario_rto_p99_ms;
  std::map<std::string, double> scenario_rpo_p99_ms;
};
NightFigures FiguresOf(const ResultRecord& result);

// A night where a figure got worse than its baseline: the median of the up to
// kBaselineNights nights before it that have the figure (at least
// kMinBaselineNights of them). Worse means: an RTO or RPO p99 above 1.25 x
// the baseline and at least 1 ms above it; violations where the baseline had
// none; crashes per second below 0.8 x the baseline.
struct Regression {
  size_t night = 0;      // index into the nights
  std::string scenario;  // empty for a figure of the whole run
  std::string figure;    // "RTO p99", "RPO p99", "violations", "crashes per second"
  double baseline = 0;
  double value = 0;
};
inline constexpr size_t kBaselineNights = 7;
inline constexpr size_t kMinBaselineNights = 3;
std::vector<Regression> FindRegressions(const std::vector<NightFigures>& nights);

// The nights a report covers: the night it reports on (`current`) and the
// others, oldest first, with each night's figures and every regression.
struct History {
  std::vector<Night> nights;
  size_t current = 0;
  std::vector<NightFigures> figures;  // one per night
  std::vector<Regression> regressions;

  const ResultRecord& night() const { return nights[current].result; }
};
// REQUIRES: current < nights.size().
History HistoryOf(std::vector<Night> nights, size_t current);

// "mixed RTO p99 12.0 ms -> 30.5 ms (+154%, baseline: median of the 7 nights before)".
std::string DescribeRegression(const Regression& regression);

}  // namespace crashdrill::reports

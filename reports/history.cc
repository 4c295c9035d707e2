#include "reports/history.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <tuple>

namespace crashdrill::reports {
namespace {

// What the shards of one run have in common.
std::string RunKey(const Provenance& p) {
  return fmt::format("{}\n{}\n{}\n{}", p.commit, p.seed, p.shard.count, p.configuration.dump());
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// The figure of the nights before `night` that have it, newest last, at most kBaselineNights.
template <typename Get>
std::vector<double> Before(const std::vector<NightFigures>& nights, size_t night, Get get) {
  std::vector<double> values;
  for (size_t i = night; i > 0 && values.size() < kBaselineNights; --i) {
    if (auto value = get(nights[i - 1])) values.push_back(*value);
  }
  return values;
}

std::optional<double> Find(const std::map<std::string, double>& values, const std::string& key) {
  const auto it = values.find(key);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

}  // namespace

std::string NightLabel(const ResultRecord& result, const std::string& path) {
  const std::string& started = result.provenance.started_at;
  if (started.size() >= 16) return started.substr(0, 10) + " " + started.substr(11, 5) + "Z";
  return std::filesystem::path(path).filename().string();
}

bool NightBefore(const Night& a, const Night& b) {
  return std::tie(a.result.provenance.started_at, a.paths.front()) <
         std::tie(b.result.provenance.started_at, b.paths.front());
}

Checked<std::vector<Night>> NightsOf(std::vector<ShardResult> inputs) {
  std::vector<Night> nights;
  std::map<std::string, std::vector<ShardResult>> runs;  // sharded runs by RunKey
  std::vector<std::string> run_order;
  for (ShardResult& input : inputs) {
    if (input.result.provenance.shard.count == 1) {
      nights.push_back({.label = NightLabel(input.result, input.path),
                        .paths = {input.path},
                        .result = std::move(input.result)});
      continue;
    }
    const std::string key = RunKey(input.result.provenance);
    if (!runs.contains(key)) run_order.push_back(key);
    runs[key].push_back(std::move(input));
  }
  for (const std::string& key : run_order) {
    std::vector<ShardResult>& shards = runs[key];
    std::vector<std::string> paths;
    for (const ShardResult& shard : shards) paths.push_back(shard.path);
    Checked<ResultRecord> merged = MergeShards(std::move(shards));
    if (!merged.ok()) return Refusal{merged.error()};
    nights.push_back({.label = NightLabel(*merged, paths.front()),
                      .paths = paths,
                      .result = std::move(merged).value()});
  }
  std::stable_sort(nights.begin(), nights.end(), NightBefore);
  return nights;
}

Checked<std::vector<std::string>> ResultFilesIn(const std::string& dir) {
  std::error_code error;
  std::vector<std::string> paths;
  for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    if (it->path().extension() == ".json" && it->is_regular_file()) {
      paths.push_back(it->path().string());
    }
  }
  if (error)
    return Refusal{fmt::format("--history {}: cannot be listed: {}", dir, error.message())};
  if (paths.empty()) return Refusal{fmt::format("--history {}: holds no *.json result", dir)};
  std::sort(paths.begin(), paths.end());
  return paths;
}

NightFigures FiguresOf(const ResultRecord& result) {
  NightFigures f;
  for (const ScenarioRecord& s : result.scenarios) {
    const double rto = Percentile(s.rto.values_ms, 0.99);
    const double rpo = Percentile(s.rpo_strategy.values_ms, 0.99);
    f.scenario_rto_p99_ms[s.name] = rto;
    f.scenario_rpo_p99_ms[s.name] = rpo;
    f.rto_p99_ms = std::max(f.rto_p99_ms, rto);
    f.rpo_p99_ms = std::max(f.rpo_p99_ms, rpo);
    f.cases += s.cases;
    f.crashes += s.crashes;
    f.violations += s.violations.size();
  }
  const double seconds = result.provenance.wall_seconds;
  f.crashes_per_second = seconds > 0 ? static_cast<double>(f.crashes) / seconds : 0;
  return f;
}

std::vector<Regression> FindRegressions(const std::vector<NightFigures>& nights) {
  std::vector<Regression> found;
  for (size_t n = 0; n < nights.size(); ++n) {
    const NightFigures& night = nights[n];
    const auto check = [&](const std::string& scenario, const std::string& figure, double value,
                           const std::vector<double>& before, bool (*worse)(double, double)) {
      if (before.size() < kMinBaselineNights) return;
      const double baseline = Median(before);
      if (worse(value, baseline)) found.push_back({n, scenario, figure, baseline, value});
    };
    const auto slower = [](double value, double baseline) {
      return value > 1.25 * baseline && value - baseline >= 1.0;
    };
    for (const auto& [figure, of] : {std::pair{"RTO p99", &NightFigures::scenario_rto_p99_ms},
                                     std::pair{"RPO p99", &NightFigures::scenario_rpo_p99_ms}}) {
      for (const auto& [name, value] : night.*of) {
        const std::string& scenario = name;  // a lambda cannot capture a structured binding
        const auto member = of;
        check(scenario, figure, value,
              Before(nights, n, [&](const NightFigures& f) { return Find(f.*member, scenario); }),
              slower);
      }
    }
    check("", "violations", static_cast<double>(night.violations),
          Before(nights, n,
                 [](const NightFigures& f) {
                   return std::optional<double>(static_cast<double>(f.violations));
                 }),
          [](double value, double baseline) { return value > 0 && baseline == 0; });
    if (night.crashes_per_second > 0) {
      check("", "crashes per second", night.crashes_per_second,
            Before(nights, n,
                   [](const NightFigures& f) {
                     return f.crashes_per_second > 0 ? std::optional(f.crashes_per_second)
                                                     : std::nullopt;
                   }),
            [](double value, double baseline) { return value < 0.8 * baseline; });
    }
  }
  return found;
}

History HistoryOf(std::vector<Night> nights, size_t current) {
  History history{.nights = std::move(nights), .current = current};
  for (const Night& night : history.nights) history.figures.push_back(FiguresOf(night.result));
  history.regressions = FindRegressions(history.figures);
  return history;
}

std::string DescribeRegression(const Regression& r) {
  const std::string what = r.scenario.empty() ? r.figure : r.scenario + " " + r.figure;
  if (r.figure == "violations") {
    return fmt::format("{}: {:.0f}, where the nights before had none", what, r.value);
  }
  const std::string unit = r.figure == "crashes per second" ? "/s" : " ms";
  const std::string change =
      r.baseline > 0 ? fmt::format(" ({:+.0f}%)", (r.value / r.baseline - 1) * 100) : "";
  return fmt::format("{} {:.1f}{} -> {:.1f}{}{}, against the median of the nights before", what,
                     r.baseline, unit, r.value, unit, change);
}

}  // namespace crashdrill::reports

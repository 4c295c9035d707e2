#include "reports/openmetrics.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace crashdrill::reports {
namespace {

// The quantiles of the RTO and RPO summaries, with their label values.
constexpr std::array<std::pair<double, const char*>, 3> kQuantiles = {
    {{0.50, "0.5"}, {0.95, "0.95"}, {0.99, "0.99"}}};

using Labels = std::vector<std::pair<std::string, std::string>>;

// A label value as OpenMetrics (and the Prometheus text format) quotes it.
std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Integers as integers; a double in its shortest form that reads back as the
// same double ("0.01225", "1e-05"); NaN and the infinities as OpenMetrics
// spells them.
std::string Number(uint64_t value) { return fmt::format("{}", value); }
std::string Number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

double Seconds(double ms) { return ms / 1000; }

// Opens family `name`. HELP texts hold no backslash or double quote: the
// Prometheus text format (node_exporter) and OpenMetrics escape them differently.
void Family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  if (name.ends_with("_seconds")) out += fmt::format("# UNIT {} seconds\n", name);
}

void Sample(std::string& out, std::string_view name, const Labels& labels, std::string_view value) {
  out += name;
  for (size_t i = 0; i < labels.size(); ++i) {
    out += fmt::format("{}{}=\"{}\"", i == 0 ? "{" : ",", labels[i].first,
                       EscapeLabelValue(labels[i].second));
  }
  out += fmt::format("{} {}\n", labels.empty() ? "" : "}", value);
}

// "I/N" for shard I of a run split in N; otherwise how many shards the
// result merges (1 for a run that was not split).
std::string ShardsLabel(const Provenance& p) {
  if (p.shard.count > 1) return fmt::format("{}/{}", p.shard.index, p.shard.count);
  const size_t merged = p.shard_wall_seconds.size();
  return Number(static_cast<uint64_t>(merged == 0 ? 1 : merged));
}

// A gauge rather than an OpenMetrics info family: the Prometheus text parser
// node_exporter's textfile collector uses knows no "info" type.
void WriteRun(std::string& out, const Provenance& p) {
  Family(out, "crashdrill_run_info", "gauge",
         "The run the result is of: commit, build type, seed and shards (I/N for one shard "
         "of a run, else how many shards it merges); always 1");
  Sample(out, "crashdrill_run_info",
         {{"commit", p.commit},
          {"build_type", p.build_type},
          {"seed", Number(p.seed)},
          {"shards", ShardsLabel(p)}},
         "1");
  if (const std::optional<int64_t> started = UtcSeconds(p.started_at)) {
    Family(out, "crashdrill_run_start_timestamp_seconds", "gauge",
           "When the run started, in seconds since the Unix epoch");
    Sample(out, "crashdrill_run_start_timestamp_seconds", {}, fmt::format("{}", *started));
  }
  Family(out, "crashdrill_run_wall_seconds", "gauge", "Wall time the run took");
  Sample(out, "crashdrill_run_wall_seconds", {}, Number(p.wall_seconds));
}

// One sample per scenario of a count. A gauge: it is this run's value, and
// does not grow from one run to the next as a counter would.
void WriteCount(std::string& out, const ResultRecord& result, std::string_view name,
                uint64_t ScenarioRecord::*count, std::string_view help) {
  Family(out, name, "gauge", help);
  for (const ScenarioRecord& s : result.scenarios) {
    Sample(out, name, {{"scenario", s.name}}, Number(s.*count));
  }
}

void WriteViolations(std::string& out, const ResultRecord& result) {
  Family(out, "crashdrill_violations", "gauge",
         "Violations of a property P1..P9 the scenario's cases found in this run; 0 when it held");
  for (const ScenarioRecord& s : result.scenarios) {
    std::map<std::string, uint64_t> by_property;
    for (const auto& [property, title] : kProperties) by_property[property] = 0;
    for (const ViolationRecord& v : s.violations) ++by_property[v.property];
    for (const auto& [property, n] : by_property) {
      Sample(out, "crashdrill_violations", {{"scenario", s.name}, {"property", property}},
             Number(n));
    }
  }
}

// The quantiles, _count and _sum of one summary for one label set, in seconds.
void SummarySamples(std::string& out, const std::string& name, const Labels& labels,
                    const Samples& samples) {
  for (const auto& [quantile, label] : kQuantiles) {
    Labels with_quantile = labels;
    with_quantile.emplace_back("quantile", label);
    const double value = samples.values_ms.empty()
                             ? std::numeric_limits<double>::quiet_NaN()
                             : Seconds(Percentile(samples.values_ms, quantile));
    Sample(out, name, with_quantile, Number(value));
  }
  const double sum_ms = std::accumulate(samples.values_ms.begin(), samples.values_ms.end(), 0.0);
  Sample(out, name + "_count", labels, Number(static_cast<uint64_t>(samples.values_ms.size())));
  Sample(out, name + "_sum", labels, Number(Seconds(sum_ms)));
}

void WriteRecoveryTimes(std::string& out, const ResultRecord& result) {
  Family(out, "crashdrill_rto_seconds", "summary",
         "Recovery time of the scenario's recoveries in this run (RTO)");
  for (const ScenarioRecord& s : result.scenarios) {
    SummarySamples(out, "crashdrill_rto_seconds", {{"scenario", s.name}}, s.rto);
  }
  Family(out, "crashdrill_rto_target_seconds", "gauge", "The RTO the scenario must stay within");
  for (const ScenarioRecord& s : result.scenarios) {
    Sample(out, "crashdrill_rto_target_seconds", {{"scenario", s.name}},
           Number(Seconds(static_cast<double>(s.rto.target_ms))));
  }
}

void WriteRecoveryPoints(std::string& out, const ResultRecord& result) {
  Family(out, "crashdrill_rpo_seconds", "summary",
         "Work lost by the scenario's recoveries in this run (RPO), for strategy state and "
         "for critical state");
  for (const ScenarioRecord& s : result.scenarios) {
    SummarySamples(out, "crashdrill_rpo_seconds", {{"scenario", s.name}, {"class", "strategy"}},
                   s.rpo_strategy);
    SummarySamples(out, "crashdrill_rpo_seconds", {{"scenario", s.name}, {"class", "critical"}},
                   s.rpo_critical);
  }
  Family(out, "crashdrill_rpo_target_seconds", "gauge", "The RPO the scenario must stay within");
  for (const ScenarioRecord& s : result.scenarios) {
    Sample(out, "crashdrill_rpo_target_seconds", {{"scenario", s.name}, {"class", "strategy"}},
           Number(Seconds(static_cast<double>(s.rpo_strategy.target_ms))));
  }
}

// One sample per scenario and key of a map of counts, keys in order.
void WriteByKey(std::string& out, const ResultRecord& result, std::string_view name,
                std::map<std::string, uint64_t> ScenarioRecord::*counts, const char* key,
                std::string_view help) {
  Family(out, name, "gauge", help);
  for (const ScenarioRecord& s : result.scenarios) {
    for (const auto& [value, n] : s.*counts) {
      Sample(out, name, {{"scenario", s.name}, {key, value}}, Number(n));
    }
  }
}

}  // namespace

std::string OpenMetricsText(const ResultRecord& result) {
  std::string out;
  WriteRun(out, result.provenance);
  WriteCount(out, result, "crashdrill_cases", &ScenarioRecord::cases,
             "Cases the scenario ran in this run (a value per run, not a counter)");
  WriteCount(out, result, "crashdrill_crashes", &ScenarioRecord::crashes,
             "Crashes injected into the scenario's cases in this run (a value per run, not a "
             "counter)");
  WriteViolations(out, result);
  WriteRecoveryTimes(out, result);
  WriteRecoveryPoints(out, result);
  WriteByKey(out, result, "crashdrill_recoveries", &ScenarioRecord::recovered_from, "source",
             "Recoveries of the scenario in this run by where they recovered from (l1..l4, "
             "backup, venue)");
  WriteByKey(out, result, "crashdrill_faults_fired", &ScenarioRecord::faults_fired, "kind",
             "Faults injected into the scenario's cases in this run, by kind");
  out += "# EOF\n";
  return out;
}

}  // namespace crashdrill::reports

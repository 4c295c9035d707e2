// The chaos result model: crashdrill.result/1 (DESIGN §9) as types. Beside
// the fields of §9 a result keeps what an exact merge of shard results needs:
// every RTO/RPO sample (sorted), the case index of every violation and the
// plain counts. ToJson is the one writer of result.json; ResultFromJson reads
// one back and refuses, naming the field, anything ToJson would not have
// written (a missing or mistyped field, a percentile its samples disagree
// with, a newer schema).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reports/checked.h"
#include "reports/drill_record.h"

namespace crashdrill::reports {

inline constexpr const char* kResultSchema = "crashdrill.result/1";
inline constexpr const char* kResultSchemaPrefix = "crashdrill.result/";
inline constexpr int kResultSchemaVersion = 1;

struct ShardId {
  uint64_t index = 0;
  uint64_t count = 1;  // 1: the whole run

  bool operator==(const ShardId&) const = default;
};

struct Provenance {
  std::string commit;
  std::string build_type;
  std::string compiler;
  std::string machine;
  uint64_t seed = 0;
  ShardId shard;
  // The runner's options and its disk cost model: reports/ compares them and
  // copies them, and reads nothing inside them.
  nlohmann::json configuration = nlohmann::json::object();
  nlohmann::json disk_cost_model = nlohmann::json::object();
  // Wall-time fields: they differ between two runs of the same command.
  // started_at: when the run began, RFC 3339 UTC ("2026-11-28T06:17:07Z");
  // empty in results written before it was recorded (optional on read).
  std::string started_at;
  double wall_seconds = 0;
  std::vector<double> shard_wall_seconds;  // a merged result: each shard's, in shard order
};

// RTO or RPO samples of one scenario, in milliseconds, with their target.
struct Samples {
  std::vector<double> values_ms;  // sorted ascending
  int64_t target_ms = 0;
};

struct ViolationRecord {
  std::string property;  // "P1".."P9"
  std::string repro;     // what `crashdrill replay` takes
  std::string detail;
  uint64_t case_index = 0;  // the case of its scenario that found it (orders a merge)

  bool operator==(const ViolationRecord&) const = default;
};

struct ScenarioRecord {
  std::string name;
  std::string mode;  // "sim" or "process"
  uint64_t cases = 0;
  uint64_t crashes = 0;
  uint64_t acknowledged = 0;
  std::vector<ViolationRecord> violations;  // by case index; within a case, as found
  Samples rto;
  Samples rpo_strategy;  // §9's rpo_ms
  Samples rpo_critical;
  std::map<std::string, uint64_t> recovered_from;  // l1, l2, l3, l4, backup, venue
  std::map<std::string, uint64_t> faults_fired;    // by kind
  // Time per recovery phase (kRecoveryPhases) summed over the scenario's
  // recoveries, in nanoseconds on the clock RTO is measured on (simulated in
  // sim mode): integers, so shards add up to the unsharded run's sums exactly.
  // Empty in results written before it was recorded (optional on read).
  std::map<std::string, uint64_t> recovery_phase_ns;
  double recovery_cpu_ms = 0;  // wall time
};

// The properties of DESIGN §8, in order, with their short names.
inline constexpr std::array<std::pair<const char*, const char*>, 9> kProperties = {{
    {"P1", "agreement with the venue"},
    {"P2", "no lost acknowledged write"},
    {"P3", "prefix consistency"},
    {"P4", "no duplicate or orphan orders"},
    {"P5", "corruption is never loaded"},
    {"P6", "clock independence"},
    {"P7", "RPO within target"},
    {"P8", "RTO within target"},
    {"P9", "liveness"},
}};
// Seconds since the Unix epoch of "YYYY-MM-DDTHH:MM:SSZ" (the form of
// provenance.started_at), or nullopt when `text` is not that shape or not a
// time that exists (a 30th of February, a 61st second).
std::optional<int64_t> UtcSeconds(std::string_view text);

// The short name of property `id` ("P2"), or "" for an id not in kProperties.
std::string PropertyTitle(const std::string& id);

// The phases of a recovery, in order (system/recovery/recovery_report.h).
inline constexpr std::array<const char*, 5> kRecoveryPhases = {"discover", "load", "validate",
                                                               "replay", "reconcile"};

struct ResultRecord {
  Provenance provenance;
  std::vector<ScenarioRecord> scenarios;
  // A drill's result (`crashdrill drill`): the whole drill (shard 0/1, never
  // merged) with one scenario, "drill" in mode "process", whose samples the
  // runner fills; its RTO samples are one per step that recovered.
  std::optional<DrillRecord> drill;

  uint64_t violations() const;
};

// Nearest-rank percentile (0 < p <= 1) of sorted values; 0 when there are none.
double Percentile(const std::vector<double>& sorted_ms, double p);

// {p50, p95, p99, max, samples (the count), target} of `samples`.
nlohmann::json DistributionJson(const Samples& samples);

// result.json. REQUIRES: every Samples::values_ms is sorted.
nlohmann::json ToJson(const ResultRecord& result);

// The result `document` holds, or why it is not one this build wrote, naming
// the field ("field 'scenarios[0].samples_ms.rto' is missing"). A result
// with a "drill" must also be what ResultRecord::drill says: shard 0/1, one
// scenario "drill" in mode "process", an RTO sample per step that recovered.
Checked<ResultRecord> ResultFromJson(const nlohmann::json& document);

// `result` without its wall-time fields (provenance.started_at, wall_seconds
// and shard_wall_seconds, every scenario's recovery_cpu_ms): what two runs of the
// same command, or a run and the merge of its shards, have in common.
nlohmann::json WithoutWallTime(nlohmann::json result);

}  // namespace crashdrill::reports

#include "reports/result_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <optional>

#include "reports/field_reader.h"

namespace crashdrill::reports {
namespace {

using nlohmann::json;

// "crashdrill.result/1" and nothing else: an older or a newer version, or
// another kind of file, each with its own message.
void CheckSchema(FieldReader& reader, const json& result) {
  std::string schema;
  reader.String(result, "", "schema", &schema);
  if (reader.failed() || schema == kResultSchema) return;
  if (!schema.starts_with(kResultSchemaPrefix)) {
    return reader.Fail(fmt::format("field 'schema' is '{}': not a crashdrill result", schema));
  }
  int version = 0;
  try {
    version = std::stoi(schema.substr(std::string(kResultSchemaPrefix).size()));
  } catch (const std::exception&) {
  }
  reader.Fail(fmt::format("field 'schema' is '{}': {}; this build reads {} only", schema,
                          version > kResultSchemaVersion
                              ? "a newer version (use a newer crashdrill)"
                              : "not a version this build knows",
                          kResultSchema));
}

void ReadProvenance(FieldReader& reader, const json& result, Provenance* out) {
  const json* p = reader.Object(result, "", "provenance");
  if (p == nullptr) return;
  const std::string path = "provenance";
  reader.String(*p, path, "commit", &out->commit);
  reader.String(*p, path, "build_type", &out->build_type);
  reader.String(*p, path, "compiler", &out->compiler);
  reader.String(*p, path, "machine", &out->machine);
  reader.Unsigned(*p, path, "seed", &out->seed);
  if (const json* shard = reader.Object(*p, path, "shard")) {
    reader.Unsigned(*shard, "provenance.shard", "index", &out->shard.index);
    reader.Unsigned(*shard, "provenance.shard", "count", &out->shard.count);
    if (!reader.failed() && (out->shard.count == 0 || out->shard.index >= out->shard.count)) {
      reader.Fail(fmt::format("field 'provenance.shard' is {}/{}: not I/N with 0 <= I < N",
                              out->shard.index, out->shard.count));
    }
  }
  if (const json* c = reader.Object(*p, path, "configuration")) out->configuration = *c;
  if (const json* d = reader.Object(*p, path, "disk_cost_model")) out->disk_cost_model = *d;
  if (p->contains("started_at")) {
    reader.String(*p, path, "started_at", &out->started_at);
    if (!reader.failed() && !UtcSeconds(out->started_at)) {
      reader.Fail(
          fmt::format("field 'provenance.started_at' is '{}': not a UTC time "
                      "YYYY-MM-DDTHH:MM:SSZ that exists",
                      out->started_at));
    }
  }
  reader.Number(*p, path, "wall_seconds", &out->wall_seconds);
  if (p->contains("shard_wall_seconds")) {
    reader.Numbers(*p, path, "shard_wall_seconds", &out->shard_wall_seconds);
  }
}

void ReadViolations(FieldReader& reader, const json& scenario, const std::string& path,
                    std::vector<ViolationRecord>* out) {
  const json* violations = reader.Array(scenario, path, "violations");
  if (violations == nullptr) return;
  out->resize(violations->size());
  for (size_t i = 0; i < violations->size() && !reader.failed(); ++i) {
    const std::string at = Element(Member(path, "violations"), i);
    const json& v = (*violations)[i];
    if (!v.is_object()) return reader.Fail(fmt::format("field '{}' is not an object", at));
    ViolationRecord& record = (*out)[i];
    reader.String(v, at, "property", &record.property);
    reader.String(v, at, "repro", &record.repro);
    reader.String(v, at, "detail", &record.detail);
    reader.Unsigned(v, at, "case", &record.case_index);
    if (i > 0 && !reader.failed() && record.case_index < (*out)[i - 1].case_index) {
      reader.Fail(fmt::format("field '{}.case' is {}, before the case of the violation above it",
                              at, record.case_index));
    }
  }
}

// The samples of `key` (samples_ms.<key>) with the target of the distribution
// at `distribution`; the distribution written must be the one they give.
void ReadSamples(FieldReader& reader, const json& scenario, const std::string& path,
                 const std::string& key, const std::vector<std::string>& distributions,
                 Samples* out) {
  const json* samples = reader.Object(scenario, path, "samples_ms");
  if (samples == nullptr) return;
  const std::string samples_path = Member(path, "samples_ms");
  reader.Numbers(*samples, samples_path, key, &out->values_ms);
  if (!reader.failed() && !std::is_sorted(out->values_ms.begin(), out->values_ms.end())) {
    return reader.Fail(fmt::format("field '{}' is not sorted", Member(samples_path, key)));
  }
  for (size_t i = 0; i < out->values_ms.size() && !reader.failed(); ++i) {
    if (!(out->values_ms[i] >= 0 && out->values_ms[i] <= kMaxMs)) {
      return reader.Fail(fmt::format("field '{}' is {}: out of range (0 to {} ms)",
                                     Element(Member(samples_path, key), i), out->values_ms[i],
                                     kMaxMs));
    }
  }
  for (const std::string& where : distributions) {
    // "rpo_ms_by_class.critical": walk to the object.
    const json* distribution = &scenario;
    std::string at = path;
    size_t begin = 0;
    while (distribution != nullptr && begin <= where.size()) {
      const size_t dot = std::min(where.find('.', begin), where.size());
      distribution = reader.Object(*distribution, at, where.substr(begin, dot - begin));
      at = Member(at, where.substr(begin, dot - begin));
      begin = dot + 1;
    }
    if (distribution == nullptr) return;
    reader.Integer(*distribution, at, "target", &out->target_ms);
    if (reader.failed()) return;
    const json derived = DistributionJson(*out);
    for (const auto& [name, value] : derived.items()) {
      const json* written = reader.Find(*distribution, at, name);
      if (written == nullptr) return;
      if (*written != value) {
        return reader.Fail(fmt::format("field '{}' is {}, but {} gives {}", Member(at, name),
                                       written->dump(), Member(samples_path, key), value.dump()));
      }
    }
  }
}

void ReadScenario(FieldReader& reader, const json& s, const std::string& path,
                  ScenarioRecord* out) {
  if (!s.is_object()) return reader.Fail(fmt::format("field '{}' is not an object", path));
  reader.String(s, path, "name", &out->name);
  reader.String(s, path, "mode", &out->mode);
  reader.Unsigned(s, path, "cases", &out->cases);
  reader.Unsigned(s, path, "crashes", &out->crashes);
  reader.Unsigned(s, path, "acknowledged", &out->acknowledged);
  ReadViolations(reader, s, path, &out->violations);
  ReadSamples(reader, s, path, "rto", {"rto_ms"}, &out->rto);
  ReadSamples(reader, s, path, "rpo_strategy", {"rpo_ms", "rpo_ms_by_class.strategy"},
              &out->rpo_strategy);
  ReadSamples(reader, s, path, "rpo_critical", {"rpo_ms_by_class.critical"}, &out->rpo_critical);
  reader.Counts(s, path, "recovered_from", &out->recovered_from);
  reader.Counts(s, path, "faults_fired", &out->faults_fired);
  if (s.contains("recovery_phase_ns")) {
    const std::string at = Member(path, "recovery_phase_ns");
    if (const json* phases = reader.Object(s, path, "recovery_phase_ns")) {
      for (const char* phase : kRecoveryPhases) {
        reader.Unsigned(*phases, at, phase, &out->recovery_phase_ns[phase]);
      }
    }
  }
  reader.Number(s, path, "recovery_cpu_ms", &out->recovery_cpu_ms);
}

// What a drill's result is beside its drill record (ResultRecord::drill): the
// cheap checks that are right whatever the runner measures.
std::optional<std::string> CheckDrillResult(const ResultRecord& result) {
  const ShardId shard = result.provenance.shard;
  if (shard.count != 1) {
    return fmt::format(
        "field 'provenance.shard' is {}/{}, but a drill result is the whole drill (0/1): a drill "
        "is not sharded",
        shard.index, shard.count);
  }
  if (result.scenarios.size() != 1 || result.scenarios[0].name != "drill" ||
      result.scenarios[0].mode != "process") {
    return fmt::format(
        "field 'scenarios' lists {} scenario(s){}, but a drill result has one, 'drill' in mode "
        "'process'",
        result.scenarios.size(),
        result.scenarios.empty() ? ""
                                 : fmt::format(", the first '{}' in mode '{}'",
                                               result.scenarios[0].name, result.scenarios[0].mode));
  }
  const size_t recovered =
      std::count_if(result.drill->steps.begin(), result.drill->steps.end(),
                    [](const DrillStep& s) { return !s.recovered_from.empty(); });
  const size_t samples = result.scenarios[0].rto.values_ms.size();
  if (samples != recovered) {
    return fmt::format(
        "field 'scenarios[0].samples_ms.rto' holds {} samples, but drill.steps lists {} steps "
        "that recovered (one RTO sample each)",
        samples, recovered);
  }
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> UtcSeconds(std::string_view text) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != kShape.size()) return std::nullopt;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool digit = std::isdigit(static_cast<unsigned char>(text[i]));
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return std::nullopt;
  }
  const auto field = [&](size_t at, size_t size) {
    return std::stoi(std::string(text.substr(at, size)));
  };
  std::tm parsed{};
  parsed.tm_year = field(0, 4) - 1900;
  parsed.tm_mon = field(5, 2) - 1;
  parsed.tm_mday = field(8, 2);
  parsed.tm_hour = field(11, 2);
  parsed.tm_min = field(14, 2);
  parsed.tm_sec = field(17, 2);
  std::tm normalised = parsed;
  const time_t seconds = timegm(&normalised);
  // timegm carries a field out of range into the next; a text that needed it is not a time.
  if (normalised.tm_year != parsed.tm_year || normalised.tm_mon != parsed.tm_mon ||
      normalised.tm_mday != parsed.tm_mday || normalised.tm_hour != parsed.tm_hour ||
      normalised.tm_min != parsed.tm_min || normalised.tm_sec != parsed.tm_sec) {
    return std::nullopt;
  }
  return static_cast<int64_t>(seconds);
}

std::string PropertyTitle(const std::string& id) {
  for (const auto& [property, title] : kProperties) {
    if (id == property) return title;
  }
  return "";
}

uint64_t ResultRecord::violations() const {
  uint64_t n = 0;
  for (const ScenarioRecord& s : scenarios) n += s.violations.size();
  return n;
}

double Percentile(const std::vector<double>& sorted_ms, double p) {
  if (sorted_ms.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted_ms.size())));
  return sorted_ms[std::min(sorted_ms.size() - 1, rank == 0 ? 0 : rank - 1)];
}

json DistributionJson(const Samples& samples) {
  return {{"p50", Percentile(samples.values_ms, 0.50)},
          {"p95", Percentile(samples.values_ms, 0.95)},
          {"p99", Percentile(samples.values_ms, 0.99)},
          {"max", samples.values_ms.empty() ? 0.0 : samples.values_ms.back()},
          {"samples", samples.values_ms.size()},
          {"target", samples.target_ms}};
}

json ToJson(const ResultRecord& result) {
  json scenarios = json::array();
  for (const ScenarioRecord& s : result.scenarios) {
    json violations = json::array();
    for (const ViolationRecord& v : s.violations) {
      violations.push_back({{"property", v.property},
                            {"repro", v.repro},
                            {"detail", v.detail},
                            {"case", v.case_index}});
    }
    scenarios.push_back({{"name", s.name},
                         {"mode", s.mode},
                         {"cases", s.cases},
                         {"crashes", s.crashes},
                         {"acknowledged", s.acknowledged},
                         {"violations", violations},
                         {"rto_ms", DistributionJson(s.rto)},
                         {"rpo_ms", DistributionJson(s.rpo_strategy)},
                         {"rpo_ms_by_class",
                          {{"critical", DistributionJson(s.rpo_critical)},
                           {"strategy", DistributionJson(s.rpo_strategy)}}},
                         {"samples_ms",
                          {{"rto", s.rto.values_ms},
                           {"rpo_strategy", s.rpo_strategy.values_ms},
                           {"rpo_critical", s.rpo_critical.values_ms}}},
                         {"recovered_from", json(s.recovered_from)},
                         {"faults_fired", json(s.faults_fired)},
                         {"recovery_cpu_ms", s.recovery_cpu_ms}});
    if (!s.recovery_phase_ns.empty()) {
      scenarios.back()["recovery_phase_ns"] = json(s.recovery_phase_ns);
    }
  }
  const Provenance& p = result.provenance;
  json provenance = {{"commit", p.commit},
                     {"build_type", p.build_type},
                     {"compiler", p.compiler},
                     {"machine", p.machine},
                     {"seed", p.seed},
                     {"shard", {{"index", p.shard.index}, {"count", p.shard.count}}},
                     {"configuration", p.configuration},
                     {"disk_cost_model", p.disk_cost_model},
                     {"wall_seconds", p.wall_seconds}};
  if (!p.started_at.empty()) provenance["started_at"] = p.started_at;
  if (!p.shard_wall_seconds.empty()) provenance["shard_wall_seconds"] = p.shard_wall_seconds;
  json document = {{"schema", kResultSchema},
                   {"provenance", provenance},
                   {"violations", result.violations()},
                   {"scenarios", scenarios}};
  if (result.drill) document["drill"] = DrillToJson(*result.drill);
  return document;
}

Checked<ResultRecord> ResultFromJson(const json& document) {
  if (!document.is_object()) return Refusal{"the result is not a JSON object"};
  FieldReader reader;
  CheckSchema(reader, document);
  if (reader.failed()) return Refusal{reader.error()};
  ResultRecord result;
  ReadProvenance(reader, document, &result.provenance);
  if (const json* scenarios = reader.Array(document, "", "scenarios")) {
    result.scenarios.resize(scenarios->size());
    for (size_t i = 0; i < scenarios->size() && !reader.failed(); ++i) {
      ReadScenario(reader, (*scenarios)[i], Element("scenarios", i), &result.scenarios[i]);
    }
  }
  uint64_t violations = 0;
  reader.Unsigned(document, "", "violations", &violations);
  if (!reader.failed() && violations != result.violations()) {
    reader.Fail(fmt::format("field 'violations' is {}, but the scenarios list {}", violations,
                            result.violations()));
  }
  if (reader.failed()) return Refusal{reader.error()};
  if (document.contains("drill")) {
    Checked<DrillRecord> drill = DrillFromJson(document["drill"]);
    if (!drill.ok()) return Refusal{drill.error()};
    result.drill = std::move(drill).value();
    if (auto why = CheckDrillResult(result)) return Refusal{*why};
  }
  return result;
}

json WithoutWallTime(json result) {
  if (result.contains("provenance") && result["provenance"].is_object()) {
    result["provenance"].erase("started_at");
    result["provenance"].erase("wall_seconds");
    result["provenance"].erase("shard_wall_seconds");
  }
  if (result.contains("scenarios") && result["scenarios"].is_array()) {
    for (json& s : result["scenarios"]) {
      if (s.is_object()) s.erase("recovery_cpu_ms");
    }
  }
  return result;
}

}  // namespace crashdrill::reports

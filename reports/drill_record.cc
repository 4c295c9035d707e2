#include "reports/drill_record.h"

#include <fmt/format.h>

#include <algorithm>

#include "reports/field_reader.h"
#include "reports/result_model.h"

namespace crashdrill::reports {
namespace {

using nlohmann::json;

// A duration in ms: a number from 0 to kMaxMs.
void Milliseconds(FieldReader& reader, const json& object, const std::string& path,
                  const std::string& key, double* out) {
  reader.Number(object, path, key, out);
  if (!reader.failed() && !(*out >= 0 && *out <= kMaxMs)) {
    reader.Fail(fmt::format("field '{}' is {}: out of range (0 to {} ms)", Member(path, key), *out,
                            kMaxMs));
  }
}

// A UTC time "YYYY-MM-DDTHH:MM:SSZ" that exists (or "" when `may_be_empty`).
void UtcTime(FieldReader& reader, const json& object, const std::string& path,
             const std::string& key, bool may_be_empty, std::string* out) {
  reader.String(object, path, key, out);
  if (reader.failed() || (may_be_empty && out->empty()) || UtcSeconds(*out)) return;
  reader.Fail(fmt::format("field '{}' is '{}': not a UTC time YYYY-MM-DDTHH:MM:SSZ that exists",
                          Member(path, key), *out));
}

// The objects of the list `key`, each read by `read`.
template <typename T, typename Read>
void List(FieldReader& reader, const json& object, const std::string& path, const std::string& key,
          std::vector<T>* out, Read read) {
  const json* list = reader.Array(object, path, key);
  if (list == nullptr) return;
  out->resize(list->size());
  for (size_t i = 0; i < list->size() && !reader.failed(); ++i) {
    const std::string at = Element(Member(path, key), i);
    if (!(*list)[i].is_object()) return reader.Fail(fmt::format("field '{}' is not an object", at));
    read((*list)[i], at, &(*out)[i]);
  }
}

void ReadStep(FieldReader& reader, const json& s, const std::string& path, DrillStep* out) {
  reader.Unsigned(s, path, "index", &out->index);
  reader.String(s, path, "name", &out->name);
  reader.String(s, path, "fault", &out->fault);
  reader.String(s, path, "fault_detail", &out->fault_detail);
  UtcTime(reader, s, path, "started_at", /*may_be_empty=*/false, &out->started_at);
  reader.String(s, path, "recovered_from", &out->recovered_from);
  Milliseconds(reader, s, path, "rto_ms", &out->rto_ms);
  reader.Integer(s, path, "rto_target_ms", &out->rto_target_ms);
  Milliseconds(reader, s, path, "rpo_critical_ms", &out->rpo_critical_ms);
  reader.Unsigned(s, path, "acknowledged", &out->acknowledged);
  reader.String(s, path, "repro", &out->repro);
  List(reader, s, path, "actions", &out->actions,
       [&](const json& a, const std::string& at, DrillAction* action) {
         reader.String(a, at, "name", &action->name);
         reader.Bool(a, at, "ok", &action->ok);
         Milliseconds(reader, a, at, "duration_ms", &action->duration_ms);
         reader.String(a, at, "outcome", &action->outcome);
       });
  List(reader, s, path, "checks", &out->checks,
       [&](const json& c, const std::string& at, DrillCheck* check) {
         reader.String(c, at, "property", &check->property);
         reader.Bool(c, at, "held", &check->held);
         reader.String(c, at, "evidence", &check->evidence);
       });
  bool passed = false;
  reader.Bool(s, path, "passed", &passed);
  if (!reader.failed() && passed != out->passed()) {
    reader.Fail(fmt::format("field '{}' is {}, but the step's checks and actions give {}",
                            Member(path, "passed"), passed, out->passed()));
  }
}

}  // namespace

bool DrillStep::passed() const {
  return !recovered_from.empty() && !checks.empty() &&
         std::all_of(checks.begin(), checks.end(), [](const DrillCheck& c) { return c.held; }) &&
         std::all_of(actions.begin(), actions.end(), [](const DrillAction& a) { return a.ok; });
}

bool DrillRecord::passed() const {
  return !steps.empty() &&
         std::all_of(steps.begin(), steps.end(), [](const DrillStep& s) { return s.passed(); });
}

std::optional<std::string> SignOff(DrillRecord* drill, const std::string& operator_name,
                                   const std::string& at, bool allow_failed) {
  if (operator_name.find_first_not_of(" \t\n\r") == std::string::npos) {
    return "the operator's name is blank";
  }
  if (!UtcSeconds(at)) return fmt::format("'{}' is not a UTC time YYYY-MM-DDTHH:MM:SSZ", at);
  if (drill->signed_off()) {
    return fmt::format("the drill is already signed off by '{}' at {}", drill->operator_name,
                       drill->signed_off_at);
  }
  std::vector<uint64_t> failed;
  for (const DrillStep& s : drill->steps) {
    if (!s.passed()) failed.push_back(s.index);
  }
  if (!allow_failed && (!failed.empty() || drill->steps.empty())) {
    return drill->steps.empty()
               ? std::string("the drill has no step; sign it off with --sign-off-failed")
               : fmt::format(
                     "{} of {} steps failed (step {}); sign a failed drill off with "
                     "--sign-off-failed",
                     failed.size(), drill->steps.size(), fmt::join(failed, ", "));
  }
  drill->operator_name = operator_name;
  drill->signed_off_at = at;
  return std::nullopt;
}

std::vector<std::string> DrillProperties(const DrillRecord& drill) {
  std::vector<std::string> checked;
  for (const DrillStep& s : drill.steps) {
    for (const DrillCheck& c : s.checks) {
      if (std::find(checked.begin(), checked.end(), c.property) == checked.end()) {
        checked.push_back(c.property);
      }
    }
  }
  std::vector<std::string> properties;
  for (const auto& [id, title] : kProperties) {
    if (std::find(checked.begin(), checked.end(), id) != checked.end()) properties.push_back(id);
  }
  for (const std::string& id : checked) {
    if (PropertyTitle(id).empty()) properties.push_back(id);
  }
  return properties;
}

json DrillToJson(const DrillRecord& drill) {
  json steps = json::array();
  for (const DrillStep& s : drill.steps) {
    json actions = json::array();
    for (const DrillAction& a : s.actions) {
      actions.push_back(
          {{"name", a.name}, {"ok", a.ok}, {"duration_ms", a.duration_ms}, {"outcome", a.outcome}});
    }
    json checks = json::array();
    for (const DrillCheck& c : s.checks) {
      checks.push_back({{"property", c.property}, {"held", c.held}, {"evidence", c.evidence}});
    }
    steps.push_back({{"index", s.index},
                     {"name", s.name},
                     {"fault", s.fault},
                     {"fault_detail", s.fault_detail},
                     {"started_at", s.started_at},
                     {"recovered_from", s.recovered_from},
                     {"rto_ms", s.rto_ms},
                     {"rto_target_ms", s.rto_target_ms},
                     {"rpo_critical_ms", s.rpo_critical_ms},
                     {"acknowledged", s.acknowledged},
                     {"repro", s.repro},
                     {"actions", actions},
                     {"checks", checks},
                     {"passed", s.passed()}});
  }
  return {{"plan", drill.plan},
          {"plan_source", drill.plan_source},
          {"state_dir", drill.state_dir},
          {"venue", drill.venue},
          {"steps", steps},
          {"operator_name", drill.operator_name},
          {"signed_off_at", drill.signed_off_at}};
}

Checked<DrillRecord> DrillFromJson(const json& document) {
  const std::string path = "drill";
  if (!document.is_object()) return Refusal{"field 'drill' is not an object"};
  FieldReader reader;
  DrillRecord drill;
  reader.String(document, path, "plan", &drill.plan);
  reader.String(document, path, "plan_source", &drill.plan_source);
  reader.String(document, path, "state_dir", &drill.state_dir);
  reader.String(document, path, "venue", &drill.venue);
  List(reader, document, path, "steps", &drill.steps,
       [&](const json& s, const std::string& at, DrillStep* step) {
         ReadStep(reader, s, at, step);
         const size_t i = static_cast<size_t>(step - drill.steps.data());
         const uint64_t before = i == 0 ? 0 : drill.steps[i - 1].index;
         if (!reader.failed() && step->index <= before) {
           reader.Fail(fmt::format(
               "field '{}.index' is {}: not after the step before it ({}); steps are 1-based, in "
               "plan order",
               at, step->index, before));
         }
       });
  reader.String(document, path, "operator_name", &drill.operator_name);
  UtcTime(reader, document, path, "signed_off_at", /*may_be_empty=*/true, &drill.signed_off_at);
  if (!reader.failed() && drill.operator_name.empty() != drill.signed_off_at.empty()) {
    reader.Fail(fmt::format(
        "field 'drill.{}' is empty, but drill.{} is '{}': a sign-off has a name and a time",
        drill.operator_name.empty() ? "operator_name" : "signed_off_at",
        drill.operator_name.empty() ? "signed_off_at" : "operator_name",
        drill.operator_name.empty() ? drill.signed_off_at : drill.operator_name));
  }
  if (reader.failed()) return Refusal{reader.error()};
  return drill;
}

}  // namespace crashdrill::reports

// The monthly recovery drill (`crashdrill drill`, DESIGN §7 process mode,
// §10) as a record: the plan's steps in order, each with the fault injected,
// the level recovery started from, RTO against its target, the critical RPO,
// the operator's manual recovery checklist as performed and measured, and the
// property checks with their evidence; then the operator's sign-off. A result
// carries it as "drill" (result_model.h). DrillToJson writes it; DrillFromJson
// reads it back and refuses, naming the field, what DrillToJson would not have
// written.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "reports/checked.h"

namespace crashdrill::reports {

struct DrillCheck {
  std::string property;  // "P1", "P2", "P4", "P8", "P9" (kProperties ids)
  bool held = false;
  std::string evidence;  // what was compared and found

  bool operator==(const DrillCheck&) const = default;
};

// One step of the operator's manual recovery checklist, as performed and measured.
struct DrillAction {
  std::string name;  // "stop the engine", "inspect the state directory", ...
  bool ok = false;
  double duration_ms = 0;
  std::string outcome;  // "exit 0; base l2 state_seq 1830, 40 WAL records replayed"

  bool operator==(const DrillAction&) const = default;
};

struct DrillStep {
  uint64_t index = 0;          // 1-based, plan order
  std::string name;            // from the plan: "kill -9 during a snapshot"
  std::string fault;           // "kill", "fiu", "clock", "partition", "power-loss"
  std::string fault_detail;    // what exactly was injected
  std::string started_at;      // RFC 3339 UTC, "2026-11-28T06:17:07Z"
  std::string recovered_from;  // "l1".."l4", "backup", "venue", or "" when recovery did not finish
  double rto_ms = 0;           // wall time from restart to ready to trade
  int64_t rto_target_ms = 0;
  double rpo_critical_ms = 0;  // 0 when no acknowledged critical record was lost
  uint64_t acknowledged = 0;   // acknowledgements the harness saw before the fault
  std::string repro;           // the command that runs this step again
  std::vector<DrillAction> actions;
  std::vector<DrillCheck> checks;

  // Recovery finished, at least one check was made, every check held and
  // every action was ok. A step that checked nothing, or whose recovery did
  // not finish, has not shown anything and does not pass.
  bool passed() const;
  bool operator==(const DrillStep&) const = default;
};

struct DrillRecord {
  std::string plan;         // plan name ("monthly")
  std::string plan_source;  // "built-in" or the plan file's path
  std::string state_dir;
  std::string venue;  // "127.0.0.1:PORT"
  std::vector<DrillStep> steps;
  // Filled by the operator later (`crashdrill report --sign-off NAME`): both
  // or neither; empty means unsigned. signed_off_at is RFC 3339 UTC.
  std::string operator_name;
  std::string signed_off_at;

  // At least one step, and every step passed.
  bool passed() const;
  bool signed_off() const { return !operator_name.empty(); }
  bool operator==(const DrillRecord&) const = default;
};

// Signs `drill` off as `operator_name` at `at` (RFC 3339 UTC, the caller's
// clock): nullopt when done, else why not. Refused: a blank name, a time not
// of that form, a drill already signed off (a signature is not overwritten),
// and a drill whose steps did not all pass unless `allow_failed` (the
// operator then signs a failed drill knowingly, and the report says so).
std::optional<std::string> SignOff(DrillRecord* drill, const std::string& operator_name,
                                   const std::string& at, bool allow_failed);

// The columns of a drill's checklist: every property some step checked, in
// the order of kProperties (result_model.h), then any other in the order
// first seen.
std::vector<std::string> DrillProperties(const DrillRecord& drill);

// The "drill" member of result.json: the fields above by their names, and
// each step's derived "passed" (for readers of the JSON; checked on read).
nlohmann::json DrillToJson(const DrillRecord& drill);

// The drill `document` (the "drill" member) holds, or why not, naming the
// field from "drill" ("field 'drill.steps[2].checks[0].held' is missing").
// Beyond types it refuses: a step index that is 0 or not after the step
// before it (plan order; a rerun of one step may hold only that step's
// index), a started_at or signed_off_at that is not a UTC time
// YYYY-MM-DDTHH:MM:SSZ, a duration outside 0 to 1e12 ms, a "passed" that
// the checks and actions do not give, and a sign-off with only one of its
// two fields. Names (fault kinds, levels, properties) are not checked
// against a list: a newer runner may add some, and the writers show them.
Checked<DrillRecord> DrillFromJson(const nlohmann::json& document);

}  // namespace crashdrill::reports

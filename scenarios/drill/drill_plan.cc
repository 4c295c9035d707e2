#include "scenarios/drill/drill_plan.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "simulator/server.h"
#include "system/io/clock.h"

namespace crashdrill::scenarios {
namespace {

using faults::FaultKind;
using system::Status;

// The monthly drill: every fault kind the process mode has, on one state
// directory, one after another, each step recovered and checked before the next.
constexpr const char* kMonthlyPlan = R"({
  "schema": "crashdrill.drill-plan/1",
  "name": "monthly",
  "description": "The monthly recovery drill: kill -9 at a count and inside each persistence moment, a full disk, EIO and fsync failures through the engine's own fault points and through libfiu's POSIX preload, restarts under a skewed wall clock, network partitions while trading and during recovery, and power loss through the crash filesystem.",
  "seed": 1,
  "venue": "127.0.0.1:0",
  "rto_target_ms": 30000,
  "resume_timeout_ms": 15000,
  "crash_model": {"sector_bytes": 512, "atomic_write_bytes": 512, "safe_append": false, "dir_sync": "strict", "reorder_unsynced_writes": true},
  "steps": [
    {"name": "kill -9 while trading", "after_acks": 400, "fault": {"kind": "crash", "crash_kind": "process_crash"}},
    {"name": "kill -9 inside a WAL group commit", "after_acks": 300, "during": "wal-commit", "fault": {"kind": "crash", "crash_kind": "process_crash"}},
    {"name": "kill -9 inside an L2 checkpoint", "after_acks": 300, "during": "checkpoint", "fault": {"kind": "crash", "crash_kind": "process_crash"}},
    {"name": "kill -9 inside a snapshot", "after_acks": 300, "during": "snapshot", "fault": {"kind": "crash", "crash_kind": "process_crash"}},
    {"name": "disk full (ENOSPC) on the engine's writes", "after_acks": 300, "via": "seam", "fault": {"kind": "no_space", "duration_ns": 1500000000}},
    {"name": "fsync fails (EIO) on the engine's syncs", "after_acks": 300, "via": "seam", "fault": {"kind": "sync_failure", "duration_ns": 1000000000}},
    {"name": "EIO on every pwrite(2), outside the seam", "after_acks": 300, "via": "preload", "fault": {"kind": "io_error", "duration_ns": 1000000000}},
    {"name": "fdatasync(2) fails, outside the seam", "after_acks": 300, "via": "preload", "fault": {"kind": "sync_failure", "duration_ns": 1000000000}},
    {"name": "restart with the wall clock a day ahead", "after_acks": 300, "fault": {"kind": "clock_step", "clock_step_ns": 86400000000000}},
    {"name": "restart with the wall clock an hour behind", "after_acks": 300, "fault": {"kind": "clock_step", "clock_step_ns": -3600000000000}},
    {"name": "restart with the wall clock drifting 10% fast", "after_acks": 300, "fault": {"kind": "clock_drift", "drift_ppm": 100000}},
    {"name": "network partition while trading", "after_acks": 300, "during": "trading", "fault": {"kind": "network_partition", "duration_ns": 3000000000}},
    {"name": "network partition during recovery", "after_acks": 300, "during": "recovery", "fault": {"kind": "network_partition", "duration_ns": 3000000000}},
    {"name": "power loss while trading", "after_acks": 300, "fault": {"kind": "crash", "crash_kind": "power_loss"}}
  ]
})";

// One step of each fault kind, few acknowledgements each: the drill the test
// suite runs (tests/scenarios/drill_test.cc) and a quick rehearsal.
constexpr const char* kShortPlan = R"({
  "schema": "crashdrill.drill-plan/1",
  "name": "short",
  "description": "One step of each fault kind, briefly: kill -9 inside a WAL group commit and inside a snapshot, a full disk through the engine's fault points, fdatasync failing through libfiu's POSIX preload, a restart with the wall clock an hour behind, a partition during recovery, and a power loss through the crash filesystem.",
  "seed": 7,
  "venue": "127.0.0.1:0",
  "rto_target_ms": 30000,
  "resume_timeout_ms": 15000,
  "steps": [
    {"name": "kill -9 inside a WAL group commit", "after_acks": 100, "during": "wal-commit", "fault": {"kind": "crash", "crash_kind": "process_crash"}},
    {"name": "kill -9 inside a snapshot", "after_acks": 100, "during": "snapshot", "fault": {"kind": "crash", "crash_kind": "process_crash"}},
    {"name": "disk full (ENOSPC) on the engine's writes", "after_acks": 100, "via": "seam", "fault": {"kind": "no_space", "duration_ns": 700000000}},
    {"name": "fdatasync(2) fails, outside the seam", "after_acks": 100, "via": "preload", "fault": {"kind": "sync_failure", "duration_ns": 700000000}},
    {"name": "restart with the wall clock an hour behind", "after_acks": 100, "fault": {"kind": "clock_step", "clock_step_ns": -3600000000000}},
    {"name": "network partition during recovery", "after_acks": 100, "during": "recovery", "fault": {"kind": "network_partition", "duration_ns": 1500000000}},
    {"name": "power loss while trading", "after_acks": 100, "fault": {"kind": "crash", "crash_kind": "power_loss"}}
  ]
})";

Status Invalid(const std::string& source, const std::string& where, const std::string& why) {
  return Status::InvalidArgument(source, fmt::format("{}: {}", where, why));
}

Status CheckStep(const DrillStepPlan& step, const std::string& source, const std::string& where) {
  const FaultKind kind = step.fault.kind;
  const bool crash = kind == FaultKind::kCrash;
  const bool process_crash = crash && step.fault.crash_kind == faults::CrashKind::kProcessCrash;
  const bool disk =
      kind == FaultKind::kNoSpace || kind == FaultKind::kIoError || kind == FaultKind::kSyncFailure;
  const bool partition = kind == FaultKind::kNetworkPartition;
  if (!crash && !disk && !partition && kind != FaultKind::kClockStep &&
      kind != FaultKind::kClockDrift) {
    return Invalid(source, where + ".fault.kind",
                   fmt::format("'{}' is a sim-mode fault; a drill injects crash, no_space, "
                               "io_error, sync_failure, clock_step, clock_drift or "
                               "network_partition",
                               faults::FaultKindName(kind)));
  }
  if (step.name.empty()) return Invalid(source, where + ".name", "is empty");
  if (step.after_acks == 0) return Invalid(source, where + ".after_acks", "must be at least 1");
  const bool moment =
      step.during == "checkpoint" || step.during == "snapshot" || step.during == "wal-commit";
  if (!step.during.empty() && !(process_crash && moment) &&
      !(partition && (step.during == "trading" || step.during == "recovery"))) {
    return Invalid(source, where + ".during",
                   fmt::format("'{}' does not go with {}: a process crash takes checkpoint, "
                               "snapshot or wal-commit; a partition trading or recovery",
                               step.during, faults::FaultKindName(kind)));
  }
  if (partition && step.during.empty()) {
    return Invalid(source, where + ".during", "a partition needs \"trading\" or \"recovery\"");
  }
  if (disk && step.via != "seam" && step.via != "preload") {
    return Invalid(source, where + ".via", fmt::format("'{}' is not seam or preload", step.via));
  }
  if ((disk || partition) && step.fault.duration_ns <= 0) {
    return Invalid(source, where + ".fault.duration_ns", "must be positive");
  }
  if ((disk || partition) && step.fault.duration_ns > 60 * system::kNanosPerSecond) {
    return Invalid(source, where + ".fault.duration_ns", "at most 60 s");
  }
  if (kind == FaultKind::kClockStep && step.fault.clock_step_ns == 0) {
    return Invalid(source, where + ".fault.clock_step_ns", "a clock step of 0 skews nothing");
  }
  if (kind == FaultKind::kClockDrift && step.fault.drift_ppm <= -1'000'000) {
    return Invalid(source, where + ".fault.drift_ppm", "would stop or reverse the clock");
  }
  if (kind == FaultKind::kClockDrift && step.fault.drift_ppm == 0) {
    return Invalid(source, where + ".fault.drift_ppm", "a drift of 0 skews nothing");
  }
  return Status::Ok();
}

system::Result<DrillPlan> FromJson(const nlohmann::json& json, const std::string& source) {
  DrillPlan plan;
  plan.source = source;
  if (json.value("schema", std::string()) != kDrillPlanSchema) {
    return Invalid(source, "schema", fmt::format("must be \"{}\"", kDrillPlanSchema));
  }
  plan.name = json.at("name").get<std::string>();
  plan.description = json.value("description", std::string());
  plan.seed = json.value("seed", plan.seed);
  plan.venue = json.value("venue", plan.venue);
  plan.rto_target_ms = json.value("rto_target_ms", plan.rto_target_ms);
  plan.resume_timeout_ms = json.value("resume_timeout_ms", plan.resume_timeout_ms);
  if (json.contains("crash_model")) plan.crash_model = json.at("crash_model");
  std::string host;
  uint16_t port = 0;
  if (Status loopback = simulator::ParseLoopbackAddress(plan.venue, &host, &port); !loopback.ok()) {
    return Invalid(source, "venue", loopback.ToString());
  }
  if (Status model = plan.crash_model.Validate(); !model.ok()) {
    return Invalid(source, "crash_model", model.ToString());
  }
  if (plan.name.empty()) return Invalid(source, "name", "is empty");
  if (plan.rto_target_ms <= 0) return Invalid(source, "rto_target_ms", "must be positive");
  if (plan.resume_timeout_ms <= 0) return Invalid(source, "resume_timeout_ms", "must be positive");
  const nlohmann::json& steps = json.at("steps");
  if (!steps.is_array() || steps.empty()) return Invalid(source, "steps", "no steps");
  for (size_t i = 0; i < steps.size(); ++i) {
    const std::string where = fmt::format("steps[{}]", i);
    DrillStepPlan step;
    try {
      const nlohmann::json& s = steps[i];
      step.name = s.at("name").get<std::string>();
      step.fault = s.at("fault").get<faults::Fault>();
      step.after_acks = s.value("after_acks", step.after_acks);
      step.during = s.value("during", step.during);
      step.via = s.value("via", step.via);
      step.rto_target_ms = s.value("rto_target_ms", step.rto_target_ms);
    } catch (const nlohmann::json::exception& error) {
      return Invalid(source, where, error.what());
    }
    CD_RETURN_IF_ERROR(CheckStep(step, source, where));
    plan.steps.push_back(std::move(step));
  }
  return plan;
}

}  // namespace

system::Result<DrillPlan> ParseDrillPlan(const std::string& text, const std::string& source) {
  try {
    return FromJson(nlohmann::json::parse(text), source);
  } catch (const nlohmann::json::exception& error) {
    return Status::InvalidArgument(source, error.what());
  }
}

const std::vector<std::pair<std::string, std::string>>& BuiltInDrillPlans() {
  static const std::vector<std::pair<std::string, std::string>> plans = {{"monthly", kMonthlyPlan},
                                                                         {"short", kShortPlan}};
  return plans;
}

system::Result<DrillPlan> LoadDrillPlan(const std::string& name_or_path) {
  for (const auto& [name, text] : BuiltInDrillPlans()) {
    if (name == name_or_path) return ParseDrillPlan(text, "built-in");
  }
  std::ifstream in(name_or_path);
  if (!in) {
    return Status::InvalidArgument(
        "--plan", fmt::format("'{}' is neither a built-in plan (crashdrill drill --list-plans) "
                              "nor a readable file",
                              name_or_path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseDrillPlan(text.str(), name_or_path);
}

std::string FaultLabel(const faults::Fault& fault) {
  switch (fault.kind) {
    case FaultKind::kCrash:
      return fault.crash_kind == faults::CrashKind::kPowerLoss ? "power-loss" : "kill";
    case FaultKind::kClockStep:
    case FaultKind::kClockDrift:
      return "clock";
    case FaultKind::kNetworkPartition:
      return "partition";
    default:
      return "fiu";
  }
}

std::string DescribeFault(const DrillStepPlan& step) {
  const faults::Fault& f = step.fault;
  const double seconds = static_cast<double>(f.duration_ns) / 1e9;
  switch (f.kind) {
    case FaultKind::kCrash:
      if (f.crash_kind == faults::CrashKind::kPowerLoss) {
        return fmt::format("power loss through crashfs after {} acknowledgements", step.after_acks);
      }
      return step.during.empty()
                 ? fmt::format("kill -9 after {} acknowledgements", step.after_acks)
                 : fmt::format("kill -9 inside the next {} after {} acknowledgements", step.during,
                               step.after_acks);
    case FaultKind::kClockStep:
      return fmt::format(
          "kill -9, then recover and trade with the wall clock {} {:.0f} s "
          "(faketime; monotonic clock untouched)",
          f.clock_step_ns > 0 ? "ahead" : "behind",
          std::abs(static_cast<double>(f.clock_step_ns)) / 1e9);
    case FaultKind::kClockDrift:
      return fmt::format(
          "kill -9, then recover and trade with the wall clock drifting {} ppm "
          "(faketime; monotonic clock untouched)",
          f.drift_ppm);
    case FaultKind::kNetworkPartition:
      return step.during == "recovery"
                 ? fmt::format(
                       "kill -9, then the exchange unreachable for the first {:.1f} s "
                       "of recovery",
                       seconds)
                 : fmt::format(
                       "the exchange unreachable for {:.1f} s while trading, then "
                       "kill -9",
                       seconds);
    default:
      return fmt::format("{} through {} for {:.1f} s, then kill -9", faults::FaultKindName(f.kind),
                         step.via == "seam" ? "the engine's crashdrill/fs/* libfiu points"
                                            : "libfiu's POSIX preload",
                         seconds);
  }
}

}  // namespace crashdrill::scenarios

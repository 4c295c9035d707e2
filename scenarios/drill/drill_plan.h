// A drill plan: the monthly recovery drill as data (DESIGN §6-7, process mode).
// It extends the FaultPlan vocabulary with steps and targets: each step names a
// fault in FaultPlan terms ({"kind": "crash", "crash_kind": "process_crash"},
// "no_space", "io_error", "sync_failure", "clock_step", "clock_drift",
// "network_partition", or a "crash" of kind "power_loss") and when and how it
// hits a real engine process. A plan that does not parse, names a fault
// process mode cannot inject, or asks for a venue off loopback is refused,
// naming the step and the field.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "faults/crash_model.h"
#include "faults/fault_plan.h"
#include "system/io/result.h"

namespace crashdrill::scenarios {

inline constexpr const char* kDrillPlanSchema = "crashdrill.drill-plan/1";

struct DrillStepPlan {
  std::string name;
  faults::Fault fault;
  // The running engine acknowledges this many critical updates before the fault.
  uint64_t after_acks = 200;
  // crash/process_crash: "" (at once), "checkpoint", "snapshot" or "wal-commit" (the
  // engine is killed inside that moment). network_partition: "trading" or "recovery".
  std::string during;
  // no_space, io_error, sync_failure: "seam" (the engine's crashdrill/fs/* libfiu
  // points) or "preload" (libfiu's POSIX preload: the real write/fdatasync calls).
  std::string via = "seam";
  int64_t rto_target_ms = 0;  // 0: the plan's
};

struct DrillPlan {
  std::string name;
  std::string description;
  std::string source;  // "built-in" or the file it was read from
  uint64_t seed = 1;
  std::string venue = "127.0.0.1:0";  // where the exchange listens (PORT 0: any free port)
  int64_t rto_target_ms = 30'000;
  // How long a restarted engine has to acknowledge new work (P9).
  int64_t resume_timeout_ms = 15'000;
  // The power-loss steps' crash filesystem model (crashfs).
  faults::CrashModel crash_model;
  std::vector<DrillStepPlan> steps;

  int64_t RtoTargetMs(const DrillStepPlan& step) const {
    return step.rto_target_ms > 0 ? step.rto_target_ms : rto_target_ms;
  }
};

// `text` as a plan read from `source`; kInvalidArgument naming the source, the step
// and the field for anything wrong.
system::Result<DrillPlan> ParseDrillPlan(const std::string& text, const std::string& source);

// The plans that ship with the binary: (name, JSON text), "monthly" first.
const std::vector<std::pair<std::string, std::string>>& BuiltInDrillPlans();

// A built-in plan by name, or a plan file by path.
system::Result<DrillPlan> LoadDrillPlan(const std::string& name_or_path);

// What the step injects, in words ("kill -9 inside a snapshot", "ENOSPC on every
// write through the engine's crashdrill/fs/write point for 1500 ms").
std::string DescribeFault(const DrillStepPlan& step);
// The DrillStep::fault label: kill, fiu, clock, partition, power-loss.
std::string FaultLabel(const faults::Fault& fault);

}  // namespace crashdrill::scenarios

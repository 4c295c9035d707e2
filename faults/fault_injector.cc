#include "faults/fault_injector.h"

#include <fnmatch.h>

#include <string>

namespace crashdrill::faults {
namespace {

bool GlobMatches(const std::string& glob, std::string_view path) {
  if (path.empty()) return false;
  return fnmatch(glob.c_str(), std::string(path).c_str(), 0) == 0;
}

bool ClassSelected(TriggerOn on, OpClass op) {
  switch (on) {
    case TriggerOn::kAnyOp: return true;
    case TriggerOn::kRead: return op == OpClass::kRead;
    case TriggerOn::kWrite: return op == OpClass::kWrite;
    case TriggerOn::kSync: return op == OpClass::kSync;
    case TriggerOn::kMonoTime: return false;
  }
  return false;
}

}  // namespace

bool IsDiskFault(FaultKind kind) {
  switch (kind) {
    case FaultKind::kCrash:
    case FaultKind::kNoSpace:
    case FaultKind::kShortWrite:
    case FaultKind::kIoError:
    case FaultKind::kSyncFailure:
    case FaultKind::kBitFlip:
    case FaultKind::kZeroSector:
    case FaultKind::kMisdirectedWrite:
    case FaultKind::kLatency:
      return true;
    default:
      return false;
  }
}

FaultInjector::FaultInjector(FaultPlan plan)
    : plan_(std::move(plan)), counted_(plan_.entries.size(), 0) {}

bool FaultInjector::Selects(const Trigger& trigger, const OpInfo& op) const {
  if (!ClassSelected(trigger.on, op.op)) return false;
  if (!trigger.path_glob.empty() && !GlobMatches(trigger.path_glob, op.path) &&
      !GlobMatches(trigger.path_glob, op.other_path)) {
    return false;
  }
  if (op.has_range) {
    const uint64_t end = op.offset + (op.length == 0 ? 1 : op.length);
    if (end <= trigger.offset_begin || op.offset >= trigger.offset_end) return false;
  }
  return true;
}

std::vector<Fault> FaultInjector::Fire(const OpInfo& op) {
  std::vector<Fault> fired;
  for (size_t i = 0; i < plan_.entries.size(); ++i) {
    const FaultEntry& entry = plan_.entries[i];
    if (!IsDiskFault(entry.fault.kind) || !Selects(entry.trigger, op)) continue;
    const uint64_t count = ++counted_[i];
    const uint64_t first = entry.trigger.nth == 0 ? 1 : entry.trigger.nth;
    const bool in_window = count >= first && (entry.trigger.repeat == 0 ||
                                              count < first + entry.trigger.repeat);
    if (in_window) fired.push_back(entry.fault);
  }
  return fired;
}

}  // namespace crashdrill::faults

// FaultInjector: decides, operation by operation, which disk faults of a FaultPlan fire.
// Shared by SimDisk and FaultFs so both read a plan the same way. Each entry counts the
// operations its trigger selects; the entry fires on the nth of them (and repeat-1 more,
// or forever when repeat is 0). Deterministic: no randomness, no time.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "faults/fault_plan.h"

namespace crashdrill::faults {

// True for the kinds an Fs injects (crash, no_space, short_write, io_error, sync_failure,
// bit_flip, zero_sector, misdirected_write, latency); false for clock and network faults.
bool IsDiskFault(FaultKind kind);

struct OpInfo {
  OpClass op = OpClass::kMeta;
  std::string_view name;  // "write", "open", ... for error messages
  std::string_view path;
  std::string_view other_path;  // the target of a rename, else empty
  bool has_range = false;       // reads and writes carry a byte range
  uint64_t offset = 0;
  uint64_t length = 0;
};

class FaultInjector {
 public:
  explicit FaultInjector(FaultPlan plan);

  // Counts `op` against every disk-fault entry and returns the faults that fire on it,
  // in plan order.
  std::vector<Fault> Fire(const OpInfo& op);
  const FaultPlan& plan() const { return plan_; }
  // Adds an entry whose trigger counts operations from now on (a runner
  // arming a fault mid-case: "crash at the 40th disk operation from here").
  void Add(FaultEntry entry) {
    plan_.entries.push_back(std::move(entry));
    counted_.push_back(0);
  }

 private:
  bool Selects(const Trigger& trigger, const OpInfo& op) const;

  FaultPlan plan_;
  std::vector<uint64_t> counted_;  // per entry: operations its trigger selected so far
};

}  // namespace crashdrill::faults

// Shrinking a failing case script to a small one that still fails the same
// way: what a developer reads before a trace of thousands of operations.
// Delta debugging over the ops (cut after the first violation, remove chunks,
// then single ops), then smaller numbers (shorter runs, earlier crash points,
// shorter waits). Deterministic: the same script shrinks to the same result.
#pragma once

#include <cstdint>
#include <string>

#include "scenarios/runner/case_script.h"

namespace crashdrill::scenarios {

struct ShrinkResult {
  CaseScript script;     // the smallest failing script found (long form)
  std::string property;  // of its first violation, as in the original
  std::string detail;
  uint64_t runs = 0;    // scripts run while shrinking
  bool shrunk = false;  // false: the original did not fail
};

// Keeps only candidates whose first violation is of the same property as the
// original's; stops after `max_runs` script runs with the smallest so far.
ShrinkResult ShrinkScript(const CaseScript& failing, uint64_t max_runs = 400);

}  // namespace crashdrill::scenarios

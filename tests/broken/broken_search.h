// The search for the first chaos case that breaks a property, numbered as a
// chaos run numbers them: case i of `scenario` has the seed
// CaseSeed(run_seed, scenario, i), so a case found here is the one the nightly
// run with that seed would report, and its repro replays it. Whatever variant
// is active (broken_variants.h) is the system under search.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "scenarios/runner/catalog.h"
#include "scenarios/runner/chaos_run.h"
#include "scenarios/runner/sim_case.h"

namespace crashdrill::broken {

struct SearchOptions {
  uint64_t run_seed = 1;
  uint64_t cases_max = scenarios::kNightlyCasesPerScenario;  // the nightly budget
};

struct SearchResult {
  std::string scenario;
  uint64_t cases_run = 0;              // through the failing case, or the whole budget
  std::optional<uint64_t> case_index;  // of the first failing case
  uint64_t case_seed = 0;              // its CaseSeed (also in its repro)
  scenarios::CaseResult failing;       // that case's result: violations not empty
  double seconds = 0;                  // wall time of the search

  bool found() const { return case_index.has_value(); }
  // The first violation (REQUIRES found()).
  const scenarios::Violation& violation() const { return failing.violations.front(); }
};

// Runs cases 0, 1, ... of `scenario` until one has a violation or
// options.cases_max have run.
SearchResult FindFirstViolation(const scenarios::Scenario& scenario,
                                const SearchOptions& options = {});

}  // namespace crashdrill::broken

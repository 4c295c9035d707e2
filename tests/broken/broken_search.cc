#include "tests/broken/broken_search.h"

#include <chrono>

namespace crashdrill::broken {

SearchResult FindFirstViolation(const scenarios::Scenario& scenario, const SearchOptions& options) {
  SearchResult search;
  search.scenario = scenario.name;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < options.cases_max; ++i) {
    const uint64_t seed = scenarios::CaseSeed(options.run_seed, scenario.name, i);
    scenarios::CaseResult result = scenarios::RunCase(scenario, seed);
    search.cases_run = i + 1;
    if (!result.violations.empty()) {
      search.case_index = i;
      search.case_seed = seed;
      search.failing = std::move(result);
      break;
    }
  }
  search.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return search;
}

}  // namespace crashdrill::broken

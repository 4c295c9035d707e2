// The chaos harness catches durability bugs: with each deliberately broken
// variant of the system active (system/io/broken_variant.h), the nightly
// default scenario (`mixed`) finds a violation within the nightly budget of
// cases, and the case that finds it holds without the variant — the failure is
// the variant's, not the harness's. A table at the end of the run says, per
// variant, how many cases it took, the property, the detail, the time and the
// line that replays the case (CTest runs each variant on its own: run
// build/tests/broken/crashdrill_broken_variants_tests for the whole table).
//
// A variant `mixed` misses is a finding about the harness's power, never a
// reason to weaken the variant. With CRASHDRILL_BROKEN_SEARCH_CATALOG=1 such a
// failure also searches every other scenario of the catalog and says which one
// catches it, and how fast.
#include "tests/broken/broken_variants.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "scenarios/runner/case_script.h"
#include "scenarios/runner/shrink.h"
#include "tests/broken/broken_search.h"

namespace crashdrill::broken {
namespace {

using scenarios::CaseResult;
using scenarios::FindScenario;
using scenarios::Scenario;

constexpr char kScenario[] = "mixed";
// Scripts run while shrinking one failing case: enough to cut the ~60 ops of
// a planned case to a handful, bounded so the suite stays fast.
constexpr uint64_t kShrinkRunsMax = 150;

struct Row {
  std::string variant;
  SearchResult search;
  bool holds_without_variant = false;  // the failing case, with no variant active
  size_t planned_ops = 0;              // the failing case's script
  scenarios::ShrinkResult shrunk;      // cut down with the variant active
  double shrink_seconds = 0;
};

std::vector<Row>& Table() {
  static std::vector<Row> rows;
  return rows;
}

std::string Shorten(const std::string& text, size_t length_max) {
  return text.size() <= length_max ? text : text.substr(0, length_max - 3) + "...";
}

// Prints the table after the last test, whatever the filter ran.
class TablePrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    if (Table().empty()) return;
    std::printf("\n[ broken ] %-34s %-8s %6s %-4s %8s  %s\n", "variant", "scenario", "cases",
                "prop", "seconds", "detail");
    double total_seconds = 0;
    for (const Row& row : Table()) {
      const SearchResult& s = row.search;
      total_seconds += s.seconds;
      std::printf("[ broken ] %-34s %-8s %6llu %-4s %8.2f  %s\n", row.variant.c_str(),
                  s.scenario.c_str(), static_cast<unsigned long long>(s.cases_run),
                  s.found() ? s.violation().property.c_str() : "-", s.seconds,
                  !s.found()                  ? "NOT DETECTED within the budget"
                  : row.holds_without_variant ? Shorten(s.violation().detail, 110).c_str()
                                              : "THE CASE FAILS WITHOUT THE VARIANT TOO");
    }
    std::printf("[ broken ] %.2f s in all; each failing case again, with its trace:\n",
                total_seconds);
    for (const Row& row : Table()) {
      if (!row.search.found()) continue;
      std::printf("[ broken ]   crashdrill_broken_replay %s %s  (case %llu of run seed 1)\n",
                  row.variant.c_str(), row.search.violation().repro.c_str(),
                  static_cast<unsigned long long>(*row.search.case_index));
    }
    std::printf(
        "[ broken ] shrunk (ops of the failing case -> ops of the shrunk script, "
        "scripts run, seconds), and the shrunk script's replay line:\n");
    for (const Row& row : Table()) {
      if (!row.shrunk.shrunk) continue;
      std::printf(
          "[ broken ]   %-34s %4zu -> %3zu ops, %3llu runs, %6.2f s\n"
          "[ broken ]     crashdrill_broken_replay %s %s\n",
          row.variant.c_str(), row.planned_ops, row.shrunk.script.ops.size(),
          static_cast<unsigned long long>(row.shrunk.runs), row.shrink_seconds, row.variant.c_str(),
          scenarios::FormatScriptOps(row.shrunk.script).c_str());
    }
  }
};
[[maybe_unused]] const auto* const kTablePrinter =
    ::testing::AddGlobalTestEnvironment(new TablePrinter);

TEST(BrokenVariantsTest, EveryVariantIsListedInEnumOrderAndNoneIsActiveByDefault) {
  ASSERT_EQ(Variants().size(), static_cast<size_t>(Variant::kCount));
  for (size_t i = 0; i < Variants().size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(Variants()[i].variant), i) << Variants()[i].name;
  }
  EXPECT_FALSE(ActiveVariant().has_value());
}

TEST(BrokenVariantsTest, ScopedVariantRestoresThePreviousOne) {
  {
    ScopedVariant outer(Variant::kAckBeforeSync);
    EXPECT_TRUE(Active(Variant::kAckBeforeSync));
    {
      ScopedVariant inner(Variant::kWalOpenTrustsTail);
      EXPECT_TRUE(Active(Variant::kWalOpenTrustsTail));
      EXPECT_FALSE(Active(Variant::kAckBeforeSync));
    }
    EXPECT_TRUE(Active(Variant::kAckBeforeSync));
  }
  EXPECT_FALSE(ActiveVariant().has_value());
}

// The case `search` found, run again with no variant active.
CaseResult WithoutVariant(const Scenario& scenario, const SearchResult& search) {
  ScopedVariant none(std::nullopt);
  return scenarios::RunCase(scenario, search.case_seed);
}

// Which other scenarios of the catalog catch `variant`, for a failure message.
std::string SearchCatalog(Variant variant) {
  const char* wanted = std::getenv("CRASHDRILL_BROKEN_SEARCH_CATALOG");
  if (wanted == nullptr || std::string(wanted) != "1") {
    return "(set CRASHDRILL_BROKEN_SEARCH_CATALOG=1 to search the other scenarios)";
  }
  std::string out = "the other scenarios, within the same budget:";
  for (const Scenario& scenario : scenarios::Catalog()) {
    if (scenario.name == kScenario) continue;
    SearchResult s;
    {
      ScopedVariant scope(variant);
      s = FindFirstViolation(scenario);
    }
    char line[512];
    if (s.found()) {
      std::snprintf(line, sizeof line, "\n  %s: case %llu (%s, %s, %.1f s)%s",
                    scenario.name.c_str(), static_cast<unsigned long long>(*s.case_index),
                    s.violation().property.c_str(), s.violation().repro.c_str(), s.seconds,
                    WithoutVariant(scenario, s).violations.empty()
                        ? ""
                        : " BUT it fails without the variant too");
    } else {
      std::snprintf(line, sizeof line, "\n  %s: not within %llu cases (%.1f s)",
                    scenario.name.c_str(), static_cast<unsigned long long>(s.cases_run), s.seconds);
    }
    out += line;
  }
  return out;
}

}  // namespace

void PrintTo(const VariantInfo& info, std::ostream* out) { *out << info.name; }

namespace {

class BrokenVariantTest : public ::testing::TestWithParam<VariantInfo> {};

TEST_P(BrokenVariantTest, CaughtByMixedWithinTheNightlyBudget) {
  const VariantInfo& info = GetParam();
  if (!info.known_miss.empty())
    GTEST_SKIP() << info.name << " is a known miss: " << info.known_miss;
  const Scenario& scenario = *FindScenario(kScenario);
  SearchResult search;
  {
    ScopedVariant scope(info.variant);
    search = FindFirstViolation(scenario);
  }
  const CaseResult clean = search.found() ? WithoutVariant(scenario, search) : CaseResult{};
  Table().push_back({std::string(info.name), search, clean.violations.empty()});
  Row& row = Table().back();
  ASSERT_TRUE(search.found()) << info.name << " (" << info.where << ": " << info.bug
                              << ") is not caught by " << kScenario << " within "
                              << search.cases_run << " cases; " << SearchCatalog(info.variant);
  std::printf("[ broken ] %s: %s after %llu cases (%.2f s): %s\n  %s\n", info.name.data(),
              search.violation().property.c_str(),
              static_cast<unsigned long long>(search.cases_run), search.seconds,
              search.violation().repro.c_str(), search.violation().detail.c_str());

  for (const scenarios::Violation& v : clean.violations) {
    ADD_FAILURE() << "without " << info.name << " the case fails too (the harness's failure, "
                  << "not the variant's): " << v.property << ": " << v.detail
                  << "\n  crashdrill replay " << v.repro;
  }

  // Shrunk: the failing case cut down to a short script that fails the same
  // property with the variant active.
  const scenarios::CaseScript planned = scenarios::PlanCase(scenario, search.case_seed);
  row.planned_ops = planned.ops.size();
  const auto shrink_start = std::chrono::steady_clock::now();
  {
    ScopedVariant scope(info.variant);
    row.shrunk = scenarios::ShrinkScript(planned, kShrinkRunsMax);
  }
  row.shrink_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - shrink_start).count();
  ASSERT_TRUE(row.shrunk.shrunk);
  EXPECT_EQ(row.shrunk.property, search.violation().property);
  EXPECT_LT(row.shrunk.script.ops.size(), planned.ops.size());
  const std::string line = scenarios::FormatScriptOps(row.shrunk.script);
  std::printf("[ broken ] %s shrunk from %zu to %zu ops in %llu runs:\n  %s\n", info.name.data(),
              planned.ops.size(), row.shrunk.script.ops.size(),
              static_cast<unsigned long long>(row.shrunk.runs), line.c_str());

  // Replayed by the printed line: the text parses back to the same script,
  // which fails the same way with the variant and holds without it.
  auto replayed = scenarios::ParseScript(line);
  ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
  EXPECT_EQ(*replayed, row.shrunk.script);
  CaseResult with;
  {
    ScopedVariant scope(info.variant);
    with = scenarios::RunScript(*replayed);
  }
  ASSERT_FALSE(with.violations.empty()) << line;
  EXPECT_EQ(with.violations.front().property, search.violation().property);
  EXPECT_EQ(with.violations.front().repro, line) << "the repro a violation prints is the script";
  {
    ScopedVariant none(std::nullopt);
    const CaseResult without = scenarios::RunScript(*replayed);
    for (const scenarios::Violation& v : without.violations) {
      ADD_FAILURE() << "the shrunk script fails without " << info.name << " too: " << v.property
                    << ": " << v.detail;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, BrokenVariantTest, ::testing::ValuesIn(Variants()),
                         [](const ::testing::TestParamInfo<VariantInfo>& info) {
                           return std::string(info.param.name.substr(1));  // no leading 'k'
                         });

}  // namespace
}  // namespace crashdrill::broken

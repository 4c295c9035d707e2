// crashdrill_broken_replay VARIANT REPRO: one chaos case (planned or a
// script) again with a broken
// variant active (system/io/broken_variant.h), and its trace — what
// `crashdrill replay REPRO` does for the shipped system. VARIANT is a name of
// the table broken_variants_test prints (kAckBeforeSync), or `none`.
// Exit codes as `crashdrill replay`: 0 the case held, 1 a violation, 2 usage.
#include <cstdio>
#include <optional>
#include <string>

#include "scenarios/runner/catalog.h"
#include "scenarios/runner/sim_case.h"
#include "tests/broken/broken_variants.h"

namespace crashdrill::broken {
namespace {

int Usage(const char* why) {
  std::fprintf(stderr,
               "crashdrill_broken_replay: %s\nusage: crashdrill_broken_replay "
               "VARIANT|none <scenario>@<seed>[/ops]\nvariants:",
               why);
  for (const VariantInfo& info : Variants()) {
    std::fprintf(stderr, " %.*s", static_cast<int>(info.name.size()), info.name.data());
  }
  std::fprintf(stderr, "\n");
  return 2;
}

int Main(int argc, char** argv) {
  if (argc != 3) return Usage("two arguments expected");
  const std::string name = argv[1];
  std::optional<Variant> variant;
  for (const VariantInfo& info : Variants()) {
    if (name == info.name) variant = info.variant;
  }
  if (!variant && name != "none") return Usage(("unknown variant " + name).c_str());
  const auto script = scenarios::ParseScript(argv[2]);
  if (!script.ok()) return Usage(script.status().ToString().c_str());

  ScopedVariant scope(variant);
  const scenarios::CaseResult result = scenarios::RunScript(*script, /*keep_trace=*/true);
  for (const std::string& line : result.trace) std::printf("%s\n", line.c_str());
  std::printf("%s with %s: %llu crashes, %llu recoveries, %llu acknowledged, %zu violations\n",
              argv[2], name.c_str(), static_cast<unsigned long long>(result.crashes),
              static_cast<unsigned long long>(result.recoveries),
              static_cast<unsigned long long>(result.acknowledged), result.violations.size());
  return result.violations.empty() ? 0 : 1;
}

}  // namespace
}  // namespace crashdrill::broken

int main(int argc, char** argv) { return crashdrill::broken::Main(argc, argv); }

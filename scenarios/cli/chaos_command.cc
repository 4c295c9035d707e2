// `crashdrill scenarios`, `crashdrill chaos` and `crashdrill replay` (DESIGN §9).
//   chaos [--scenario NAME]... [--cases N | --minutes M] [--seed S] [--shard I/N] [--out DIR]
// prints its seed first, then its progress (chaos_progress.h) and every
// violation with its replay line, all on stderr, and writes DIR/result.json
// (crashdrill.result/1) with its reports: DIR/report.html, DIR/summary.md,
// DIR/junit.xml and DIR/metrics.prom.
// Exit: 0 all held, 1 a property or target failed, 2 usage, 3 the harness failed.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "reports/report_request.h"
#include "reports/result_files.h"
#include "reports/result_model.h"
#include "scenarios/cli/chaos_progress.h"
#include "scenarios/cli/commands.h"
#include "scenarios/runner/case_script.h"
#include "scenarios/runner/chaos_run.h"
#include "scenarios/runner/shrink.h"

namespace crashdrill::scenarios {
namespace {

// --shard I/N, or the shard of the environment this runs in: GoogleTest's,
// a Kubernetes Indexed Job's (JOB_COMPLETION_INDEX with CRASHDRILL_TOTAL_SHARDS).
bool ParseShard(const std::string& text, Shard* shard) {
  if (text.empty()) {
    const char* index = std::getenv("GTEST_SHARD_INDEX");
    const char* total = std::getenv("GTEST_TOTAL_SHARDS");
    if (index == nullptr || total == nullptr) {
      index = std::getenv("JOB_COMPLETION_INDEX");
      total = std::getenv("CRASHDRILL_TOTAL_SHARDS");
    }
    if (index == nullptr || total == nullptr) return true;
    return ParseShard(fmt::format("{}/{}", index, total), shard);
  }
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return false;
  try {
    shard->index = std::stoull(text.substr(0, slash));
    shard->count = std::stoull(text.substr(slash + 1));
  } catch (const std::exception&) {
    return false;
  }
  return shard->count >= 1 && shard->index < shard->count;
}

int RunScenarios() {
  for (const Scenario& s : Catalog()) {
    std::printf("%-24s %s\n", s.name.c_str(), s.summary.c_str());
  }
  return kExitOk;
}

// Refuses what cannot run, before the seed line: 0 or kExitUsage.
int CheckChaosOptions(const std::string& shard, const std::string& out_dir, ChaosOptions* options) {
  for (const std::string& name : options->scenarios) {
    if (FindScenario(name) == nullptr) {
      std::fprintf(stderr, "crashdrill chaos: no scenario '%s' (see `crashdrill scenarios`)\n",
                   name.c_str());
      return kExitUsage;
    }
  }
  if (!ParseShard(shard, &options->shard)) {
    std::fprintf(stderr, "crashdrill chaos: --shard '%s' is not I/N with 0 <= I < N\n",
                 shard.c_str());
    return kExitUsage;
  }
  if (options->cases != 0 && options->minutes > 0) {
    std::fprintf(stderr, "crashdrill chaos: --cases and --minutes exclude each other\n");
    return kExitUsage;
  }
  // Before the run, not after an hour of it.
  std::error_code error;
  if (!out_dir.empty() && !std::filesystem::create_directories(out_dir, error) && error) {
    std::fprintf(stderr, "crashdrill chaos: --out %s cannot be made: %s\n", out_dir.c_str(),
                 error.message().c_str());
    return kExitUsage;
  }
  return kExitOk;
}

// result.json and the reports of it in `out_dir`.
int WriteChaosResults(const std::string& out_dir, const ChaosResult& result) {
  const int written = WriteResultAndReports("chaos", out_dir, ResultJson(result));
  if (written == kExitOk) {
    std::fprintf(
        stderr,
        "chaos: result.json, summary.md, junit.xml and metrics.prom in %s; open %s/report.html\n",
        out_dir.c_str(), out_dir.c_str());
  }
  return written;
}

int RunChaosCommand(ChaosOptions options, const std::string& shard, const std::string& out_dir) {
  if (const int usage = CheckChaosOptions(shard, out_dir, &options); usage != kExitOk) return usage;
  std::fprintf(stderr, "crashdrill chaos: seed %llu, shard %llu/%llu, scenarios",
               static_cast<unsigned long long>(options.seed),
               static_cast<unsigned long long>(options.shard.index),
               static_cast<unsigned long long>(options.shard.count));
  for (const std::string& name : options.scenarios) std::fprintf(stderr, " %s", name.c_str());
  std::fprintf(stderr, "\n");
  ChaosProgress progress(stderr, StyleFor(isatty(STDERR_FILENO) == 1, std::getenv("NO_COLOR")),
                         {.total_cases = CasesOfShard(options) * options.scenarios.size(),
                          .budget_s = options.minutes * 60});
  const auto start = std::chrono::steady_clock::now();
  ProgressFigures figures;
  ChaosResult result;
  try {
    result = RunChaos(options, [&](const ChaosResult& so_far, const CaseResult& c) {
      for (const Violation& v : c.violations) {
        progress.Violation(v.property, c.scenario, v.detail, v.repro);
      }
      ++figures.cases;
      figures.crashes += c.crashes;
      figures.violations = so_far.violations();
      figures.elapsed_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      progress.Update(figures);
    });
  } catch (const std::exception& error) {
    // Not a verdict on the engine: the run could not go on (exit 3, not 1).
    progress.EndLine();
    std::fprintf(stderr, "crashdrill chaos: the harness failed after %llu cases (seed %llu): %s\n",
                 static_cast<unsigned long long>(figures.cases),
                 static_cast<unsigned long long>(options.seed), error.what());
    return kExitHarnessFailed;
  }
  figures.elapsed_s = result.wall_seconds;
  progress.Finish(figures);
  if (!out_dir.empty()) {
    if (const int failed = WriteChaosResults(out_dir, result); failed != kExitOk) return failed;
  }
  return result.violations() == 0 ? kExitOk : kExitPropertyFailed;
}

int RunReplay(const std::string& repro, bool trace_json, bool shrink) {
  auto script = ParseScript(repro);
  if (!script.ok()) {
    std::fprintf(stderr,
                 "crashdrill replay: %s\n  (a repro is <scenario>@<seed> or "
                 "<scenario>@<seed>/<op>,<op>,... as a violation prints it)\n",
                 script.status().ToString().c_str());
    return kExitUsage;
  }
  if (shrink) {
    const ShrinkResult shrunk = ShrinkScript(*script);
    if (!shrunk.shrunk) {
      std::printf("%s holds: nothing to shrink (%llu run)\n", repro.c_str(),
                  static_cast<unsigned long long>(shrunk.runs));
      return kExitOk;
    }
    std::printf(
        "%s fails %s; shrunk from %zu to %zu ops in %llu runs:\n  %s\n"
        "  crashdrill replay %s\n",
        repro.c_str(), shrunk.property.c_str(), script->ops.size(), shrunk.script.ops.size(),
        static_cast<unsigned long long>(shrunk.runs), shrunk.detail.c_str(),
        FormatScriptOps(shrunk.script).c_str());
    return kExitPropertyFailed;
  }
  const CaseResult c = RunScript(*script, /*keep_trace=*/true);
  if (trace_json) {
    nlohmann::json violations = nlohmann::json::array();
    for (const Violation& v : c.violations) {
      violations.push_back({{"property", v.property}, {"detail", v.detail}, {"repro", v.repro}});
    }
    std::printf("%s\n", nlohmann::json{{"repro", repro},
                                       {"script", FormatScriptOps(*script)},
                                       {"crashes", c.crashes},
                                       {"recoveries", c.recoveries},
                                       {"acknowledged", c.acknowledged},
                                       {"trace", c.trace},
                                       {"faults_fired", c.faults_fired},
                                       {"violations", violations}}
                            .dump(2)
                            .c_str());
  } else {
    std::printf("script: %s\n", FormatScriptOps(*script).c_str());
    for (const std::string& line : c.trace) std::printf("%s\n", line.c_str());
    std::printf("%s: %llu crashes, %llu recoveries, %llu acknowledged, %zu violations\n",
                repro.c_str(), static_cast<unsigned long long>(c.crashes),
                static_cast<unsigned long long>(c.recoveries),
                static_cast<unsigned long long>(c.acknowledged), c.violations.size());
    for (const Violation& v : c.violations) {
      std::printf("VIOLATION %s: %s\n  crashdrill replay %s\n", v.property.c_str(),
                  v.detail.c_str(), v.repro.c_str());
    }
  }
  return c.violations.empty() ? kExitOk : kExitPropertyFailed;
}

}  // namespace

void RegisterChaosCommands(CLI::App& app, CommandRegistry& registry) {
  app.add_subcommand("scenarios", "list the scenario catalog")->callback([&registry] {
    registry.Select(RunScenarios);
  });
  {
    auto* command = app.add_subcommand("chaos", "deterministic chaos cases in sim mode");
    auto options = std::make_shared<ChaosOptions>();
    auto names = std::make_shared<std::vector<std::string>>();
    auto shard = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    command->add_option("--scenario", *names,
                        "a scenario of `crashdrill scenarios` (repeatable; "
                        "default mixed)");
    command->add_option("--cases", options->cases, "cases per scenario")
        ->check(CLI::PositiveNumber);
    command->add_option("--minutes", options->minutes, "run for this long instead")
        ->check(CLI::PositiveNumber);
    command->add_option("--seed", options->seed, "seed of the run");
    command->add_option("--shard", *shard, "I/N: run the I-th of N disjoint parts of the cases");
    command->add_option("--out", *out, "directory for result.json");
    command->callback([&registry, options, names, shard, out] {
      if (!names->empty()) options->scenarios = *names;
      registry.Select([=] { return RunChaosCommand(*options, *shard, *out); });
    });
  }
  {
    auto* command = app.add_subcommand("replay", "run one case again and print its trace");
    auto repro = std::make_shared<std::string>();
    auto trace_json = std::make_shared<bool>(false);
    auto shrink = std::make_shared<bool>(false);
    command
        ->add_option("REPRO", *repro,
                     "<scenario>@<seed> or <scenario>@<seed>/<ops>, as a violation prints it")
        ->required();
    command->add_flag("--trace-json", *trace_json, "the trace as JSON");
    command->add_flag("--shrink", *shrink,
                      "shrink a failing case to a short script that fails the same way");
    command->callback([&registry, repro, trace_json, shrink] {
      registry.Select([=] { return RunReplay(*repro, *trace_json, *shrink); });
    });
  }
}

}  // namespace crashdrill::scenarios

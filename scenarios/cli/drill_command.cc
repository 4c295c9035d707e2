// `crashdrill drill [--plan NAME|FILE] [--out DIR] [--state-dir DIR] [--step N]
// [--list-plans]`: the monthly recovery drill in process mode (drill_run.h).
// Writes DIR/result.json (mode "process", with the drill's checklist) and its
// reports (report.html, summary.md, junit.xml, metrics.prom). A state
// directory is used by one drill at a time: a lock beside it
// (<state-dir>.drill-lock, flock) refuses a second drill (exit 2) while the
// first holds it. SIGINT/SIGTERM stop the drill after the action in progress:
// every child (each leads its own process group) is killed, crashfs unmounted,
// and what was done so far is written (exit 3).
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>

#include "reports/report_request.h"
#include "reports/result_files.h"
#include "scenarios/cli/commands.h"
#include "scenarios/drill/drill_plan.h"
#include "scenarios/drill/drill_processes.h"
#include "scenarios/drill/drill_run.h"
#include "scenarios/runner/chaos_run.h"

namespace crashdrill::scenarios {
namespace {

extern "C" void OnDrillSignal(int) { InterruptDrill(); }

struct DrillArgs {
  std::string plan = "monthly";
  std::string out = "drill-out";
  std::string state_dir;  // default OUT/state
  size_t step = 0;
  bool list_plans = false;
};

int ListPlans() {
  for (const auto& [name, text] : BuiltInDrillPlans()) {
    auto plan = ParseDrillPlan(text, "built-in");
    if (!plan.ok()) return kExitHarnessFailed;
    std::printf("%s (%zu steps): %s\n", name.c_str(), plan->steps.size(),
                plan->description.c_str());
    for (size_t i = 0; i < plan->steps.size(); ++i) {
      std::printf("  %2zu. %s — %s\n", i + 1, plan->steps[i].name.c_str(),
                  DescribeFault(plan->steps[i]).c_str());
    }
  }
  return kExitOk;
}

// Holds `<state_dir>.drill-lock` for the life of the process; -1 when another
// drill holds it.
int LockStateDir(const std::string& state_dir, std::string* why) {
  const std::string path = state_dir + ".drill-lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    *why = fmt::format("cannot open {}: {}", path, std::strerror(errno));
    return -1;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {};
    [[maybe_unused]] ssize_t n = ::pread(fd, holder, sizeof(holder) - 1, 0);
    *why = fmt::format("another drill is using {} (it holds {}; pid {})", state_dir, path,
                       holder[0] ? holder : "?");
    ::close(fd);
    return -1;
  }
  const std::string pid = std::to_string(::getpid());
  [[maybe_unused]] int truncated = ::ftruncate(fd, 0);
  [[maybe_unused]] ssize_t written = ::pwrite(fd, pid.data(), pid.size(), 0);
  return fd;
}

int WriteDrillResults(const std::string& out_dir, const DrillOutcome& outcome,
                      const DrillPlan& plan, const std::string& started_at, double wall_seconds) {
  reports::ResultRecord record;
  record.provenance = BuildProvenance();
  record.provenance.seed = plan.seed;
  record.provenance.started_at = started_at;
  record.provenance.wall_seconds = wall_seconds;
  record.provenance.configuration = {{"plan", plan.name}, {"plan_source", plan.source}};
  record.scenarios.push_back(outcome.scenario);
  record.drill = outcome.drill;
  return WriteResultAndReports("drill", out_dir, reports::ToJson(record));
}

int RunDrillCommand(const DrillArgs& args) {
  if (args.list_plans) return ListPlans();
  auto plan = LoadDrillPlan(args.plan);
  if (!plan.ok()) {
    std::fprintf(stderr, "crashdrill drill: %s\n", plan.status().ToString().c_str());
    return kExitUsage;
  }
  if (args.step > plan->steps.size()) {
    std::fprintf(stderr, "crashdrill drill: --step %zu: plan '%s' has %zu steps\n", args.step,
                 plan->name.c_str(), plan->steps.size());
    return kExitUsage;
  }
  std::error_code error;
  std::filesystem::create_directories(args.out, error);
  DrillOptions options;
  options.out_dir = std::filesystem::absolute(args.out).string();
  options.state_dir =
      std::filesystem::absolute(args.state_dir.empty() ? args.out + "/state" : args.state_dir)
          .lexically_normal()
          .string();
  while (options.state_dir.size() > 1 && options.state_dir.back() == '/')
    options.state_dir.pop_back();
  options.only_step = args.step;
  options.binary = std::filesystem::read_symlink("/proc/self/exe").string();
  options.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  std::string why;
  const int lock = LockStateDir(options.state_dir, &why);
  if (lock < 0) {
    std::fprintf(stderr, "crashdrill drill: %s\n", why.c_str());
    return kExitUsage;
  }
  struct sigaction action {};
  action.sa_handler = OnDrillSignal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  const int64_t start_ns = WallNowNs();
  const time_t start_seconds = static_cast<time_t>(start_ns / 1'000'000'000);
  tm utc{};
  gmtime_r(&start_seconds, &utc);
  char started_at[32];
  strftime(started_at, sizeof(started_at), "%Y-%m-%dT%H:%M:%SZ", &utc);
  auto outcome = RunDrill(*plan, options);
  if (!outcome.ok()) {
    std::fprintf(stderr, "crashdrill drill: %s\n", outcome.status().ToString().c_str());
    return kExitHarnessFailed;
  }
  const double wall_seconds = static_cast<double>(WallNowNs() - start_ns) / 1e9;
  if (const int written =
          WriteDrillResults(options.out_dir, *outcome, *plan, started_at, wall_seconds);
      written != kExitOk) {
    return written;
  }
  size_t passed = 0;
  for (const auto& step : outcome->drill.steps) passed += step.passed();
  std::fprintf(stderr,
               "drill '%s': %zu of %zu steps passed in %.1f s%s; result.json, report.html, "
               "summary.md, junit.xml in %s\n",
               plan->name.c_str(), passed, outcome->drill.steps.size(), wall_seconds,
               outcome->interrupted ? " (interrupted)" : "", options.out_dir.c_str());
  for (const auto& violation : outcome->scenario.violations) {
    std::fprintf(stderr, "  %s: %s\n    %s\n", violation.property.c_str(), violation.detail.c_str(),
                 violation.repro.c_str());
  }
  ::close(lock);
  if (outcome->interrupted) return kExitHarnessFailed;
  return passed == outcome->drill.steps.size() && !outcome->drill.steps.empty()
             ? kExitOk
             : kExitPropertyFailed;
}

}  // namespace

void RegisterDrillCommand(CLI::App& app, CommandRegistry& registry) {
  auto* command = app.add_subcommand(
      "drill",
      "the recovery drill on real processes and files: kill -9, libfiu, faketime, "
      "partitions, power loss through crashfs; a report to sign");
  auto args = std::make_shared<DrillArgs>();
  command->add_option("--plan", args->plan, "a built-in plan's name (--list-plans) or a plan file")
      ->capture_default_str();
  command->add_option("--out", args->out, "where result.json and the reports go")
      ->capture_default_str();
  command->add_option("--state-dir", args->state_dir,
                      "the engine's state directory (default OUT/state)");
  command->add_option("--step", args->step, "run only this step of the plan (1-based)")
      ->check(CLI::PositiveNumber);
  command->add_flag("--list-plans", args->list_plans, "list the built-in plans and their steps");
  command->callback([&registry, args] { registry.Select([=] { return RunDrillCommand(*args); }); });
}

}  // namespace crashdrill::scenarios

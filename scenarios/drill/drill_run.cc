#include "scenarios/drill/drill_run.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "faults/process_control.h"
#include "scenarios/drill/drill_checks.h"
#include "scenarios/drill/drill_processes.h"
#include "simulator/loopback_venue.h"
#include "simulator/server.h"

namespace crashdrill::scenarios {
namespace {

using faults::FaultKind;
using reports::DrillAction;
using reports::DrillCheck;
using reports::DrillStep;
using system::Status;

std::string UtcLabel(int64_t wall_ns) {
  const time_t seconds = static_cast<time_t>(wall_ns / 1'000'000'000);
  tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

double MsSince(int64_t start_wall_ns) {
  return static_cast<double>(WallNowNs() - start_wall_ns) / 1e6;
}

// The FAKETIME value of a clock step or drift: "+86400", "-3600", "+0 x1.1".
std::string FaketimeOf(const faults::Fault& fault) {
  if (fault.kind == FaultKind::kClockDrift) {
    return fmt::format("+0 x{:.6f}", 1.0 + static_cast<double>(fault.drift_ppm) / 1e6);
  }
  return fmt::format("{:+.0f}", static_cast<double>(fault.clock_step_ns) / 1e9);
}

// The libfiu point and errno a disk fault uses.
std::pair<std::string, int> FiuPointOf(const DrillStepPlan& step) {
  const bool seam = step.via == "seam";
  switch (step.fault.kind) {
    case FaultKind::kNoSpace:
      return {seam ? "crashdrill/fs/write" : "posix/io/rw/pwrite", 28};
    case FaultKind::kSyncFailure:
      return {seam ? "crashdrill/fs/sync" : "posix/io/sync/fdatasync", 5};
    default:
      return {seam ? "crashdrill/fs/write" : "posix/io/rw/pwrite", 5};
  }
}

class DrillRunner {
 public:
  DrillRunner(const DrillPlan& plan, const DrillOptions& options, ExchangeProcess& exchange)
      : plan_(plan), options_(options), exchange_(exchange) {}

  DrillStep RunStep(size_t index, const DrillStepPlan& step);
  const std::vector<Ack>& acks() const { return acks_; }
  // Where the step's children write their stderr.
  std::string StepLog(size_t index) const {
    return fmt::format("{}/step{}.log", options_.out_dir, index);
  }

 private:
  void Say(const std::string& line) const {
    if (options_.progress) options_.progress(line);
  }
  // Runs `work`, timed, as one action of the operator's checklist.
  template <typename Work>
  bool Act(DrillStep& out, const std::string& name, Work work) {
    const int64_t start = WallNowNs();
    std::string outcome;
    const bool ok = work(outcome);
    out.actions.push_back({name, ok, MsSince(start), outcome});
    Say(fmt::format("  {} {} ({:.0f} ms): {}", ok ? "ok  " : "FAIL", name,
                    out.actions.back().duration_ms, outcome));
    return ok;
  }
  // The engine of step `index`; `restart`: the one started after the fault,
  // which runs under the step's faketime for a clock step.
  faults::ChildSpec TradeSpec(const std::string& dir, const DrillStepPlan& step, size_t index,
                              double seconds, bool restart) const;
  void Keep(const EngineProcess& engine);
  DrillStep NewStep(size_t index, const DrillStepPlan& step) const;
  bool MountCrashfs(DrillStep& out, std::optional<CrashfsMount>& mount);
  faults::ChildSpec StepEngineSpec(const std::string& dir, const DrillStepPlan& step,
                                   size_t index) const;
  bool InjectWhileRunning(DrillStep& out, const DrillStepPlan& step, EngineProcess& engine);
  bool InjectDiskFault(DrillStep& out, const DrillStepPlan& step, EngineProcess& engine);
  bool PartitionWhileTrading(DrillStep& out, const DrillStepPlan& step, EngineProcess& engine);
  bool ResumesOrStops(EngineProcess& engine, size_t index, std::string& outcome);
  bool Recover(DrillStep& out, const DrillStepPlan& step, const std::string& dir,
               uint64_t* recovered_seq);
  void Check(DrillStep& out, const std::string& dir, uint64_t recovered_seq, int64_t fault_ns);
  void Resume(DrillStep& out, const DrillStepPlan& step, const std::string& dir, size_t index);

  const DrillPlan& plan_;
  const DrillOptions& options_;
  ExchangeProcess& exchange_;
  std::vector<Ack> acks_;          // every acknowledgement of every engine, in order
  std::set<std::string> intents_;  // client order ids acknowledged as intents
  uint64_t venue_cursor_ = 0;      // P4: venue reports checked up to here
};

faults::ChildSpec DrillRunner::TradeSpec(const std::string& dir, const DrillStepPlan& step,
                                         size_t index, double seconds, bool restart) const {
  faults::ChildSpec spec;
  spec.argv = {options_.binary,
               "trade",
               "--state-dir",
               dir,
               "--venue",
               exchange_.address(),
               "--seconds",
               fmt::format("{}", seconds),
               "--seed",
               std::to_string(plan_.seed * 1000 + index),
               "--snapshot-period-seconds",
               "1",
               "--acks",
               "--stdin-lifeline"};
  spec.stdin_pipe = true;  // its lifeline: if the drill dies, the engine stops
  spec.stderr_path = StepLog(index);
  const FaultKind kind = step.fault.kind;
  if (restart && (kind == FaultKind::kClockStep || kind == FaultKind::kClockDrift)) {
    faults::AddFaketime(spec, {.faketime = FaketimeOf(step.fault), .threaded = true});
  }
  return spec;
}

void DrillRunner::Keep(const EngineProcess& engine) {
  for (Ack& ack : engine.acks()) {
    if (ack.type == "order_submit") intents_.insert(ack.detail);
    acks_.push_back(std::move(ack));
  }
}

// The fault of a step that hits the engine while it runs; ends with it dead.
bool DrillRunner::InjectWhileRunning(DrillStep& out, const DrillStepPlan& step,
                                     EngineProcess& engine) {
  const FaultKind kind = step.fault.kind;
  if (kind == FaultKind::kCrash && !step.during.empty()) {
    return Act(
        out, fmt::format("kill -9 the engine inside a {}", step.during), [&](std::string& outcome) {
          auto paused = engine.WaitForPause(30'000);
          engine.Kill();
          outcome = paused.ok() ? fmt::format("{}; SIGKILL", *paused) : paused.status().ToString();
          return paused.ok();
        });
  }
  if (kind == FaultKind::kNoSpace || kind == FaultKind::kIoError ||
      kind == FaultKind::kSyncFailure) {
    return InjectDiskFault(out, step, engine);
  }
  if (kind == FaultKind::kNetworkPartition && step.during == "trading") {
    return PartitionWhileTrading(out, step, engine);
  }
  engine.Kill();  // a plain kill -9; clock skew and a partition in recovery come next
  out.actions.push_back(
      {"kill -9 the engine", true, 0, fmt::format("SIGKILL to pid {}", engine.pid())});
  return true;
}

// ENOSPC, EIO or a failed fsync through fiu-ctrl's fifo for the step's
// duration; then the engine must go on or stop itself; then kill -9.
bool DrillRunner::InjectDiskFault(DrillStep& out, const DrillStepPlan& step,
                                  EngineProcess& engine) {
  const std::pair<std::string, int> fiu = FiuPointOf(step);
  const std::string& point = fiu.first;  // not a structured binding: lambdas capture it
  const int error = fiu.second;
  const std::string fifo = options_.out_dir + "/fiu";
  system::SystemClock clock;
  const auto send = [&](const std::string& command) {
    return faults::SendFiuCommand(fifo, engine.pid(), command, clock, 5 * system::kNanosPerSecond);
  };
  bool ok = Act(out,
                fmt::format("inject {} (errno {}) at {} with fiu-ctrl for {} ms",
                            faults::FaultKindName(step.fault.kind), error, point,
                            step.fault.duration_ns / 1'000'000),
                [&](std::string& outcome) {
                  const size_t before = engine.acks().size();
                  Status status = send(fmt::format("enable name={},failinfo={}", point, error));
                  const int64_t until = WallNowNs() + step.fault.duration_ns;
                  while (status.ok() && WallNowNs() < until && engine.Poll()) Nap();
                  const size_t during = engine.acks().size() - before;
                  if (status.ok() && engine.exit_code()) {
                    outcome = fmt::format(
                        "enabled; the engine exited with {} while it was on ({} "
                        "acknowledgements meanwhile)",
                        *engine.exit_code(), during);
                    return true;
                  }
                  if (status.ok()) status = send(fmt::format("disable name={}", point));
                  outcome = status.ok() ? fmt::format(
                                              "enabled, then disabled; {} "
                                              "acknowledgements while it was on",
                                              during)
                                        : status.ToString();
                  return status.ok();
                });
  ok = ok && Act(out, "the engine acknowledges again, or stops itself (fail-stop)",
                 [&](std::string& outcome) { return ResumesOrStops(engine, out.index, outcome); });
  engine.Kill();
  // libfiu's remote-control fifos of a killed engine stay behind: remove them.
  for (const char* end : {".in", ".out"}) {
    std::filesystem::remove(fmt::format("{}-{}{}", fifo, engine.pid(), end));
  }
  return ok;
}

// The exchange partitioned (a black hole) for the step's duration while the
// engine trades; after the heal it must trade again; then kill -9.
bool DrillRunner::PartitionWhileTrading(DrillStep& out, const DrillStepPlan& step,
                                        EngineProcess& engine) {
  bool ok = Act(out,
                fmt::format("partition the exchange for {} ms while trading",
                            step.fault.duration_ns / 1'000'000),
                [&](std::string& outcome) {
                  Status status = exchange_.Control("partition");
                  const int64_t until = WallNowNs() + step.fault.duration_ns;
                  while (status.ok() && WallNowNs() < until && engine.Poll()) Nap();
                  if (status.ok()) status = exchange_.Control("heal");
                  outcome = status.ok() ? "partitioned, then healed" : status.ToString();
                  return status.ok() && !engine.exit_code();
                });
  ok = ok && Act(out, "trading resumes after the partition heals", [&](std::string& outcome) {
         const Status status =
             engine.WaitForAcks(engine.acks().size() + 20, plan_.resume_timeout_ms);
         outcome = status.ok() ? "20 new acknowledgements" : status.ToString();
         return status.ok();
       });
  engine.Kill();
  return ok;
}

// The last line of `path` ("" when there is none): what a stuck child said last.
std::string LastLine(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

// After a disk fault: the engine acknowledges 20 more records, or it stopped
// itself saying why (a failed WAL sync poisons the log until it is reopened,
// and `trade` exits 1 so that a restart recovers). Anything else (hanging with
// nothing acknowledged, dying without a word) fails P9.
bool DrillRunner::ResumesOrStops(EngineProcess& engine, size_t index, std::string& outcome) {
  const size_t want = engine.acks().size() + 20;
  const Status status = engine.WaitForAcks(want, plan_.resume_timeout_ms);
  if (status.ok()) {
    outcome = "20 new acknowledgements";
    return true;
  }
  if (engine.exit_code() == 1) {
    std::ifstream log(StepLog(index));
    for (std::string line; std::getline(log, line);) {
      if (line.find("fail-stop") != std::string::npos) {
        outcome = fmt::format("exited 1 (fail-stop): {}", line);
        return true;
      }
    }
  }
  outcome = status.ToString();
  return false;
}

bool DrillRunner::Recover(DrillStep& out, const DrillStepPlan& step, const std::string& dir,
                          uint64_t* recovered_seq) {
  faults::ChildSpec spec;
  spec.stderr_path = StepLog(out.index);
  spec.argv = {options_.binary,        "recover", dir, "--venue", exchange_.address(), "--json",
               "--venue-wait-seconds", "60"};
  const FaultKind kind = step.fault.kind;
  const bool clock = kind == FaultKind::kClockStep || kind == FaultKind::kClockDrift;
  if (clock) faults::AddFaketime(spec, {.faketime = FaketimeOf(step.fault), .threaded = true});
  const bool partition = kind == FaultKind::kNetworkPartition && step.during == "recovery";
  std::string reference;  // P6: the base an unskewed read-only pass chooses
  if (clock) {
    faults::ChildSpec inspect;
    inspect.stderr_path = StepLog(out.index);
    inspect.argv = {options_.binary, "inspect", dir, "--json"};
    auto run = RunToEnd(inspect, 60'000);
    if (run.ok()) {
      const auto json = nlohmann::json::parse(run->out, nullptr, false);
      if (!json.is_discarded()) {
        reference = fmt::format("{} state_seq {}", json.value("source", ""),
                                json.value("recovered_seq", uint64_t{0}));
      }
    }
  }
  std::thread healer;
  if (partition && exchange_.Control("partition").ok()) {
    healer = std::thread([this, &step] {
      const int64_t until = WallNowNs() + step.fault.duration_ns;
      while (WallNowNs() < until && !DrillInterrupted()) Nap();
      (void)exchange_.Control("heal");
    });
  }
  bool ok =
      Act(out,
          fmt::format("recover and reconcile with the exchange{}{}",
                      clock ? fmt::format(" (FAKETIME={})", FaketimeOf(step.fault)) : "",
                      partition ? " through the partition" : ""),
          [&](std::string& outcome) {
            // Bounded below a caller's own patience: a recovery that hangs is
            // killed by the drill and reported, never left behind.
            auto run = RunToEnd(spec, 90'000);
            if (healer.joinable()) healer.join();
            if (!run.ok()) {
              outcome = run.status().ToString();
              return false;
            }
            out.rto_ms = run->wall_ms;
            const auto json = nlohmann::json::parse(run->out, nullptr, false);
            if (json.is_discarded() || !json.is_object()) {
              outcome = fmt::format("exit {}; no recovery report on stdout", run->exit_code);
              return false;
            }
            *recovered_seq = json.value("recovered_seq", uint64_t{0});
            const bool reconciled = json.value("reconciled", false);
            if (run->exit_code == 0 && reconciled) out.recovered_from = json.value("source", "");
            outcome = fmt::format(
                "exit {}; base {} state_seq {}, {} WAL records replayed, {} discrepancies adopted "
                "from the venue, reconciled: {}",
                run->exit_code, json.value("source", "?"), json.value("base_seq", uint64_t{0}),
                json.value("records_replayed", uint64_t{0}),
                json.contains("discrepancies") ? json["discrepancies"].size() : 0,
                reconciled ? "yes" : "no");
            if (!reference.empty()) {
              const std::string chosen =
                  fmt::format("{} state_seq {}", json.value("source", ""), *recovered_seq);
              out.checks.push_back({"P6", chosen == reference,
                                    fmt::format("under the skewed clock recovery chose {}; without "
                                                "skew the same directory gives {}",
                                                chosen, reference)});
            }
            return run->exit_code == 0 && reconciled;
          });
  if (healer.joinable()) healer.join();
  return ok;
}

void DrillRunner::Check(DrillStep& out, const std::string& dir, uint64_t recovered_seq,
                        int64_t fault_ns) {
  simulator::LoopbackVenueConfig config;
  (void)simulator::ParseLoopbackAddress(exchange_.address(), &config.host, &config.port);
  config.account = "engine";
  simulator::LoopbackVenue venue(config);
  Act(out, "compare with the exchange and with what was acknowledged", [&](std::string& outcome) {
    int64_t lost_since_ns = 0;
    out.checks.push_back(CheckNothingAcknowledgedLost(dir, acks_, recovered_seq, &lost_since_ns));
    if (lost_since_ns != 0)
      out.rpo_critical_ms = static_cast<double>(fault_ns - lost_since_ns) / 1e6;
    out.checks.push_back(CheckAgreementWithVenue(dir, venue));
    out.checks.push_back(CheckNoDuplicateOrOrphanOrders(venue, intents_, &venue_cursor_));
    out.checks.push_back(
        {"P8", !out.recovered_from.empty() && out.rto_ms <= static_cast<double>(out.rto_target_ms),
         out.recovered_from.empty()
             ? "recovery did not finish"
             : fmt::format("recovered and reconciled in {:.0f} ms of wall time; target {} ms",
                           out.rto_ms, out.rto_target_ms)});
    size_t held = 0;
    for (const DrillCheck& check : out.checks) held += check.held;
    outcome = fmt::format("{} of {} checks held", held, out.checks.size());
    return held == out.checks.size();
  });
}

// P9: the engine trades again from the recovered directory.
void DrillRunner::Resume(DrillStep& out, const DrillStepPlan& step, const std::string& dir,
                         size_t index) {
  bool held = false;
  std::string evidence;
  Act(out, "resume trading", [&](std::string& outcome) {
    auto engine = EngineProcess::Start(TradeSpec(dir, step, index, 60, /*restart=*/true));
    if (!engine.ok()) {
      outcome = engine.status().ToString();
      return false;
    }
    const Status status = engine->WaitForAcks(20, plan_.resume_timeout_ms);
    const size_t count = engine->acks().size();
    engine->Kill();
    Keep(*engine);
    held = status.ok();
    evidence = held ? fmt::format("the restarted engine acknowledged {} new records", count)
                    : status.ToString();
    outcome = evidence;
    return held;
  });
  out.checks.push_back({"P9", held, evidence});
}

// The record of a step before it runs: what the plan says and how to rerun it.
DrillStep DrillRunner::NewStep(size_t index, const DrillStepPlan& step) const {
  DrillStep out;
  out.index = index;
  out.name = step.name;
  out.fault = FaultLabel(step.fault);
  out.fault_detail = DescribeFault(step);
  out.started_at = UtcLabel(WallNowNs());
  out.rto_target_ms = plan_.RtoTargetMs(step);
  out.repro = fmt::format("crashdrill drill --plan {} --step {}",
                          plan_.source == "built-in" ? plan_.name : plan_.source, index);
  return out;
}

// A power-loss step's crash filesystem over the state directory.
bool DrillRunner::MountCrashfs(DrillStep& out, std::optional<CrashfsMount>& mount) {
  const std::string mountpoint = fmt::format("{}/crashfs-step{}", options_.out_dir, out.index);
  std::filesystem::create_directories(mountpoint);
  return Act(out, "mount the state directory through crashfs", [&](std::string& outcome) {
    auto m =
        CrashfsMount::Mount(options_.binary, options_.state_dir, mountpoint,
                            nlohmann::json(plan_.crash_model).dump(), plan_.seed * 1000 + out.index,
                            fmt::format("{}/crashfs-step{}.log", options_.out_dir, out.index));
    outcome = m.ok() ? fmt::format("{} backed by {}", mountpoint, options_.state_dir)
                     : m.status().ToString();
    if (m.ok()) mount.emplace(std::move(m).value());
    return m.ok();
  });
}

// The engine of a step: trade --acks, paused at the step's moment or
// reachable by fiu-ctrl when the step needs it.
faults::ChildSpec DrillRunner::StepEngineSpec(const std::string& dir, const DrillStepPlan& step,
                                              size_t index) const {
  faults::ChildSpec spec = TradeSpec(dir, step, index, 3600, /*restart=*/false);
  const FaultKind kind = step.fault.kind;
  if (kind == FaultKind::kCrash && !step.during.empty()) {
    spec.argv.insert(spec.argv.end(), {"--pause-at", step.during, "--pause-after-acks",
                                       std::to_string(step.after_acks)});
  }
  if (kind == FaultKind::kNoSpace || kind == FaultKind::kIoError ||
      kind == FaultKind::kSyncFailure) {
    faults::AddFiuRun(spec, {}, options_.out_dir + "/fiu");
  }
  return spec;
}

DrillStep DrillRunner::RunStep(size_t index, const DrillStepPlan& step) {
  DrillStep out = NewStep(index, step);
  Say(fmt::format("step {}: {} — {}", index, step.name, out.fault_detail));
  const bool power = step.fault.kind == FaultKind::kCrash &&
                     step.fault.crash_kind == faults::CrashKind::kPowerLoss;
  std::optional<CrashfsMount> mount;
  if (power && !MountCrashfs(out, mount)) return out;
  const std::string dir = mount ? mount->mountpoint() : options_.state_dir;
  auto engine = EngineProcess::Start(StepEngineSpec(dir, step, index));
  if (!engine.ok()) {
    out.actions.push_back({"start the engine", false, 0, engine.status().ToString()});
    return out;
  }
  const bool running =
      Act(out, fmt::format("trade until {} acknowledgements", step.after_acks),
          [&](std::string& outcome) {
            const Status status = engine->WaitForAcks(step.after_acks, 60'000);
            outcome = status.ok() ? fmt::format("pid {}", engine->pid())
                                  : fmt::format("{}; its log ends: {}", status.ToString(),
                                                LastLine(StepLog(index)));
            return status.ok();
          });
  bool injected = false;
  if (running && power) {
    injected = Act(out, "cut the power (crashfs --power-loss)", [&](std::string& outcome) {
      auto summary = mount->PowerLoss(options_.binary);
      outcome = summary.ok() ? *summary : summary.status().ToString();
      return summary.ok();
    });
  } else if (running) {
    injected = InjectWhileRunning(out, step, *engine);
  }
  engine->Kill();
  const int64_t fault_ns = WallNowNs();
  out.acknowledged = engine->acks().size();
  Keep(*engine);
  if (!injected || !Act(out, "hold the exchange's market still", [&](std::string& outcome) {
        const Status status = exchange_.Control("pause-market");
        outcome = status.ok() ? "paused" : status.ToString();
        return status.ok();
      })) {
    return out;
  }
  uint64_t recovered_seq = 0;
  Recover(out, step, dir, &recovered_seq);
  Check(out, dir, recovered_seq, fault_ns);
  (void)exchange_.Control("resume-market");
  Resume(out, step, dir, index);
  if (mount) {
    Act(out, "unmount crashfs: the state directory holds what survived", [&](std::string& outcome) {
      const Status status = mount->Unmount();
      outcome = status.ok() ? "unmounted" : status.ToString();
      return status.ok();
    });
  }
  Say(fmt::format("step {}: {}", index, out.passed() ? "passed" : "FAILED"));
  return out;
}

reports::ScenarioRecord Summarise(const reports::DrillRecord& drill, const DrillPlan& plan,
                                  uint64_t acknowledged) {
  reports::ScenarioRecord scenario;
  scenario.name = "drill";
  scenario.mode = "process";
  scenario.cases = drill.steps.size();
  scenario.acknowledged = acknowledged;
  scenario.rto.target_ms = plan.rto_target_ms;
  scenario.rpo_critical.target_ms = 0;
  for (const DrillStep& step : drill.steps) {
    ++scenario.faults_fired[step.fault];
    scenario.crashes += 1;
    if (!step.recovered_from.empty()) {
      scenario.rto.values_ms.push_back(step.rto_ms);
      scenario.rpo_critical.values_ms.push_back(step.rpo_critical_ms);
      ++scenario.recovered_from[step.recovered_from];
    }
    for (const DrillCheck& check : step.checks) {
      if (!check.held) {
        scenario.violations.push_back({check.property, step.repro, check.evidence, step.index - 1});
      }
    }
    for (const DrillAction& action : step.actions) {
      if (!action.ok && step.checks.empty()) {
        scenario.violations.push_back(
            {"P9", step.repro, fmt::format("{}: {}", action.name, action.outcome), step.index - 1});
        break;
      }
    }
  }
  std::sort(scenario.rto.values_ms.begin(), scenario.rto.values_ms.end());
  std::sort(scenario.rpo_critical.values_ms.begin(), scenario.rpo_critical.values_ms.end());
  return scenario;
}

}  // namespace

system::Result<DrillOutcome> RunDrill(const DrillPlan& plan, const DrillOptions& options) {
  std::filesystem::create_directories(options.state_dir);
  CD_ASSIGN_OR_RETURN(ExchangeProcess exchange,
                      ExchangeProcess::Start(options.binary, plan.venue, plan.seed,
                                             options.out_dir + "/exchange.log"));
  if (options.progress) {
    options.progress(fmt::format("drill '{}' ({}): exchange on {}, state directory {}", plan.name,
                                 plan.source, exchange.address(), options.state_dir));
  }
  DrillRunner runner(plan, options, exchange);
  DrillOutcome outcome;
  outcome.drill.plan = plan.name;
  outcome.drill.plan_source = plan.source;
  outcome.drill.state_dir = options.state_dir;
  outcome.drill.venue = exchange.address();
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    if (options.only_step != 0 && options.only_step != i + 1) continue;
    if (DrillInterrupted()) {
      outcome.interrupted = true;
      break;
    }
    outcome.drill.steps.push_back(runner.RunStep(i + 1, plan.steps[i]));
  }
  outcome.interrupted = outcome.interrupted || DrillInterrupted();
  outcome.scenario = Summarise(outcome.drill, plan, runner.acks().size());
  return outcome;
}

}  // namespace crashdrill::scenarios

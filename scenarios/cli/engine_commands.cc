// The operator's commands on a real state directory (PosixFs, real fsync and
// mmap, the system clock):
//   crashdrill inspect STATE_DIR [--json]        every copy of every level; exit 0
//                                                when a valid base exists (a copy, or a
//                                                log from its start), 1 when none
//   crashdrill recover STATE_DIR [--venue ADDR] [--json]
//   crashdrill trade --state-dir DIR [--venue ADDR] [--seconds N] [--seed S]
//                    [--crash-after N] [--acks]
// `trade` runs the engine with its strategy against a `crashdrill exchange`
// server at ADDR (which outlives the engine, so `recover --venue ADDR` can
// reconcile against the same market) or an in-process simulator. With --acks it
// writes one line per acknowledged critical update to stdout, unbuffered, before
// it acts on it ("ack <state_seq> <record type> <client order id>"): a harness
// learns what was acknowledged without trusting the engine's files.
// --crash-after N: _exit(9) right after the Nth acknowledgement, as abrupt as
// a kill -9 (nothing flushed, no destructor run).
// Fail-stop: when a WAL sync fails the log refuses every append until it is
// reopened (Linux fsync semantics), so `trade` exits 1 naming the failure; a
// restart (a supervisor, or the drill) recovers from what is durable.
// --pause-at checkpoint|snapshot|wal-commit [--pause-after-acks N]: after N
// acknowledgements, the next sync of that moment prints "paused <moment> <path>"
// and blocks, so a drill can kill -9 the engine inside it (pause_at_moment.h).
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <thread>

#include "scenarios/cli/commands.h"
#include "scenarios/cli/pause_at_moment.h"
#include "scenarios/cli/recovery_json.h"
#include "simulator/in_process_venue.h"
#include "simulator/loopback_venue.h"
#include "simulator/market.h"
#include "simulator/server.h"
#include "system/archive/archive_copy_source.h"
#include "system/archive/sqlite_archive.h"
#include "system/io/posix_fs.h"
#include "system/levels/async_archive.h"
#include "system/recovery/local_recovery.h"
#include "system/recovery/reconcile.h"
#include "system/recovery/recover.h"

namespace crashdrill::scenarios {
namespace {

using system::Status;

constexpr std::string_view kAccount = "engine";

void Error(std::string_view command, const Status& status) {
  std::fprintf(stderr, "crashdrill %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               status.ToString().c_str());
}

// The venue the engine talks to: a loopback server, or a simulator in this process.
struct VenueWorld {
  std::unique_ptr<simulator::Exchange> exchange;
  std::unique_ptr<simulator::Market> market;
  std::unique_ptr<system::Venue> venue;
};

system::Result<VenueWorld> MakeVenue(const std::string& address, uint64_t seed,
                                     system::Clock& clock) {
  VenueWorld world;
  if (!address.empty()) {
    simulator::LoopbackVenueConfig config;
    CD_RETURN_IF_ERROR(simulator::ParseLoopbackAddress(address, &config.host, &config.port));
    config.account = std::string(kAccount);
    world.venue = std::make_unique<simulator::LoopbackVenue>(config);
    return world;
  }
  world.exchange = std::make_unique<simulator::Exchange>(simulator::ExchangeConfig{});
  world.market = std::make_unique<simulator::Market>(*world.exchange, simulator::MarketConfig{},
                                                     seed, clock.Mono());
  const auto account = world.exchange->OpenAccount(kAccount, 0);
  world.venue = std::make_unique<simulator::InProcessVenue>(
      *world.exchange, world.market.get(), clock, account, simulator::LinkConfig{}, seed);
  return world;
}

system::RecoverOptions Options(const std::string& state_dir, uint64_t seed) {
  system::RecoverOptions options;
  options.checkpointer.state_dir = state_dir;
  options.engine = system::DefaultEngineOptions(seed);
  options.engine.account_id = std::string(kAccount);
  return options;
}

// Recovers; a failed fsync or read while opening the levels is tried again a
// few times (the kernel dropped what it could not write; opening again reads
// the truth), anything else is returned.
system::Result<system::RecoveredEngine> RecoverWithRetry(system::Fs& fs, system::Clock& clock,
                                                         system::Venue& venue,
                                                         const system::RecoverOptions& options,
                                                         system::ArchiveSink* archive = nullptr) {
  for (int attempt = 1;; ++attempt) {
    auto recovered = system::RecoverEngine(fs, clock, venue, options, archive);
    if (recovered.ok() || recovered.status().code() != system::StatusCode::kIoError ||
        attempt == 3) {
      return recovered;
    }
    std::fprintf(stderr, "crashdrill: recovery failed (%s); recovering again\n",
                 recovered.status().ToString().c_str());
  }
}

// Reconciles, retrying while the venue is unreachable, for at most `seconds`.
Status ReconcileWithRetry(system::Engine& engine, system::Clock& clock,
                          system::RecoveryReport& report, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (true) {
    Status status = system::Reconcile(engine, clock, report);
    if (status.ok() || status.code() != system::StatusCode::kUnavailable ||
        std::chrono::steady_clock::now() >= deadline) {
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// The archive named by --archive (none when empty) as a recovery copy source.
struct ArchiveSource {
  std::unique_ptr<system::ArchiveDatabase> archive;
  std::unique_ptr<system::ArchiveCopySource> source;
  std::vector<system::CopySource*> sources() const {
    return source ? std::vector<system::CopySource*>{source.get()}
                  : std::vector<system::CopySource*>{};
  }
};
system::Result<ArchiveSource> OpenArchiveSource(system::Fs& fs, system::Clock& clock,
                                                const std::string& spec) {
  ArchiveSource out;
  if (spec.empty()) return out;
  CD_ASSIGN_OR_RETURN(out.archive, OpenArchiveSpec(fs, clock, spec));
  out.source = std::make_unique<system::ArchiveCopySource>(*out.archive);
  return out;
}

int RunInspect(const std::string& state_dir, bool json, const std::string& archive_spec) {
  system::PosixFs fs;
  system::SystemClock clock;
  auto archive = OpenArchiveSource(fs, clock, archive_spec);
  if (!archive.ok()) {
    Error("inspect", archive.status());
    return kExitUsage;
  }
  system::LocalRecoveryOptions options;
  options.state_dir = state_dir;
  options.examine_every_copy = true;
  options.copy_sources = archive->sources();
  auto recovery = system::RecoverLocal(fs, clock, options);
  if (!recovery.ok()) {
    Error("inspect", recovery.status());
    return kExitHarnessFailed;
  }
  const auto& report = recovery->report;
  if (json) {
    std::printf("%s\n", RecoveryReportJson(report).dump(2).c_str());
  } else {
    std::fputs(RecoveryReportText(report).c_str(), stdout);
  }
  // A valid base: a valid copy, or a log that rebuilds the state from its start.
  return report.base || report.recovered_seq > 0 ? kExitOk : 1;
}

int RunRecover(const std::string& state_dir, const std::string& venue_address, bool json,
               int venue_wait_seconds, const std::string& archive_spec) {
  system::PosixFs fs;
  system::SystemClock clock;
  auto archive = OpenArchiveSource(fs, clock, archive_spec);
  if (!archive.ok()) {
    Error("recover", archive.status());
    return kExitUsage;
  }
  system::RecoverOptions options = Options(state_dir, /*seed=*/1);
  options.copy_sources = archive->sources();
  system::RecoveryReport report;
  if (venue_address.empty()) {
    // Local only: the levels are made ready (torn tail repaired, damage
    // quarantined) and the recovered state is written as a manual L2 version.
    system::LocalRecoveryOptions local_options;
    local_options.state_dir = state_dir;
    local_options.copy_sources = options.copy_sources;
    auto local = system::RecoverLocal(fs, clock, local_options);
    if (!local.ok()) {
      Error("recover", local.status());
      return kExitHarnessFailed;
    }
    Status status = system::PrepareForAppend(
        fs, *local,
        options.checkpointer
            .versions_kept[static_cast<size_t>(system::CheckpointType::kEmergency)]);
    report = local->report;
    system::MultiLevelCheckpointer checkpointer(fs, clock, options.checkpointer);
    if (status.ok()) status = checkpointer.Open(std::move(local->state));
    if (status.ok()) status = checkpointer.Checkpoint(system::CheckpointType::kManual);
    report.notes.push_back(
        "local recovery only: no venue given, so nothing was reconciled with the exchange");
    if (json) {
      std::printf("%s\n", RecoveryReportJson(report).dump(2).c_str());
    } else {
      std::fputs(RecoveryReportText(report).c_str(), stdout);
    }
    if (!status.ok()) {
      Error("recover", status);
      return kExitHarnessFailed;
    }
    return report.base || report.recovered_seq > 0 ? kExitOk : 1;
  }
  auto world = MakeVenue(venue_address, 1, clock);
  if (!world.ok()) {
    Error("recover", world.status());
    return kExitUsage;
  }
  auto recovered = RecoverWithRetry(fs, clock, *world->venue, options);
  if (!recovered.ok()) {
    Error("recover", recovered.status());
    return kExitHarnessFailed;
  }
  Status status =
      ReconcileWithRetry(*recovered->engine, clock, recovered->report, venue_wait_seconds);
  if (status.ok()) status = recovered->checkpointer->Checkpoint(system::CheckpointType::kManual);
  if (json) {
    std::printf("%s\n", RecoveryReportJson(recovered->report).dump(2).c_str());
  } else {
    std::fputs(RecoveryReportText(recovered->report).c_str(), stdout);
  }
  if (!status.ok()) {
    Error("recover", status);
    return kExitHarnessFailed;
  }
  return kExitOk;
}

// Writes all of `line` to stdout with write(2): no stdio buffer can hold an
// acknowledgement back from the harness when the process dies.
void WriteLine(const std::string& line) {
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

std::string AckedOrderId(const system::StateUpdate& update) {
  return std::visit(
      [](const auto& u) -> std::string {
        using T = std::decay_t<decltype(u)>;
        if constexpr (std::is_same_v<T, system::OrderSubmitted>)
          return u.order.client_order_id;
        else if constexpr (std::is_same_v<T, system::FillReceived>) {
          return fmt::format("{} exchange_seq {}", u.fill.client_order_id, u.fill.exchange_seq);
        } else if constexpr (requires { u.client_order_id; })
          return u.client_order_id;
        else
          return "-";
      },
      update);
}

// SIGUSR1 asks a running `trade` to archive its state now (on demand, besides
// the archive period); the loop sees the flag within one step.
std::atomic<bool> g_archive_requested{false};
extern "C" void RequestArchive(int) { g_archive_requested.store(true); }

struct TradeArgs {
  std::string state_dir;
  std::string venue;
  double seconds = 10;
  uint64_t seed = 1;
  uint64_t crash_after = 0;
  bool acks = false;
  std::string archive;  // sqlite:/PATH, or none
  double archive_period_seconds = 3600;
  double snapshot_period_seconds = 300;
  std::string pause_at;  // a PersistenceMoment name, or none
  uint64_t pause_after_acks = 0;
  bool stdin_lifeline = false;
};

// --stdin-lifeline: the harness that started this engine holds its stdin; EOF
// means the harness is gone (however it died), and the engine stops at once,
// as abruptly as a kill -9, rather than trade on unwatched.
void WatchLifeline() {
  std::thread([] {
    char byte;
    while (::read(STDIN_FILENO, &byte, 1) > 0) {
    }
    ::_exit(kExitHarnessFailed);
  }).detach();
}

int RunTrade(const TradeArgs& args) {
  if (args.stdin_lifeline) WatchLifeline();
  const std::string& state_dir = args.state_dir;
  const double seconds = args.seconds;
  const uint64_t crash_after = args.crash_after;
  const bool acks = args.acks;
  system::PosixFs posix_fs;
  system::SystemClock clock;
  std::unique_ptr<PauseAtMomentFs> pausing;
  if (!args.pause_at.empty()) {
    auto moment = ParsePersistenceMoment(args.pause_at);
    if (!moment.ok()) {
      Error("trade", moment.status());
      return kExitUsage;
    }
    pausing = std::make_unique<PauseAtMomentFs>(posix_fs, state_dir, *moment);
    if (args.pause_after_acks == 0) pausing->Arm();
  }
  system::Fs& fs = pausing ? static_cast<system::Fs&>(*pausing) : posix_fs;
  auto world = MakeVenue(args.venue, args.seed, clock);
  if (!world.ok()) {
    Error("trade", world.status());
    return kExitUsage;
  }
  // The archive is the last line of defence: it is written on its period and
  // also used as a recovery candidate at start (the directory may be new).
  // An archive that is down at start does not stop trading: its copies are
  // not recovery candidates this time, and every archive period tries again.
  auto archive = OpenArchiveSource(fs, clock, args.archive);
  if (!archive.ok() && archive.status().code() != system::StatusCode::kInvalidArgument) {
    std::fprintf(stderr, "crashdrill trade: the archive cannot be opened now (%s); trading goes "
                 "on and each archive period tries again\n",
                 archive.status().ToString().c_str());
    auto unopened = MakeArchiveSpec(fs, clock, args.archive);
    if (unopened.ok()) archive = ArchiveSource{.archive = std::move(unopened).value()};
  }
  if (!archive.ok()) {
    Error("trade", archive.status());
    return kExitUsage;
  }
  system::RecoverOptions options = Options(state_dir, args.seed);
  options.checkpointer.archive_period_ns =
      static_cast<int64_t>(args.archive_period_seconds * 1e9);
  options.checkpointer.snapshot_period_ns =
      static_cast<int64_t>(args.snapshot_period_seconds * 1e9);
  options.copy_sources = archive->sources();
  // The archive is written by a worker thread: a database that is down or
  // slow (a PostgreSQL connect timeout) never holds up the trading loop.
  std::unique_ptr<system::ThreadExecutor> archive_worker;
  std::unique_ptr<system::AsyncArchiveSink> async_archive;
  if (archive->archive) {
    archive_worker = std::make_unique<system::ThreadExecutor>();
    async_archive = std::make_unique<system::AsyncArchiveSink>(*archive->archive, *archive_worker);
  }
  auto recovered = RecoverWithRetry(fs, clock, *world->venue, options, async_archive.get());
  if (!recovered.ok()) {
    Error("trade", recovered.status());
    return kExitHarnessFailed;
  }
  system::Engine& engine = *recovered->engine;
  uint64_t acknowledged = 0;
  engine.SetAckObserver([&](system::Seq seq, const system::StateUpdate& update) {
    ++acknowledged;
    if (acks) {
      WriteLine(fmt::format("ack {} {} {}\n", seq, system::RecordTypeName(system::TypeOf(update)),
                            AckedOrderId(update)));
    }
    if (crash_after != 0 && acknowledged >= crash_after) ::_exit(9);
    if (pausing && acknowledged == args.pause_after_acks) pausing->Arm();
  });
  Status status = ReconcileWithRetry(engine, clock, recovered->report, 10);
  std::fprintf(stderr, "%s", RecoveryReportText(recovered->report).c_str());
  if (!status.ok()) {
    Error("trade", status);
    return kExitHarnessFailed;
  }
  struct sigaction action {};
  action.sa_handler = RequestArchive;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGUSR1, &action, nullptr);
  const auto stop = std::chrono::steady_clock::now() +
                    std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6));
  while (std::chrono::steady_clock::now() < stop) {
    (void)engine.Step();  // failures are counted in stats() and the last one kept
    if (recovered->checkpointer->NeedsReopen()) {
      std::fprintf(stderr,
                   "crashdrill trade: stopping (fail-stop): %s; the log takes no appends until it "
                   "is reopened, so restart to recover from what is durable\n",
                   engine.stats().last_error.ToString().c_str());
      return kExitPropertyFailed;
    }
    if (g_archive_requested.exchange(false)) {
      // Handed to the archive's worker like a period's copy: the loop goes on.
      const Status handed = async_archive
                                ? async_archive->Archive(engine.state())
                                : Status::InvalidArgument("--archive", "no archive was given");
      std::fprintf(stderr, "crashdrill trade: archive requested (SIGUSR1): state_seq %llu %s\n",
                   static_cast<unsigned long long>(engine.state().trading.state_seq),
                   handed.ok() ? "handed to the archive worker" : handed.ToString().c_str());
    }
    if (engine.resync_needed()) {
      // Reports were lost and the venue no longer keeps them: the engine sends
      // nothing until it agrees with the venue again.
      system::RecoveryReport resync;
      const Status resynced = system::Reconcile(engine, clock, resync);
      std::fprintf(stderr, "crashdrill: reports lost and gone from the venue; reconciled: %s\n%s",
                   resynced.ToString().c_str(), RecoveryReportText(resync).c_str());
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  // A clean stop: every level gets the final state.
  status = recovered->checkpointer->Checkpoint(system::CheckpointType::kManual);
  const auto& s = engine.stats();
  const auto& t = engine.state().trading;
  std::fprintf(stderr,
               "stopped after %.1f s: state_seq %llu, %zu open, %zu pending, %zu positions; "
               "%llu intents, %llu sent, %llu reports applied, %llu refused by risk, "
               "%llu commit failures, %llu checkpoint failures%s%s\n",
               seconds, static_cast<unsigned long long>(t.state_seq), t.open_orders.size(),
               t.pending_orders.size(), t.positions.size(),
               static_cast<unsigned long long>(s.intents_logged),
               static_cast<unsigned long long>(s.orders_sent),
               static_cast<unsigned long long>(s.reports_applied),
               static_cast<unsigned long long>(s.risk_refused),
               static_cast<unsigned long long>(s.commit_failures),
               static_cast<unsigned long long>(s.checkpoint_failures),
               s.last_error.ok() ? "" : "; last error: ",
               s.last_error.ok() ? "" : s.last_error.ToString().c_str());
  if (async_archive) {
    // The final state is archived too, then the attempts are summed up.
    if (status.ok()) (void)async_archive->Archive(engine.state());
    (void)async_archive->Drain();
    const system::AsyncArchiveStats a = async_archive->stats();
    std::fprintf(stderr, "archive %s: %llu written, %llu failed, %llu superseded%s%s\n",
                 archive->archive->Describe().c_str(), static_cast<unsigned long long>(a.written),
                 static_cast<unsigned long long>(a.failed),
                 static_cast<unsigned long long>(a.superseded),
                 a.last_error.ok() ? "" : "; last error: ",
                 a.last_error.ok() ? "" : a.last_error.ToString().c_str());
  }
  if (!status.ok()) {
    Error("trade", status);
    return kExitHarnessFailed;
  }
  return kExitOk;
}

}  // namespace

void RegisterEngineCommands(CLI::App& app, CommandRegistry& registry) {
  {
    auto* command = app.add_subcommand(
        "inspect", "every copy of every level of a state directory, valid or not (read-only)");
    auto dir = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    auto archive = std::make_shared<std::string>();
    command->add_option("STATE_DIR", *dir, "the engine's state directory")->required();
    command->add_flag("--json", *json, "the report as JSON");
    command->add_option("--archive", *archive, "sqlite:/PATH or postgresql://… of the L4 archive: its copies too");
    command->callback([&registry, dir, json, archive] {
      registry.Select([=] { return RunInspect(*dir, *json, *archive); });
    });
  }
  {
    auto* command = app.add_subcommand(
        "recover", "run recovery on a state directory and print the recovery report");
    auto dir = std::make_shared<std::string>();
    auto venue = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    auto wait = std::make_shared<int>(10);
    auto archive = std::make_shared<std::string>();
    command->add_option("STATE_DIR", *dir, "the engine's state directory")->required();
    command->add_option("--archive", *archive,
                        "sqlite:/PATH or postgresql://… of the L4 archive: a candidate when it holds the newest "
                        "valid copy (e.g. the state directory was lost)");
    command->add_option("--venue", *venue,
                        "127.0.0.1:PORT of a `crashdrill exchange` to reconcile with");
    command->add_flag("--json", *json, "the report as JSON");
    command->add_option("--venue-wait-seconds", *wait, "how long to retry an unreachable venue")
        ->check(CLI::NonNegativeNumber);
    command->callback([&registry, dir, venue, json, wait, archive] {
      registry.Select([=] { return RunRecover(*dir, *venue, *json, *wait, *archive); });
    });
  }
  {
    auto* command = app.add_subcommand("trade", "run the engine and its strategy on real files");
    auto args = std::make_shared<TradeArgs>();
    command->add_option("--state-dir", args->state_dir, "the engine's state directory")
        ->required();
    command->add_option("--venue", args->venue,
                        "127.0.0.1:PORT of a `crashdrill exchange` (default: a simulator in "
                        "this process)");
    command->add_option("--seconds", args->seconds, "how long to trade")
        ->check(CLI::NonNegativeNumber);
    command->add_option("--seed", args->seed,
                        "seed of the strategy (and of an in-process market)");
    command->add_option("--crash-after", args->crash_after,
                        "_exit abruptly right after the Nth acknowledged critical update");
    command->add_flag("--acks", args->acks,
                      "print each acknowledged critical update to stdout as it is acknowledged");
    command->add_option("--archive", args->archive,
                        "sqlite:/PATH or postgresql://… of the L4 archive to write on its period");
    command->add_option("--archive-period-seconds", args->archive_period_seconds,
                        "how often the archive is written (default 3600)")
        ->check(CLI::PositiveNumber);
    command
        ->add_option("--snapshot-period-seconds", args->snapshot_period_seconds,
                     "how often an L3 snapshot is written (default 300)")
        ->check(CLI::PositiveNumber);
    command->add_option("--pause-at", args->pause_at,
                        "checkpoint, snapshot or wal-commit: block in that moment's next sync "
                        "(after --pause-after-acks) and say so on stdout, for a drill's kill -9");
    command->add_flag("--stdin-lifeline", args->stdin_lifeline,
                      "exit at once when stdin reaches EOF (the harness that started it is gone)");
    command->add_option("--pause-after-acks", args->pause_after_acks,
                        "arm --pause-at after this many acknowledgements (default 0: at once)");
    command->callback(
        [&registry, args] { registry.Select([=] { return RunTrade(*args); }); });
  }
}

}  // namespace crashdrill::scenarios

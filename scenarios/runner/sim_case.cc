#include "scenarios/runner/sim_case.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include "faults/sim_clock.h"
#include "faults/sim_disk.h"
#include "faults/skewed_clock.h"
#include "scenarios/runner/reference_model.h"
#include "simulator/exchange.h"
#include "simulator/in_process_venue.h"
#include "simulator/market.h"
#include "system/archive/archive_copy_source.h"
#include "system/archive/sqlite_archive.h"
#include "system/io/check.h"
#include "system/io/rng.h"
#include "system/recovery/local_recovery.h"
#include "system/recovery/reconcile.h"
#include "system/recovery/recover.h"

namespace crashdrill::scenarios {
namespace {

using faults::CrashKind;
using system::kNanosPerMilli;
using system::kNanosPerSecond;
using system::Seq;
using system::Status;

constexpr char kStateDir[] = "/state";
// Archive scenarios: the L4 database beside the state directory (a wipe
// spares it), written on this period of the engine's monotonic clock.
constexpr std::string_view kArchivePath = "/archive/l4.db";
constexpr int64_t kArchivePeriodNs = 250 * kNanosPerMilli;
constexpr int64_t kStepNs = kNanosPerMilli;
constexpr int kReconcileAttemptsMax = 200;
constexpr int kRecoveryAttemptsMax = 20;
constexpr int kLivenessStepsMin = 300;

std::vector<std::string> LevelDirs() {
  return {"/state/l2/automatic", "/state/l2/manual", "/state/l2/emergency", "/state/snapshots",
          "/state/wal"};
}

system::RecoverOptions CaseOptions(uint64_t seed) {
  system::RecoverOptions options;
  options.checkpointer.state_dir = kStateDir;
  options.checkpointer.l1_period_ns = 50 * kNanosPerMilli;
  options.checkpointer.l2_period_ns = 200 * kNanosPerMilli;
  options.checkpointer.snapshot_period_ns = 500 * kNanosPerMilli;
  options.checkpointer.l1_slot_bytes = 256 << 10;
  options.checkpointer.wal_segment_bytes = 64 << 10;
  options.checkpointer.versions_kept = {2, 2, 2, 2, 2};
  options.engine = system::DefaultEngineOptions(seed);
  options.engine.pending_timeout_ns = 200 * kNanosPerMilli;
  return options;
}

// Attributes the wall time of a case to phases: a scope switches the current
// phase and switches back when it ends, so nested scopes do not count twice.
class PhaseClock {
 public:
  explicit PhaseClock(std::map<std::string, double>* out)
      : out_(out), since_(std::chrono::steady_clock::now()) {}
  std::string Switch(std::string next) {
    const auto now = std::chrono::steady_clock::now();
    if (!current_.empty()) {
      (*out_)[current_] += std::chrono::duration<double, std::milli>(now - since_).count();
    }
    since_ = now;
    std::swap(current_, next);
    return next;
  }

 private:
  std::map<std::string, double>* out_;
  std::chrono::steady_clock::time_point since_;
  std::string current_;
};

class PhaseScope {
 public:
  PhaseScope(PhaseClock& clock, std::string phase)
      : clock_(clock), previous_(clock.Switch(std::move(phase))) {}
  ~PhaseScope() { clock_.Switch(std::move(previous_)); }
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;

 private:
  PhaseClock& clock_;
  std::string previous_;
};

}  // namespace

class SimWorld::Impl {
 public:
  Impl(const CaseScript& setup, bool keep_trace)
      : scenario_(ScenarioOf(setup.scenario)),
        script_(setup),
        seed_(setup.seed),
        keep_trace_(keep_trace),
        skewed_(&clock_, faults::ClockSkew{.drift_ppm = SetupDrift(setup)}),
        disk_(DiskOptions(setup)),
        exchange_(ExchangeConfigOf(scenario_)),
        market_(exchange_, simulator::MarketConfig{}, system::Mix64(seed_ + 1), 0),
        account_(exchange_.OpenAccount("engine", 0)),
        venue_(exchange_, &market_, clock_, account_, simulator::LinkConfig{},
               system::Mix64(seed_ + 2)),
        options_(CaseOptions(system::Mix64(seed_ + 3))) {
    result_.scenario = scenario_.name;
    result_.seed = seed_;
    options_.checkpointer.schema_version = SetupSchema(setup);
    schema_running_ = options_.checkpointer.schema_version;
    options_.checkpointer.archive_period_ns = kArchivePeriodNs;
    // The repro of a script that is not a planned case starts with its setup.
    script_.ops.clear();
    for (const Op& op : setup.ops) {
      if (IsSetup(op)) script_.ops.push_back(op);
    }
  }

  bool Start() { return Restart("first start"); }

  static simulator::ExchangeConfig ExchangeConfigOf(const Scenario& scenario) {
    simulator::ExchangeConfig config;
    if (scenario.venue_report_history != 0) {
      config.report_history_per_account = scenario.venue_report_history;
    }
    return config;
  }

  void Apply(const Op& op) {
    if (Violated() || IsSetup(op)) return;
    if (!script_.planned) script_.ops.push_back(op);
    ++result_.ops_applied;
    Trace(fmt::format("op {}: {}", result_.ops_applied, FormatOp(op)));
    switch (op.kind) {
      case OpKind::kDisk:
      case OpKind::kDrift:
        break;  // case setup, applied at construction
      case OpKind::kRun:
        RunSteps(op.n);
        break;
      case OpKind::kCrash:
        if (up()) {
          CheckLiveness();
          if (!Violated()) Crash(KindOf(op.flag));
        }
        break;
      case OpKind::kWait:
        clock_.Advance(op.n * kNanosPerMilli);
        break;
      case OpKind::kCorrupt:
        if (!up())
          Corrupt(op.flag ? faults::FaultKind::kBitFlip : faults::FaultKind::kZeroSector,
                  static_cast<uint64_t>(op.n));
        break;
      case OpKind::kWipe:
        if (!up()) Wipe();
        break;
      case OpKind::kRestart:
        if (!up()) (void)Restart(fmt::format("life {}", life_));
        break;
      case OpKind::kCrashAt:
        disk_.AddFault(
            {faults::Trigger{.on = faults::TriggerOn::kAnyOp, .nth = Count(op.n)},
             faults::Fault{.kind = faults::FaultKind::kCrash, .crash_kind = KindOf(op.flag)}});
        break;
      case OpKind::kEioAt:
        disk_.AddFault(
            {faults::Trigger{.on = op.flag ? faults::TriggerOn::kRead : faults::TriggerOn::kWrite,
                             .nth = Count(op.n),
                             .path_glob = "/state/*"},
             faults::Fault{.kind = faults::FaultKind::kIoError}});
        break;
      case OpKind::kFsyncFailAt:
        disk_.AddFault(
            {faults::Trigger{
                 .on = faults::TriggerOn::kSync, .nth = Count(op.n), .path_glob = "/state/*"},
             faults::Fault{.kind = faults::FaultKind::kSyncFailure}});
        break;
      case OpKind::kFull:
        if (saved_capacity_ == 0) {  // one full disk at a time
          saved_capacity_ = disk_.capacity_bytes();
          disk_.SetCapacity(disk_.used_bytes());
          full_since_ns_ = clock_.Wall();
          Fired("no_space");
        }
        break;
      case OpKind::kFree:
        Free();
        break;
      case OpKind::kPartition:
        Partition(op.n * kNanosPerMilli);
        break;
      case OpKind::kClock:
        skewed_.AddStep({clock_.Mono(), op.n * kNanosPerMilli});
        Fired("clock_step");
        break;
      case OpKind::kSubmit:
        if (EnsureUp()) Submit(op.flag, op.n);
        break;
      case OpKind::kCancel:
        if (EnsureUp()) Cancel(static_cast<uint64_t>(op.n));
        break;
      case OpKind::kMarket:
        for (int64_t i = 0; i < op.n; ++i) market_.Step(clock_.Mono());
        break;
      case OpKind::kCheckpoint:
        if (EnsureUp())
          (void)live_->engine->checkpointer().Checkpoint(system::CheckpointType::kManual);
        break;
      case OpKind::kCrashIn:
        // L1 is written through a shared mapping: its msync is where a crash
        // catches a slot half written.
        disk_.AddFault(
            {faults::Trigger{.on = op.level == LevelTarget::kL1 ? faults::TriggerOn::kSync
                                                                : faults::TriggerOn::kWrite,
                             .nth = Count(op.n),
                             .path_glob = LevelGlob(op.level)},
             faults::Fault{.kind = faults::FaultKind::kCrash, .crash_kind = KindOf(op.flag)}});
        break;
      case OpKind::kCrashSync:
      case OpKind::kCrashDirSync:
        disk_.AddFault(
            {faults::Trigger{.on = faults::TriggerOn::kSync,
                             .nth = Count(op.n),
                             .path_glob = op.kind == OpKind::kCrashSync
                                              ? LevelGlob(op.level, /*with_dir=*/true)
                                              : LevelDir(op.level)},
             faults::Fault{.kind = faults::FaultKind::kCrash, .crash_kind = KindOf(op.flag)}});
        break;
      case OpKind::kCorruptIn:
        if (!up()) {
          Corrupt(op.flag ? faults::FaultKind::kBitFlip : faults::FaultKind::kZeroSector,
                  static_cast<uint64_t>(op.n), op.level);
        }
        break;
      case OpKind::kNoSpaceIn:
        disk_.AddFault({faults::Trigger{.on = faults::TriggerOn::kWrite,
                                        .nth = Count(op.n),
                                        .repeat = 4,
                                        .path_glob = LevelGlob(op.level)},
                        faults::Fault{.kind = faults::FaultKind::kNoSpace}});
        break;
      case OpKind::kSchema:
        break;  // case setup
      case OpKind::kUpgrade:
        options_.checkpointer.schema_version = system::kSchemaVersionCurrent;
        break;
    }
    // A crash point fired inside the operation: the engine dies there.
    if (up() && disk_.halted()) {
      CheckLiveness();
      if (!Violated()) Crash(disk_.halted_crash_kind());
    }
  }

  bool up() const { return live_.has_value(); }
  bool Violated() const { return !result_.violations.empty(); }
  const CaseResult& result() const { return result_; }

  CaseResult Finish() {
    // Every crash is checked: a case that ends down restarts once more.
    if (!Violated() && !up() && result_.crashes > 0) {
      Free();  // the operator frees space before the last restart
      (void)Restart(fmt::format("life {}", life_));
    }
    if (!Violated() && up()) CheckLiveness();
    phases_.Switch("");
    if (skewed_.skew().drift_ppm != 0) Fired("clock_drift");
    for (const faults::FaultEvent& e : disk_.trace().events()) {
      if (e.probe == faults::Probe::kNoSpace) Fired("no_space_in_" + LevelOfPath(e.path));
    }
    const faults::ProbeCounts& counts = disk_.trace().counts();
    for (int probe = 0; probe < faults::kProbeCount; ++probe) {
      if (counts[static_cast<size_t>(probe)] == 0) continue;
      result_.faults_fired["disk." + faults::ProbeName(static_cast<faults::Probe>(probe))] +=
          counts[static_cast<size_t>(probe)];
    }
    result_.sim_ms = static_cast<double>(clock_.Mono()) / 1e6;
    return std::move(result_);
  }

 private:
  // --- setup -------------------------------------------------------------------------

  static const Scenario& ScenarioOf(const std::string& name) {
    const Scenario* scenario = FindScenario(name);
    CD_CHECK(scenario != nullptr, "a case names a scenario of the catalog");
    return *scenario;
  }

  static bool IsSetup(const Op& op) { return IsSetupOp(op); }

  static uint16_t SetupSchema(const CaseScript& setup) {
    int64_t version = system::kSchemaVersionCurrent;
    for (const Op& op : setup.ops) {
      if (op.kind == OpKind::kSchema) version = op.n;
    }
    return static_cast<uint16_t>(
        std::clamp<int64_t>(version, system::kSchemaVersionOldest, system::kSchemaVersionCurrent));
  }

  static int64_t SetupDrift(const CaseScript& setup) {
    int64_t drift = 0;
    for (const Op& op : setup.ops) {
      if (op.kind == OpKind::kDrift) drift = op.n;
    }
    return drift;
  }

  static CrashKind KindOf(bool power) {
    return power ? CrashKind::kPowerLoss : CrashKind::kProcessCrash;
  }

  // A level's files; `with_dir`: and its directory (the syncs of its
  // entries), or for L1 the temporary file it is created as.
  static std::string LevelGlob(LevelTarget level, bool with_dir = false) {
    switch (level) {
      case LevelTarget::kL1:
        return with_dir ? "/state/l1*" : "/state/l1";
      case LevelTarget::kL2:
        return with_dir ? "/state/l2*" : "/state/l2/*";
      case LevelTarget::kSnapshot:
        return with_dir ? "/state/snapshots*" : "/state/snapshots/*";
      case LevelTarget::kWal:
        return with_dir ? "/state/wal*" : "/state/wal/*";
    }
    return "";
  }

  // The directory that holds a level's entries.
  static std::string LevelDir(LevelTarget level) {
    switch (level) {
      case LevelTarget::kL1:
        return "/state";
      case LevelTarget::kL2:
        return "/state/l2";
      case LevelTarget::kSnapshot:
        return "/state/snapshots";
      case LevelTarget::kWal:
        return "/state/wal";
    }
    return "";
  }

  static std::string LevelOfPath(const std::string& path) {
    for (int i = 0; i < kLevelTargetCount; ++i) {
      const auto level = static_cast<LevelTarget>(i);
      const std::string glob = LevelGlob(level);
      const std::string prefix = glob.substr(0, glob.find('*'));
      if (path.starts_with(prefix)) return LevelTargetName(level);
    }
    return "other";
  }

  static std::string LevelOfDir(const std::string& dir) {
    for (int i = 0; i < kLevelTargetCount; ++i) {
      const auto level = static_cast<LevelTarget>(i);
      if (dir == LevelDir(level)) return LevelTargetName(level);
    }
    return "other";
  }

  static uint64_t Count(int64_t n) { return static_cast<uint64_t>(std::max<int64_t>(n, 1)); }

  faults::SimDiskOptions DiskOptions(const CaseScript& setup) {
    bool strict = false;
    for (const Op& op : setup.ops) {
      if (op.kind == OpKind::kDisk) strict = op.flag;
    }
    faults::SimDiskOptions options;
    options.model = strict ? faults::CrashModel{.sector_bytes = 512,
                                                .atomic_write_bytes = 512,
                                                .safe_append = false,
                                                .dir_sync = faults::DirSyncMode::kStrict,
                                                .reorder_unsynced_writes = true}
                           : faults::CrashModel{.sector_bytes = 4096,
                                                .atomic_write_bytes = 4096,
                                                .safe_append = true,
                                                .dir_sync = faults::DirSyncMode::kJournaled,
                                                .reorder_unsynced_writes = false};
    options.charge = [this](int64_t ns) { clock_.Advance(ns); };
    options.plan.seed = system::Mix64(seed_ + 4);
    return options;
  }

  // --- while up --------------------------------------------------------------------------

  // Ops that need the engine running do nothing while it is down (a crash
  // point ended its life early): only `restart` brings it back.
  bool EnsureUp() const { return up(); }

  // Steps the engine until the disk halts (a crash point) or `steps` are done.
  void RunSteps(int64_t steps) {
    if (!EnsureUp()) return;
    PhaseScope phase(phases_, "workload");
    for (int64_t i = 0; i < steps && !disk_.halted(); ++i) {
      if (partition_until_ns_ != 0 && clock_.Mono() >= partition_until_ns_) {
        Heal();
        connected_from_step_ = steps_in_life_;
        intents_at_recovery_ = live_->engine->stats().intents_logged;
      }
      clock_.Advance(kStepNs);
      running_ns_ += kStepNs;
      (void)live_->engine->Step();
      if (live_->engine->resync_needed() && !disk_.halted()) Resynchronise();
      ++steps_in_life_;
      Sample();
    }
  }

  // Reports were lost on the way and the venue no longer keeps them: the
  // engine stopped sending; reconcile it (a step later again while the venue
  // is unreachable) and check that it agrees with the venue (P1).
  void Resynchronise() {
    system::RecoveryReport report;
    const Status status = system::Reconcile(*live_->engine, skewed_, report);
    Fired("venue_history_lost");
    Trace(
        fmt::format("life {}: reports lost and gone from the venue: resynchronised: {} ({} "
                    "discrepancies adopted)",
                    life_, status.ToString(), report.discrepancies.size()));
    if (status.ok()) {
      CheckAgreement(fmt::format("life {}: after resynchronising", life_));
    } else {
      reports_gone_ = reports_gone_ || report.reports_gone;  // explains the next recovery's
    }
  }

  void Submit(bool buy, int64_t lots) {
    const auto symbol = exchange_.FindSymbol("ACME");
    if (!symbol) return;
    const int64_t fair = market_.FairTicks(*symbol);
    system::OrderIntent intent;
    intent.symbol = "ACME";
    intent.side = buy ? system::Side::kBuy : system::Side::kSell;
    intent.price_ticks = buy ? fair + 2 : std::max<int64_t>(fair - 2, 1);
    intent.quantity_lots = std::max<int64_t>(lots, 1);
    intent.strategy_id = options_.engine.strategy.strategy_id;
    (void)live_->engine->Submit(intent);
  }

  void Cancel(uint64_t pick) {
    const auto& orders = live_->engine->state().trading.open_orders;
    if (orders.empty()) return;
    auto it = orders.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(pick % orders.size()));
    const std::string id = it->first;
    (void)live_->engine->RequestCancel(id);
  }

  void Free() {
    if (saved_capacity_ == 0) return;
    disk_.SetCapacity(saved_capacity_);
    saved_capacity_ = 0;
    full_ns_ += clock_.Wall() - full_since_ns_;
  }

  void Partition(int64_t duration_ns) {
    simulator::NetworkFaults faults;
    faults.partition_to_exchange = true;
    faults.partition_to_engine = true;
    venue_.SetNetworkFaults(faults);
    partition_until_ns_ = std::max(partition_until_ns_, clock_.Mono() + duration_ns);
    Fired("network_partition");
  }

  void Heal() {
    venue_.ClearNetworkFaults();
    partition_until_ns_ = 0;
  }

  // What the strategy had decided by now, for its RPO.
  void Sample() {
    const auto& strategies = live_->engine->state().strategies;
    const auto it = strategies.find(options_.engine.strategy.strategy_id);
    if (it == strategies.end()) return;
    const auto d = it->second.parameters.find("decisions");
    if (d == it->second.parameters.end()) return;
    strategy_seen_[d->second] = running_ns_;  // last seen with this value
  }

  // P9: the engine trades again, or its halt is recorded, or the disk is full
  // and it halted safely; judged over the steps the venue was reachable.
  void CheckLiveness() {
    const int64_t connected = steps_in_life_ - connected_from_step_;
    if (connected < kLivenessStepsMin || disk_.halted() || partition_until_ns_ != 0) return;
    PhaseScope phase(phases_, "checks");
    const auto& stats = live_->engine->stats();
    const auto& risk = live_->engine->state().trading.risk;
    const bool traded = stats.intents_logged > intents_at_recovery_;
    const bool halted_with_reason = risk.halted && !risk.halt_reason.empty();
    // Halted because the state cannot be persisted (a full disk, a failed
    // fsync): no order goes out, and the engine reports why (stats).
    const bool full = stats.space_halted && !stats.last_error.ok();
    if (!traded && !halted_with_reason && !full) {
      Violate("P9", fmt::format("life {}: {} steps with the venue reachable without an order "
                                "and without a recorded halt (last error: {})",
                                life_, connected, stats.last_error.ToString()));
    }
  }

  // --- crash and restart ---------------------------------------------------------------

  // `in_recovery`: the crash hit recovery itself; the life already ended at
  // the crash before it, which is where RPO is measured from.
  void Crash(CrashKind kind, bool in_recovery = false) {
    PhaseScope phase(phases_, "crash");
    if (disk_.halted()) {
      kind = disk_.halted_crash_kind();
      // Where the crash point caught the engine: in which level's files.
      const auto& events = disk_.trace().events();
      for (auto it = events.rbegin(); it != events.rend(); ++it) {
        if (it->probe != faults::Probe::kCrashTriggered) continue;
        // A crash at a sync: written, not yet durable; at a directory sync:
        // an entry made or removed, not yet durable.
        if (it->detail.ends_with(" before syncdir")) {
          Fired("crash_at_dirsync_" + LevelOfDir(it->path));
        } else {
          const std::string level = LevelOfPath(it->path);
          Fired("crash_in_" + level);
          if (it->detail.ends_with(" before sync") || it->detail.ends_with(" before msync")) {
            Fired("crash_at_sync_" + level);
          }
        }
        break;
      }
    }
    if (!in_recovery) {
      crash_wall_ns_ = clock_.Wall();
      crash_running_ns_ = running_ns_;
      corrupted_.clear();
      wiped_ = false;
      ++life_;
    }
    live_.reset();  // nothing of the engine runs again
    if (archive_) archive_->Abandon();
    system::Rng crash_rng(system::Mix64(seed_ ^ (result_.crashes + 1) * 0x9e37));
    disk_.Crash(kind, crash_rng);
    ++result_.crashes;
    Fired(faults::CrashKindName(kind));
    Trace(fmt::format("life {}: {} at disk op {} (sim {:.3f} s)", life_,
                      faults::CrashKindName(kind), disk_.op_count(),
                      static_cast<double>(clock_.Mono()) / 1e9));
    Free();  // a full disk ends with the crash
  }

  // Latent corruption of one of the levels' files while the engine is down.
  void Corrupt(faults::FaultKind kind, uint64_t pick,
               std::optional<LevelTarget> level = std::nullopt) {
    PhaseScope phase(phases_, "crash");
    std::vector<std::string> files = LevelFiles();
    if (level) {
      std::erase_if(
          files, [&](const std::string& f) { return LevelOfPath(f) != LevelTargetName(*level); });
    }
    if (files.empty()) return;
    const std::string& file = files[pick % files.size()];
    if (disk_.CorruptAtRest(file, kind).ok()) {
      corrupted_.insert(file);
      Fired(faults::FaultKindName(kind));
      Fired(fmt::format("{}_in_{}", faults::FaultKindName(kind), LevelOfPath(file)));
      Trace(fmt::format("life {}: {} in {}", life_, faults::FaultKindName(kind), file));
    }
  }

  void Wipe() {
    PhaseScope phase(phases_, "crash");
    // The disk is gone: what it held never comes back, not even after a
    // power loss (unlinks made durable, outside the case's counted ops).
    disk_.SetUncounted(true);
    for (const std::string& file : LevelFiles()) (void)disk_.Unlink(file);
    (void)disk_.Unlink("/state/l1");
    for (const std::string& dir : LevelDirs()) (void)disk_.SyncDir(dir);
    (void)disk_.SyncDir(kStateDir);
    disk_.SetUncounted(false);
    wiped_ = true;
    Fired("wipe");
    Trace(fmt::format("life {}: every local copy lost", life_));
  }

  std::vector<std::string> LevelFiles() {
    std::vector<std::string> files;
    for (const std::string& dir : LevelDirs()) {
      auto names = disk_.List(dir);
      if (!names.ok()) continue;
      for (const std::string& name : *names) files.push_back(dir + "/" + name);
    }
    const auto l1 = disk_.Exists("/state/l1");
    if (l1.ok() && *l1) files.push_back("/state/l1");
    return files;
  }

  // The L4 archive of an archive scenario, opened for the life about to
  // start: its copies are recovery candidates and the checkpointer writes it.
  // One that cannot be opened (a fault on the disk) is left out of this
  // recovery and tried again on the checkpointer's next archive period.
  void OpenArchive() {
    if (!scenario_.mix.archive) return;
    if (!archive_) {
      archive_ = std::make_unique<system::SqliteArchive>(
          disk_, skewed_,
          system::SqliteArchiveOptions{.path = std::string(kArchivePath),
                                       .wal_autocheckpoint_pages = 32});
      archive_source_ = std::make_unique<system::ArchiveCopySource>(*archive_);
    }
    const Status opened = archive_->Open();
    options_.copy_sources.clear();
    if (opened.ok()) {
      options_.copy_sources.push_back(archive_source_.get());
    } else {
      Trace(fmt::format("L4 archive not opened: {}", opened.ToString()));
    }
  }

  // Recovers and reconciles; false (with a violation) when the engine cannot.
  bool Restart(const std::string& what) {
    PhaseScope phase(phases_, "recovery");
    const int64_t start_ns = clock_.Mono();
    std::string last_failure = "none";
    const auto cpu_start = std::chrono::steady_clock::now();
    int venue_waits = 0;
    for (int attempt = 0; attempt < kRecoveryAttemptsMax; ++attempt) {
      OpenArchive();
      if (disk_.halted()) {
        Crash(CrashKind::kProcessCrash, /*in_recovery=*/true);
        continue;
      }
      auto recovered =
          system::RecoverEngine(disk_, skewed_, venue_, options_, archive_.get());
      if (!recovered.ok()) {
        if (disk_.halted()) {
          Crash(CrashKind::kProcessCrash, /*in_recovery=*/true);  // a crash point inside recovery
          continue;
        }
        if (recovered.status().code() == system::StatusCode::kUnavailable) {
          // An engine with no durable configuration asks the venue which id
          // space its orders take before it logs anything: wait for it.
          last_failure = recovered.status().ToString();
          if (++venue_waits < kReconcileAttemptsMax) --attempt;  // waiting is not a failure
          clock_.Advance(100 * kNanosPerMilli);
          if (partition_until_ns_ != 0 && clock_.Mono() >= partition_until_ns_) Heal();
          continue;
        }
        if (recovered.status().code() == system::StatusCode::kNoSpace) {
          RefuseOnFullDisk(what, recovered.status());
          return false;
        }
        if (recovered.status().code() == system::StatusCode::kIoError) {
          // A failed fsync or read while opening the levels: the kernel
          // dropped what it could not write, so opening again reads the truth.
          last_failure = recovered.status().ToString();
          Trace(fmt::format("{}: recovery failed ({}); recovering again", what, last_failure));
          continue;
        }
        Violate("P9", fmt::format("{}: the engine cannot restart: {}", what,
                                  recovered.status().ToString()));
        TraceLocalRecovery();
        return false;
      }
      live_.emplace(std::move(recovered).value());
      Observe();
      if (result_.crashes > 0) CheckRecovered(what);
      Status reconciled;
      for (int i = 0; i < kReconcileAttemptsMax; ++i) {
        reconciled = system::Reconcile(*live_->engine, skewed_, live_->report);
        // Reports the venue no longer kept were skipped: what they did shows
        // as discrepancies in the reconciliation that completes, even when
        // this one does not (the skip is in the log by then).
        reports_gone_ = reports_gone_ || live_->report.reports_gone;
        if (reconciled.ok() || disk_.halted() ||
            reconciled.code() != system::StatusCode::kUnavailable) {
          break;
        }
        clock_.Advance(100 * kNanosPerMilli);  // the venue is unreachable: wait and retry
        if (partition_until_ns_ != 0 && clock_.Mono() >= partition_until_ns_) Heal();
      }
      if (!reconciled.ok() && disk_.halted()) {
        Crash(CrashKind::kProcessCrash, /*in_recovery=*/true);
        continue;
      }
      if (reconciled.code() == system::StatusCode::kNoSpace) {
        live_.reset();
        RefuseOnFullDisk(what, reconciled);
        return false;
      }
      if (!reconciled.ok()) {
        // A persistence failure (a failed fsync poisons the WAL until it is
        // reopened): recovery starts over, as a supervisor would restart it.
        last_failure = reconciled.ToString();
        Trace(fmt::format("{}: reconciliation failed ({}); recovering again", what, last_failure));
        live_.reset();
        continue;
      }
      result_.recovery_cpu_ms +=
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - cpu_start)
              .count();
      if (result_.crashes > 0) {
        const double rto_ms = static_cast<double>(clock_.Mono() - start_ns) / 1e6;
        result_.rto_ms.push_back(rto_ms);
        if (rto_ms > static_cast<double>(scenario_.targets.rto_ms)) {
          Violate("P8", fmt::format("{}: ready after {:.1f} ms (simulated), target {} ms", what,
                                    rto_ms, scenario_.targets.rto_ms));
        }
        ++result_.recovered_from[live_->report.source];
        ++result_.recoveries;
        const system::RecoveryPhases& phases = live_->report.phases;
        for (const auto& [phase, ns] :
             {std::pair{"discover", phases.discover_ns}, std::pair{"load", phases.load_ns},
              std::pair{"validate", phases.validate_ns}, std::pair{"replay", phases.replay_ns},
              std::pair{"reconcile", phases.reconcile_ns}}) {
          result_.recovery_phase_ns[phase] += static_cast<uint64_t>(std::max<int64_t>(ns, 0));
        }
        CheckAgreement(what);
        // Reports since the last exchange_seq explain everything that happened
        // while the engine was down; a difference reconciliation had to adopt
        // means local state was wrong (unless the runner destroyed some, or
        // the venue no longer kept those reports).
        if (!lost_on_purpose_ && !reports_gone_ && !live_->report.discrepancies.empty()) {
          const system::Discrepancy& d = live_->report.discrepancies.front();
          Violate("P1", fmt::format("{}: reconciliation adopted {} discrepancies the venue's "
                                    "reports do not explain, e.g. {} {}: local {} / venue {}",
                                    what, live_->report.discrepancies.size(), d.what, d.key,
                                    d.local, d.venue));
        }
      }
      reports_gone_ = false;
      if (options_.checkpointer.schema_version > schema_running_ && result_.crashes > 0) {
        Fired("schema_upgrade");
      }
      schema_running_ = options_.checkpointer.schema_version;
      model_.Rebase(live_->engine->state().trading);
      Sample();  // the restored strategy state is current from here on
      steps_in_life_ = 0;
      connected_from_step_ = 0;
      intents_at_recovery_ = live_->engine->stats().intents_logged;
      const system::RecoveryReport& r = live_->report;
      Trace(fmt::format(
          "{}: recovered from {} (base seq {}, {} records replayed, {} bytes "
          "read), reconciled at seq {}: {} reports applied, {} pending adopted, "
          "{} never sent, {} discrepancies",
          what, r.source, r.base_seq, r.records_replayed, r.bytes_read, r.final_seq,
          r.reports_applied, r.pending_adopted, r.pending_never_sent, r.discrepancies.size()));
      for (const system::Discrepancy& d : r.discrepancies) {
        Trace(fmt::format("  {} {}: local {} / venue {}: {}", d.what, d.key, d.local, d.venue,
                          d.action));
      }
      for (const std::string& note : r.notes) Trace("  note: " + note);
      return true;
    }
    Violate("P9", fmt::format("{}: recovery did not finish in {} attempts (crashes inside it, "
                              "or failures; the last: {})",
                              what, kRecoveryAttemptsMax, last_failure));
    return false;
  }

  // P9 on a full disk: recovery needs to write (an emergency copy, a WAL
  // segment, the reports it reconciles) and stops with no space left. That
  // is a safe halt when it says so; the engine stays down until the next
  // restart, after space returns, is checked like any other.
  void RefuseOnFullDisk(const std::string& what, const Status& status) {
    Fired("restart_refused_no_space");
    Trace(fmt::format("{}: the engine does not start on a full disk: {}", what, status.ToString()));
  }

  // What local recovery sees, for a trace that explains a failed restart.
  void TraceLocalRecovery() {
    if (!keep_trace_) return;
    system::LocalRecoveryOptions local;
    local.state_dir = kStateDir;
    local.l1_slot_bytes = options_.checkpointer.l1_slot_bytes;
    local.copy_sources = options_.copy_sources;
    local.examine_every_copy = true;
    auto seen = system::RecoverLocal(disk_, skewed_, local);
    if (!seen.ok()) {
      Trace("  local recovery: " + seen.status().ToString());
      return;
    }
    const system::RecoveryReport& r = seen->report;
    for (const auto& c : r.candidates) {
      Trace(fmt::format("  {} {} seq {}: {}", system::CopyLevelName(c.level), c.location,
                        c.state_seq, c.verdict.ToString()));
    }
    for (const auto& w : r.wal_segments) {
      Trace(fmt::format("  wal {} first seq {} ({} bytes)", w.path, w.first_seq, w.bytes));
    }
    Trace(fmt::format("  base {} seq {}, recovered {}, log ends at {} ({}), replay stop: {}",
                      r.source, r.base_seq, r.recovered_seq, r.wal_end.last_seq, r.wal_end.detail,
                      r.wal_stop.ToString()));
  }

  void Observe() {
    system::Engine& engine = *live_->engine;
    engine.SetAttemptObserver([this](Seq seq, const system::StateUpdate& update) {
      model_.Attempt(seq, update);
      if (const auto* submit = std::get_if<system::OrderSubmitted>(&update)) {
        intents_.insert(submit->order.client_order_id);
      }
    });
    engine.SetAckObserver([this](Seq seq, const system::StateUpdate& update) {
      model_.Acknowledge(seq);
      last_acked_ = seq;
      last_acked_wall_ns_ = clock_.Wall();
      ++result_.acknowledged;
      (void)update;
    });
  }

  // --- properties ----------------------------------------------------------------------

  // Before reconciliation: P2, P3, P5, P7.
  void CheckRecovered(const std::string& what) {
    PhaseScope phase(phases_, "checks");
    const system::RecoveryReport& r = live_->report;
    const system::TradingState& recovered = live_->engine->state().trading;
    // Data the runner destroyed is lost for good: P2/P3 cannot hold across
    // it. One damaged copy other than the log destroys nothing: the log and
    // the other copies (older snapshots, L2 versions, L1's other slot) hold
    // every acknowledged record; damage in the log, or in two copies, may.
    const bool log_corrupted =
        std::any_of(corrupted_.begin(), corrupted_.end(),
                    [](const std::string& file) { return LevelOfPath(file) == "wal"; });
    const bool lost_on_purpose =
        wiped_ || live_->report.source == "venue" || log_corrupted || corrupted_.size() >= 2;
    lost_on_purpose_ = lost_on_purpose;
    if (r.recovered_seq < last_acked_ && !lost_on_purpose) {
      Violate("P2", fmt::format("{}: acknowledged state_seq {} lost: recovered {} from {}", what,
                                last_acked_, r.recovered_seq, r.source));
      result_.rpo_critical_ms.push_back(static_cast<double>(crash_wall_ns_ - last_acked_wall_ns_) /
                                        1e6);
    } else if (r.recovered_seq < last_acked_ && (r.source == "l4" || r.source == "backup")) {
      // Every local copy was lost: what is lost is the history since the
      // copy recovery came from, its age at the last acknowledged update.
      result_.rpo_critical_ms.push_back(
          static_cast<double>(std::max<int64_t>(last_acked_wall_ns_ - recovered.last_update_ns, 0)) /
          1e6);
    } else {
      result_.rpo_critical_ms.push_back(0);
    }
    if (!lost_on_purpose) {
      if (auto difference = model_.CheckRecovered(recovered)) {
        // The model names the property: a lost acknowledged update (P2) is
        // reported above already.
        if (!difference->starts_with("P2:"))
          Violate("P3", fmt::format("{}: {}", what, *difference));
      }
    }
    if (r.base) {
      const system::CandidateCopy& base = r.candidates[*r.base];
      if (corrupted_.contains(base.location) && base.level != system::CopyLevel::kL1) {
        Violate("P5", fmt::format("{}: the base {} was corrupted while the engine was down", what,
                                  base.location));
      }
    }
    CheckStrategyRpo(what);
    CheckClockIndependence(what);
  }

  // P6: the same directory recovered with the true wall clock chooses the same
  // base and recovers the same state as with the skewed one. Local recovery
  // only reads, and the disk does not count these reads (no plan fault, no
  // time), so the case goes on exactly as without the check.
  void CheckClockIndependence(const std::string& what) {
    if (skewed_.skew().steps.empty() && skewed_.skew().drift_ppm == 0) return;
    system::LocalRecoveryOptions local;
    local.state_dir = kStateDir;
    local.l1_slot_bytes = options_.checkpointer.l1_slot_bytes;
    local.copy_sources = options_.copy_sources;
    disk_.SetUncounted(true);
    auto skewed = system::RecoverLocal(disk_, skewed_, local);
    auto unskewed = system::RecoverLocal(disk_, clock_, local);
    disk_.SetUncounted(false);
    if (!skewed.ok() || !unskewed.ok()) {
      Violate("P6", fmt::format("{}: local recovery failed: {} / {}", what,
                                skewed.status().ToString(), unskewed.status().ToString()));
      return;
    }
    Fired("clock_independence_check");
    const auto& a = skewed->report;
    const auto& b = unskewed->report;
    const auto location = [](const system::RecoveryReport& r) {
      return r.base ? r.candidates[*r.base].location : std::string("none");
    };
    if (location(a) != location(b) || a.recovered_seq != b.recovered_seq ||
        skewed->state.trading != unskewed->state.trading) {
      Violate("P6", fmt::format("{}: with a wall clock {} ms off, recovery chose {} (seq {}); "
                                "with the true one {} (seq {})",
                                what, skewed_.last_error_ns() / kNanosPerMilli, location(a),
                                a.recovered_seq, location(b), b.recovered_seq));
    }
  }

  void CheckStrategyRpo(const std::string& what) {
    if (strategy_seen_.empty()) return;
    const auto& strategies = live_->engine->state().strategies;
    const auto it = strategies.find(options_.engine.strategy.strategy_id);
    int64_t decisions = 0;
    if (it != strategies.end()) {
      const auto d = it->second.parameters.find("decisions");
      if (d != it->second.parameters.end()) decisions = d->second;
    }
    // The recovered strategy state was current until the strategy moved past
    // it; what it did after that, up to the crash, is lost: the engine's
    // running time in between (a strategy makes no progress while the engine
    // is down, so a downtime is no data lost).
    double rpo_ms = 0;
    if (decisions < strategy_seen_.rbegin()->first) {
      const auto seen = strategy_seen_.find(decisions);
      const int64_t last_current =
          seen != strategy_seen_.end() ? seen->second : strategy_seen_.begin()->second;
      rpo_ms = static_cast<double>(std::max<int64_t>(crash_running_ns_ - last_current, 0)) / 1e6;
    }
    result_.rpo_strategy_ms.push_back(rpo_ms);
    // No checkpoint can be written while the disk is full (P9: it halts
    // safely): the target holds for the time it had space.
    const double allowed_ms = static_cast<double>(scenario_.targets.rpo_strategy_ms) +
                              static_cast<double>(full_ns_) / 1e6;
    full_ns_ = 0;
    if (rpo_ms > allowed_ms && corrupted_.empty() && !wiped_ && live_->report.source != "venue") {
      Violate("P7",
              fmt::format("{}: strategy state {:.0f} ms old, target {} ms (plus {:.0f} ms "
                          "the disk was full)",
                          what, rpo_ms, scenario_.targets.rpo_strategy_ms,
                          allowed_ms - static_cast<double>(scenario_.targets.rpo_strategy_ms)));
    }
    // The next life goes on from the recovered decisions: forget the lost ones.
    strategy_seen_.erase(strategy_seen_.upper_bound(decisions), strategy_seen_.end());
  }

  // After reconciliation: P1, P4.
  void CheckAgreement(const std::string& what) {
    PhaseScope phase(phases_, "checks");
    const system::TradingState& t = live_->engine->state().trading;
    std::map<std::string, system::Position> venue_positions;
    for (const system::Position& p : exchange_.Positions(account_)) {
      venue_positions[p.symbol] = p;
    }
    std::set<std::string> symbols;
    for (const auto& [symbol, p] : t.positions) symbols.insert(symbol);
    for (const auto& [symbol, p] : venue_positions) symbols.insert(symbol);
    for (const std::string& symbol : symbols) {
      const auto l = t.positions.find(symbol);
      const system::Position local = l == t.positions.end() ? system::Position{symbol} : l->second;
      const system::Position venue =
          venue_positions.contains(symbol) ? venue_positions[symbol] : system::Position{symbol};
      if (local.quantity_lots != venue.quantity_lots || local.cost_minor != venue.cost_minor ||
          local.realized_pnl_minor != venue.realized_pnl_minor) {
        Violate("P1", fmt::format("{}: position {}: engine {} lots cost {}, venue {} lots cost {}",
                                  what, symbol, local.quantity_lots, local.cost_minor,
                                  venue.quantity_lots, venue.cost_minor));
      }
    }
    std::set<std::string> venue_open;
    for (const system::Order& o : exchange_.OpenOrders(account_)) {
      venue_open.insert(o.client_order_id);
      const auto local = t.open_orders.find(o.client_order_id);
      if (local == t.open_orders.end() || local->second.filled_lots != o.filled_lots) {
        Violate("P1", fmt::format("{}: venue order {} (filled {}) is not open locally as such",
                                  what, o.client_order_id, o.filled_lots));
      }
    }
    for (const auto& [id, order] : t.open_orders) {
      if (!venue_open.contains(id)) {
        Violate("P1", fmt::format("{}: order {} open only locally", what, id));
      }
    }
    const system::Balance venue_balance = exchange_.BalanceOf(account_);
    const auto b = t.balances.find(system::BalanceKey(venue_balance.venue, venue_balance.currency));
    if (b == t.balances.end() || b->second.total_minor != venue_balance.total_minor) {
      Violate("P1", fmt::format("{}: balance total differs from the venue's {}", what,
                                venue_balance.total_minor));
    }
    const simulator::Account& account = exchange_.account(account_);
    if (account.duplicate_client_order_ids != 0) {
      Violate("P4", fmt::format("{}: the venue refused {} duplicate client order ids", what,
                                account.duplicate_client_order_ids));
    }
    for (const auto& [id, exchange_order_id] : account.client_order_ids) {
      if (!intents_.contains(id)) {
        Violate("P4",
                fmt::format("{}: venue order {} has no intent of the engine (orphan)", what, id));
      }
    }
  }

  // --- bookkeeping -----------------------------------------------------------------------

  void Violate(std::string property, std::string detail) {
    Trace(fmt::format("VIOLATION {}: {}", property, detail));
    if (result_.violations.empty()) result_.first_violation_op = result_.ops_applied;
    result_.violations.push_back({std::move(property), std::move(detail), FormatScript(script_)});
  }

  void Fired(const std::string& kind) { ++result_.faults_fired[kind]; }

  void Trace(std::string line) {
    if (keep_trace_) result_.trace.push_back(std::move(line));
  }

  const Scenario& scenario_;
  CaseScript script_;  // setup and the ops applied so far: the repro of a violation
  const uint64_t seed_;
  const bool keep_trace_;
  faults::SimClock clock_;
  faults::SkewedClock skewed_;
  faults::SimDisk disk_;
  simulator::Exchange exchange_;
  simulator::Market market_;
  simulator::AccountId account_;
  simulator::InProcessVenue venue_;
  system::RecoverOptions options_;
  std::unique_ptr<system::SqliteArchive> archive_;  // archive scenarios only
  std::unique_ptr<system::ArchiveCopySource> archive_source_;
  std::optional<system::RecoveredEngine> live_;
  ReferenceModel model_;
  CaseResult result_;
  PhaseClock phases_{&result_.cpu_ms};

  uint16_t schema_running_ = system::kSchemaVersionCurrent;  // of the running engine's writes
  int life_ = 0;  // crashes so far, not counting those inside recovery
  int64_t steps_in_life_ = 0;
  std::set<std::string> corrupted_;  // files corrupted since the last crash
  bool wiped_ = false;               // every local copy was deleted since the last crash
  bool lost_on_purpose_ = false;     // this recovery follows data the runner destroyed
  std::set<std::string> intents_;
  uint64_t saved_capacity_ = 0;
  int64_t full_since_ns_ = 0;  // true wall time the disk filled
  int64_t full_ns_ = 0;        // time it was full since the last check of P7
  int64_t partition_until_ns_ = 0;
  uint64_t intents_at_recovery_ = 0;  // or at the last heal of a partition
  int64_t connected_from_step_ = 0;
  Seq last_acked_ = 0;
  int64_t last_acked_wall_ns_ = 0;
  int64_t crash_wall_ns_ = 0;
  bool reports_gone_ = false;     // a reconciliation since the last completed one skipped some
  int64_t running_ns_ = 0;        // the time the engine stepped, over all lives
  int64_t crash_running_ns_ = 0;  // ... at the last crash
  std::map<int64_t, int64_t> strategy_seen_;  // decisions -> running_ns_ last seen
};

std::string ReproOf(const std::string& scenario, uint64_t seed) {
  return fmt::format("{}@{}", scenario, seed);
}

bool ParseRepro(const std::string& repro, std::string* scenario, uint64_t* seed) {
  const size_t at = repro.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == repro.size()) return false;
  uint64_t value = 0;
  for (size_t i = at + 1; i < repro.size(); ++i) {
    if (repro[i] < '0' || repro[i] > '9') return false;
    value = value * 10 + static_cast<uint64_t>(repro[i] - '0');
  }
  *scenario = repro.substr(0, at);
  *seed = value;
  return true;
}

SimWorld::SimWorld(const CaseScript& setup, bool keep_trace)
    : impl_(std::make_unique<Impl>(setup, keep_trace)) {}
SimWorld::~SimWorld() = default;
bool SimWorld::Start() { return impl_->Start(); }
void SimWorld::Apply(const Op& op) { impl_->Apply(op); }
bool SimWorld::up() const { return impl_->up(); }
const CaseResult& SimWorld::result() const { return impl_->result(); }
CaseResult SimWorld::Finish() { return impl_->Finish(); }

CaseResult RunScript(const CaseScript& script, bool keep_trace) {
  SimWorld world(script, keep_trace);
  if (world.Start()) {
    for (const Op& op : script.ops) {
      world.Apply(op);
      if (!world.result().violations.empty()) break;
    }
  }
  return world.Finish();
}

CaseResult RunCase(const Scenario& scenario, uint64_t seed, bool keep_trace) {
  return RunScript(PlanCase(scenario, seed), keep_trace);
}

}  // namespace crashdrill::scenarios

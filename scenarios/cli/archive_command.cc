// `crashdrill archive list|show|write|prune --archive sqlite:PATH|postgresql://…`
// (DESIGN §9): the L4 archive as an operator reads and keeps it. `write`
// archives a state directory's newest valid state on demand (a running
// `trade` archives on SIGUSR1 instead); `prune` applies the retention policy.
// Exit: 0 done; 1 `show` of a copy that does not read back valid (named, never
// printed as a state), or `write` of a directory with no valid state; 2 usage
// (an archive spec that is not one, an unknown copy, a database of a newer
// schema); 3 the archive could not be read or written.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>

#include "scenarios/cli/commands.h"
#include "system/archive/postgres_archive.h"
#include "system/archive/sqlite_archive.h"
#include "system/io/clock.h"
#include "system/io/posix_fs.h"
#include "system/recovery/local_recovery.h"

namespace crashdrill::scenarios {

system::Result<std::unique_ptr<system::ArchiveDatabase>> MakeArchiveSpec(
    system::Fs& fs, system::Clock& clock, const std::string& spec) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (spec.rfind(kSqlite, 0) == 0 && spec.size() > kSqlite.size() &&
      spec[kSqlite.size()] == '/') {
    return std::unique_ptr<system::ArchiveDatabase>(std::make_unique<system::SqliteArchive>(
        fs, clock, system::SqliteArchiveOptions{.path = spec.substr(kSqlite.size())}));
  }
  if (spec.rfind("postgresql://", 0) == 0 || spec.rfind("postgres://", 0) == 0) {
    system::PostgresArchiveOptions options;
    options.connection.conninfo = spec;
    return std::unique_ptr<system::ArchiveDatabase>(
        std::make_unique<system::PostgresArchive>(clock, options));
  }
  return system::Status::InvalidArgument(
      "--archive",
      fmt::format("'{}' is not an archive: use sqlite:/ABSOLUTE/PATH or postgresql://HOST[:PORT]/DB",
                  spec));
}

system::Result<std::unique_ptr<system::ArchiveDatabase>> OpenArchiveSpec(
    system::Fs& fs, system::Clock& clock, const std::string& spec) {
  CD_ASSIGN_OR_RETURN(std::unique_ptr<system::ArchiveDatabase> archive,
                      MakeArchiveSpec(fs, clock, spec));
  CD_RETURN_IF_ERROR(archive->Open());
  return archive;
}

namespace {

using system::Status;
using system::StatusCode;

int Fail(const std::string& what, const Status& status) {
  std::fprintf(stderr, "crashdrill archive %s: %s\n", what.c_str(), status.ToString().c_str());
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kNotFound:
      return kExitUsage;
    default:
      return kExitHarnessFailed;
  }
}

int List(const std::string& spec) {
  system::PosixFs fs;
  system::SystemClock clock;
  auto archive = OpenArchiveSpec(fs, clock, spec);
  if (!archive.ok()) return Fail("list", archive.status());
  auto copies = (*archive)->List();
  if (!copies.ok()) return Fail("list", copies.status());
  auto log = (*archive)->Log();
  if (!log.ok()) return Fail("list", log.status());
  std::printf("%8s %12s  %-32s %-18s %10s\n", "copy", "state_seq", "archived (UTC)", "xxh3",
              "bytes");
  for (const system::ArchivedCopyInfo& copy : *copies) {
    std::printf("%8lld %12llu  %-32s %016llx %12llu\n", static_cast<long long>(copy.id),
                static_cast<unsigned long long>(copy.state_seq), copy.created_at_utc.c_str(),
                static_cast<unsigned long long>(copy.checksum),
                static_cast<unsigned long long>(copy.document_bytes));
  }
  size_t failed = 0;
  for (const system::ArchiveLogEntry& entry : *log) failed += entry.ok ? 0 : 1;
  std::printf("%zu copies; %zu archive attempts logged, %zu failed\n", copies->size(),
              log->size(), failed);
  for (const system::ArchiveLogEntry& entry : *log) {
    if (!entry.ok) {
      std::printf("  failed at %s (state_seq %llu): %s\n", entry.attempted_at_utc.c_str(),
                  static_cast<unsigned long long>(entry.state_seq), entry.error.c_str());
    }
  }
  return kExitOk;
}

int Show(const std::string& spec, int64_t id) {
  system::PosixFs fs;
  system::SystemClock clock;
  auto archive = OpenArchiveSpec(fs, clock, spec);
  if (!archive.ok()) return Fail("show", archive.status());
  auto copies = (*archive)->List();
  if (!copies.ok()) return Fail("show", copies.status());
  const system::ArchivedCopyInfo* info = nullptr;
  for (const auto& copy : *copies) {
    if (copy.id == id) info = &copy;
  }
  if (info == nullptr) {
    return Fail("show", Status::Error(StatusCode::kNotFound, "show", (*archive)->Describe(),
                                      fmt::format("no copy {}", id)));
  }
  auto state = (*archive)->Read(id);
  if (!state.ok()) {
    std::fprintf(stderr, "crashdrill archive show: copy %lld is not valid: %s\n",
                 static_cast<long long>(id), state.status().ToString().c_str());
    return kExitPropertyFailed;
  }
  const system::TradingState& trading = state->trading;
  std::printf("copy %lld of %s: state_seq %llu, archived %s, valid\n", static_cast<long long>(id),
              (*archive)->Describe().c_str(), static_cast<unsigned long long>(state->state_seq()),
              info->created_at_utc.c_str());
  std::printf("%zu open orders, %zu pending, last exchange_seq %llu\n",
              trading.open_orders.size(), trading.pending_orders.size(),
              static_cast<unsigned long long>(trading.last_exchange_seq));
  for (const auto& [symbol, position] : trading.positions) {
    std::printf("position %-10s %12lld lots  cost %lld  realized %lld\n", symbol.c_str(),
                static_cast<long long>(position.quantity_lots),
                static_cast<long long>(position.cost_minor),
                static_cast<long long>(position.realized_pnl_minor));
  }
  for (const auto& [key, balance] : trading.balances) {
    std::printf("balance  %-6s %-4s total %lld  available %lld\n", balance.venue.c_str(),
                balance.currency.c_str(), static_cast<long long>(balance.total_minor),
                static_cast<long long>(balance.available_minor));
  }
  return kExitOk;
}

// On demand: the newest state the directory's levels hold (recovery's
// read-only pass, as `inspect` runs it) becomes an archived copy now.
int Write(const std::string& spec, const std::string& state_dir) {
  system::PosixFs fs;
  system::SystemClock clock;
  auto archive = OpenArchiveSpec(fs, clock, spec);
  if (!archive.ok()) return Fail("write", archive.status());
  system::LocalRecoveryOptions options;
  options.state_dir = state_dir;
  auto recovery = system::RecoverLocal(fs, clock, options);
  if (!recovery.ok()) return Fail("write", recovery.status());
  const system::RecoveryReport& report = recovery->report;
  if (!report.base && report.recovered_seq == 0) {
    std::fprintf(stderr,
                 "crashdrill archive write: %s holds no valid state to archive (crashdrill "
                 "inspect %s says why); nothing was written\n",
                 state_dir.c_str(), state_dir.c_str());
    return kExitPropertyFailed;
  }
  const system::Seq seq = recovery->state.state_seq();
  if (Status status = (*archive)->Archive(recovery->state); !status.ok()) {
    return Fail("write", status);
  }
  std::printf("archived state_seq %llu of %s to %s\n", static_cast<unsigned long long>(seq),
              state_dir.c_str(), (*archive)->Describe().c_str());
  return kExitOk;
}

int Prune(const std::string& spec, double hourly_days, double daily_days) {
  system::PosixFs fs;
  system::SystemClock clock;
  auto archive = OpenArchiveSpec(fs, clock, spec);
  if (!archive.ok()) return Fail("prune", archive.status());
  constexpr double kDayNs = 24.0 * 3600 * system::kNanosPerSecond;
  const system::RetentionPolicy policy{.hourly_for_ns = static_cast<int64_t>(hourly_days * kDayNs),
                                       .daily_for_ns = static_cast<int64_t>(daily_days * kDayNs)};
  auto pruned = (*archive)->Prune(policy);
  if (!pruned.ok()) return Fail("prune", pruned.status());
  std::printf(
      "kept the newest copy of each hour for %g days and of each day for %g days; "
      "deleted %zu copies",
      hourly_days, daily_days, pruned->deleted_ids.size());
  if (pruned->newest_valid_id != 0) {
    std::printf("; the newest valid copy is %lld\n",
                static_cast<long long>(pruned->newest_valid_id));
  } else {
    std::printf("; no copy reads back valid, so nothing was deleted\n");
  }
  return kExitOk;
}

}  // namespace

void RegisterArchiveCommand(CLI::App& app, CommandRegistry& registry) {
  auto* archive = app.add_subcommand("archive", "the L4 archive database");
  archive->require_subcommand(1);
  auto spec = std::make_shared<std::string>();
  auto id = std::make_shared<int64_t>(0);
  auto* list = archive->add_subcommand("list", "every archived copy and the failed attempts");
  list->add_option("--archive", *spec, "sqlite:/PATH or postgresql://HOST[:PORT]/DB of the archive")->required();
  list->callback([&registry, spec] { registry.Select([=] { return List(*spec); }); });
  auto* show = archive->add_subcommand("show", "one copy, read back and validated");
  show->add_option("--archive", *spec, "sqlite:/PATH or postgresql://HOST[:PORT]/DB of the archive")->required();
  show->add_option("COPY", *id, "the copy's id (archive list)")->required();
  show->callback([&registry, spec, id] { registry.Select([=] { return Show(*spec, *id); }); });
  auto state_dir = std::make_shared<std::string>();
  auto* write = archive->add_subcommand(
      "write", "archive a state directory's newest valid state now (a running trade: SIGUSR1)");
  write
      ->add_option("--archive", *spec, "sqlite:/PATH or postgresql://HOST[:PORT]/DB of the archive")
      ->required();
  write->add_option("STATE_DIR", *state_dir, "the engine's state directory (read only)")
      ->required();
  write->callback(
      [&registry, spec, state_dir] { registry.Select([=] { return Write(*spec, *state_dir); }); });
  auto hourly = std::make_shared<double>(7);
  auto daily = std::make_shared<double>(90);
  auto* prune = archive->add_subcommand(
      "prune", "delete copies past the retention policy; the newest valid copy is always kept");
  prune
      ->add_option("--archive", *spec, "sqlite:/PATH or postgresql://HOST[:PORT]/DB of the archive")
      ->required();
  prune->add_option("--hourly-days", *hourly, "keep the newest copy of each hour this long (7)")
      ->check(CLI::NonNegativeNumber);
  prune->add_option("--daily-days", *daily, "keep the newest copy of each day this long (90)")
      ->check(CLI::NonNegativeNumber);
  prune->callback([&registry, spec, hourly, daily] {
    registry.Select([=] { return Prune(*spec, *hourly, *daily); });
  });
}

}  // namespace crashdrill::scenarios

// `crashdrill backup keygen|create|list|verify|restore|prune` (DESIGN §9): the
// backups of a real state directory (system/backup) on a target.
//   --target dir:PATH            a local directory (the default cold tier)
//   --target s3://BUCKET/PREFIX  S3 or an S3-compatible server: AWS_ENDPOINT_URL
//                                (default: AWS in AWS_REGION), AWS_ACCESS_KEY_ID,
//                                AWS_SECRET_ACCESS_KEY from the environment
// Exit: 0 done; 1 verify or restore found the set damaged (tampered,
// truncated, missing, or recovery refused what it restored); 2 usage or
// configuration (target, key file, kind, unknown set); 3 an I/O failure.
#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "scenarios/cli/commands.h"
#include "system/backup/backup.h"
#include "system/backup/prune.h"
#include "system/backup/s3_target.h"
#include "system/io/clock.h"
#include "system/io/posix_fs.h"
#include "system/recovery/local_recovery.h"

namespace crashdrill::scenarios {
namespace {

using system::Status;
using system::StatusCode;

struct BackupArgs {
  std::string target;
  std::string key_file;
  std::string state_dir;
  std::string kind = "full";
  std::string set_id;  // empty: the newest complete set
  std::string out_dir;
  size_t keep_daily = 7;
  size_t keep_weekly = 4;
  size_t keep_monthly = 12;
};

int Fail(const std::string& what, const Status& status) {
  std::fprintf(stderr, "crashdrill backup %s: %s\n", what.c_str(), status.ToString().c_str());
  switch (status.code()) {
    case StatusCode::kCorruption:
      return kExitPropertyFailed;
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
      return kExitUsage;
    default:
      return kExitHarnessFailed;
  }
}

// The target named by `spec`, opened.
system::Result<std::unique_ptr<system::BackupTarget>> OpenTarget(system::Fs& fs,
                                                                 const std::string& spec) {
  constexpr std::string_view kDir = "dir:";
  if (spec.rfind(kDir, 0) == 0 && spec.size() > kDir.size()) {
    auto target = std::make_unique<system::DirTarget>(fs, spec.substr(kDir.size()));
    CD_RETURN_IF_ERROR(target->Open());
    return std::unique_ptr<system::BackupTarget>(std::move(target));
  }
  if (spec.rfind("s3://", 0) == 0) {
    CD_ASSIGN_OR_RETURN(const system::S3Location location, system::ParseS3Url(spec));
    // Where and as whom, from the environment as the AWS tools read it; the
    // keys (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) never go on a command line.
    const char* region = std::getenv("AWS_REGION");
    const char* endpoint = std::getenv("AWS_ENDPOINT_URL");
    system::S3Options options;
    options.bucket = location.bucket;
    options.prefix = location.prefix;
    if (region != nullptr && *region != '\0') options.region = region;
    if (endpoint != nullptr && *endpoint != '\0') {
      options.endpoint = endpoint;  // an S3-compatible server: path-style URLs
    } else {
      options.endpoint = "https://s3." + options.region + ".amazonaws.com";
      options.path_style = false;
    }
    auto target = std::make_unique<system::S3Target>(std::move(options));
    CD_RETURN_IF_ERROR(target->Open());
    return std::unique_ptr<system::BackupTarget>(std::move(target));
  }
  return Status::InvalidArgument(
      "--target", fmt::format("'{}' is not a target: use dir:PATH or s3://BUCKET/PREFIX", spec));
}

// The set `args.set_id`, or the newest complete one.
system::Result<std::string> ChooseSet(system::BackupTarget& target, const system::BackupKey& key,
                                      const std::string& set_id) {
  if (!set_id.empty()) return set_id;
  CD_ASSIGN_OR_RETURN(const std::vector<system::Manifest> sets, ListBackups(target, key));
  if (sets.empty()) {
    return Status::Error(StatusCode::kNotFound, "list", target.Describe(),
                         "no complete backup set on the target");
  }
  return sets.back().set_id;
}

std::string Mb(uint64_t bytes) { return fmt::format("{:.2f} MB", static_cast<double>(bytes) / 1e6); }

int Keygen(const BackupArgs& args) {
  auto key = system::GenerateKeyFile(args.key_file);
  if (!key.ok()) return Fail("keygen", key.status());
  std::printf("key file %s written (mode 0600); keep a copy away from this machine\n",
              args.key_file.c_str());
  return kExitOk;
}

int Create(const BackupArgs& args) {
  const auto kind = system::ParseBackupKind(args.kind);
  if (!kind) {
    return Fail("create", Status::InvalidArgument(
                              "--kind", fmt::format("'{}': use full, incremental or differential",
                                                    args.kind)));
  }
  system::PosixFs fs;
  system::SystemClock clock;
  auto key = system::LoadKeyFile(args.key_file);
  if (!key.ok()) return Fail("create", key.status());
  auto target = OpenTarget(fs, args.target);
  if (!target.ok()) return Fail("create", target.status());
  auto stats = system::CreateBackup(fs, clock, args.state_dir, **target, *key, *kind);
  if (!stats.ok()) return Fail("create", stats.status());
  std::printf(
      "set %s (%s%s) at snapshot state_seq %llu: %zu files, %zu stored, %zu deleted; "
      "%s read, %s stored, %.1f ms\n",
      stats->set_id.c_str(), std::string(system::BackupKindName(stats->kind)).c_str(),
      stats->parent_id.empty() ? "" : (", parent " + stats->parent_id).c_str(),
      static_cast<unsigned long long>(stats->snapshot_seq), stats->files, stats->files_stored,
      stats->files_deleted, Mb(stats->bytes_read).c_str(), Mb(stats->bytes_stored).c_str(),
      static_cast<double>(stats->duration_ns) / 1e6);
  return kExitOk;
}

int List(const BackupArgs& args) {
  system::PosixFs fs;
  auto key = system::LoadKeyFile(args.key_file);
  if (!key.ok()) return Fail("list", key.status());
  auto target = OpenTarget(fs, args.target);
  if (!target.ok()) return Fail("list", target.status());
  auto sets = system::ListBackups(**target, *key);
  if (!sets.ok()) return Fail("list", sets.status());
  std::printf("%-26s %-13s %-26s %-27s %12s %7s\n", "set", "kind", "parent", "created (UTC)",
              "snapshot seq", "files");
  for (const system::Manifest& set : *sets) {
    std::printf("%-26s %-13s %-26s %-27s %12llu %7zu\n", set.set_id.c_str(),
                std::string(system::BackupKindName(set.kind)).c_str(),
                set.parent_id.empty() ? "-" : set.parent_id.c_str(),
                system::WallLabel(set.created_at_ns).c_str(),
                static_cast<unsigned long long>(set.snapshot_seq), set.files.size());
  }
  return kExitOk;
}

int Restore(const BackupArgs& args) {
  system::PosixFs fs;
  auto key = system::LoadKeyFile(args.key_file);
  if (!key.ok()) return Fail("restore", key.status());
  auto target = OpenTarget(fs, args.target);
  if (!target.ok()) return Fail("restore", target.status());
  auto set = ChooseSet(**target, *key, args.set_id);
  if (!set.ok()) return Fail("restore", set.status());
  auto restored = system::RestoreBackup(**target, *key, *set, fs, args.out_dir);
  if (!restored.ok()) return Fail("restore", restored.status());
  std::printf("restored set %s (chain of %zu) into %s: %zu files, %s\n", set->c_str(),
              restored->chain.size(), args.out_dir.c_str(), restored->files,
              Mb(restored->bytes).c_str());
  return kExitOk;
}

// The seeds' "verify by test restore": the set restored into a scratch
// directory, then local recovery on it, as after losing the machine.
int Verify(const BackupArgs& args) {
  system::PosixFs fs;
  system::SystemClock clock;
  auto key = system::LoadKeyFile(args.key_file);
  if (!key.ok()) return Fail("verify", key.status());
  auto target = OpenTarget(fs, args.target);
  if (!target.ok()) return Fail("verify", target.status());
  auto set = ChooseSet(**target, *key, args.set_id);
  if (!set.ok()) return Fail("verify", set.status());
  char pattern[] = "/tmp/crashdrill-verify-XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    return Fail("verify", Status::FromErrno(errno, "make scratch directory", pattern));
  }
  const std::string scratch = pattern;
  const int64_t start = clock.Mono();
  auto restored = system::RestoreBackup(**target, *key, *set, fs, scratch);
  const int64_t restored_at = clock.Mono();
  std::optional<system::Result<system::LocalRecovery>> recovered;
  if (restored.ok()) {
    system::LocalRecoveryOptions options;
    options.state_dir = scratch;
    recovered.emplace(system::RecoverLocal(fs, clock, options));
  }
  const int64_t end = clock.Mono();
  std::error_code ignored;
  std::filesystem::remove_all(scratch, ignored);
  if (!restored.ok()) return Fail("verify", restored.status());
  if (!recovered->ok()) return Fail("verify", recovered->status());
  const system::RecoveryReport& report = (*recovered)->report;
  const bool held = report.base.has_value() && report.wal_stop.ok() && report.unreadable.empty();
  std::printf(
      "set %s: %s; restore %.1f ms, recovery %.1f ms; recovered state_seq %llu from %s "
      "(%zu records replayed)\n",
      set->c_str(), held ? "restorable" : "NOT restorable as taken",
      static_cast<double>(restored_at - start) / 1e6,
      static_cast<double>(end - restored_at) / 1e6,
      static_cast<unsigned long long>(report.recovered_seq), report.source.c_str(),
      report.records_replayed);
  if (!held) {
    std::fprintf(stderr, "crashdrill backup verify: %s%s\n", report.base_reason.c_str(),
                 report.wal_stop.ok() ? "" : ("; " + report.wal_stop.ToString()).c_str());
    for (const Status& s : report.unreadable) std::fprintf(stderr, "  %s\n", s.ToString().c_str());
    return kExitPropertyFailed;
  }
  return kExitOk;
}

int Prune(const BackupArgs& args) {
  system::PosixFs fs;
  auto key = system::LoadKeyFile(args.key_file);
  if (!key.ok()) return Fail("prune", key.status());
  auto target = OpenTarget(fs, args.target);
  if (!target.ok()) return Fail("prune", target.status());
  auto pruned = system::PruneBackups(
      **target, *key, {.keep_daily = args.keep_daily, .keep_weekly = args.keep_weekly,
                       .keep_monthly = args.keep_monthly});
  if (!pruned.ok()) return Fail("prune", pruned.status());
  std::printf("kept %zu sets, deleted %zu sets (%zu objects)\n", pruned->kept.size(),
              pruned->deleted_sets.size(), pruned->objects_deleted);
  for (const std::string& id : pruned->deleted_sets) std::printf("deleted %s\n", id.c_str());
  return kExitOk;
}

}  // namespace

void RegisterBackupCommand(CLI::App& app, CommandRegistry& registry) {
  auto* backup = app.add_subcommand(
      "backup", "encrypted full / incremental / differential backups of a state directory");
  backup->require_subcommand(1);
  auto args = std::make_shared<BackupArgs>();
  const auto target = [&](CLI::App* command) {
    command->add_option("--target", args->target, "dir:PATH | s3://BUCKET/PREFIX")->required();
  };
  const auto key = [&](CLI::App* command, const char* help) {
    command->add_option("--key-file", args->key_file, help)->required();
  };
  const auto select = [&registry, args](CLI::App* command, int (*action)(const BackupArgs&)) {
    command->callback([&registry, args, action] { registry.Select([=] { return action(*args); }); });
  };

  auto* keygen = backup->add_subcommand("keygen", "write a new random key file (mode 0600)");
  key(keygen, "the key file to create (never overwritten)");
  select(keygen, Keygen);

  auto* create = backup->add_subcommand("create", "take a backup set of a state directory");
  create->add_option("--state-dir", args->state_dir, "the engine's state directory")->required();
  target(create);
  key(create, "32-byte key file, mode 0600");
  create->add_option("--kind", args->kind, "full | incremental | differential");
  select(create, Create);

  auto* list = backup->add_subcommand("list", "the complete sets on a target");
  target(list);
  key(list, "32-byte key file, mode 0600");
  select(list, List);

  auto* verify = backup->add_subcommand(
      "verify", "restore a set into a scratch directory and run recovery on it");
  target(verify);
  key(verify, "32-byte key file, mode 0600");
  verify->add_option("--set", args->set_id, "set id (default: the newest)");
  select(verify, Verify);

  auto* restore = backup->add_subcommand("restore", "restore a set (and its chain) into a directory");
  target(restore);
  key(restore, "32-byte key file, mode 0600");
  restore->add_option("--set", args->set_id, "set id (default: the newest)");
  restore->add_option("--out", args->out_dir, "an absent or empty directory")->required();
  select(restore, Restore);

  auto* prune = backup->add_subcommand(
      "prune", "delete old sets, keeping every chain a kept set needs");
  target(prune);
  key(prune, "32-byte key file, mode 0600");
  prune->add_option("--keep-daily", args->keep_daily, "newest set of the N most recent days");
  prune->add_option("--keep-weekly", args->keep_weekly, "... of the N most recent ISO weeks");
  prune->add_option("--keep-monthly", args->keep_monthly, "... of the N most recent months");
  select(prune, Prune);
}

}  // namespace crashdrill::scenarios

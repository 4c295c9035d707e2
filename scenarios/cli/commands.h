// Subcommands of the crashdrill binary. Each command file adds its options to
// the app and records the action to run once parsing succeeded.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "system/io/clock.h"
#include "system/io/fs.h"

namespace crashdrill::system {
class ArchiveDatabase;
}

namespace crashdrill::scenarios {

inline constexpr int kExitOk = 0;
inline constexpr int kExitPropertyFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitHarnessFailed = 3;

// Holds the action of the subcommand that was parsed.
class CommandRegistry {
 public:
  // Called by a subcommand's parse callback.
  void Select(std::function<int()> action) { action_ = std::move(action); }
  int Run() const { return action_ ? action_() : kExitUsage; }

 private:
  std::function<int()> action_;
};

// One registration function per command file; RegisterCommands calls them all.
void RegisterExchangeCommand(CLI::App& app, CommandRegistry& registry);
// inspect, recover, trade: the engine on a real state directory.
void RegisterEngineCommands(CLI::App& app, CommandRegistry& registry);
// scenarios, chaos, replay: the sim-mode chaos runner.
void RegisterChaosCommands(CLI::App& app, CommandRegistry& registry);
// report: merges chaos results and writes reports from them.
void RegisterReportCommand(CLI::App& app, CommandRegistry& registry);
// backup keygen|create|list|verify|restore|prune: encrypted backups of a state directory.
void RegisterBackupCommand(CLI::App& app, CommandRegistry& registry);

// drill: the recovery drill in process mode.
void RegisterDrillCommand(CLI::App& app, CommandRegistry& registry);

// archive list|show: the L4 archive database.
void RegisterArchiveCommand(CLI::App& app, CommandRegistry& registry);
// The archive named by `spec` ("sqlite:/PATH" or a PostgreSQL URI), opened;
// kInvalidArgument naming --archive for anything else.
system::Result<std::unique_ptr<system::ArchiveDatabase>> OpenArchiveSpec(
    system::Fs& fs, system::Clock& clock, const std::string& spec);
// The same, not opened yet.
system::Result<std::unique_ptr<system::ArchiveDatabase>> MakeArchiveSpec(
    system::Fs& fs, system::Clock& clock, const std::string& spec);

// crashfs: the FUSE power-loss file system for real processes, and --power-loss.
void RegisterCrashfsCommand(CLI::App& app, CommandRegistry& registry);

// Writes `result` (crashdrill.result/1) as OUT_DIR/result.json and every report
// of it (report.html, summary.md, junit.xml, metrics.prom), each atomically,
// after checking it reads back. kExitOk, or kExitHarnessFailed after saying why
// as "crashdrill COMMAND: ...".
int WriteResultAndReports(const std::string& command, const std::string& out_dir,
                          const nlohmann::json& result);

// Adds every subcommand that exists to `app`.
void RegisterCommands(CLI::App& app, CommandRegistry& registry);

}  // namespace crashdrill::scenarios

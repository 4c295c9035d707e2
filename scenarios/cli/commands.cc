#include "scenarios/cli/commands.h"

namespace crashdrill::scenarios {

void RegisterCommands(CLI::App& app, CommandRegistry& registry) {
  RegisterExchangeCommand(app, registry);
  RegisterEngineCommands(app, registry);
  RegisterChaosCommands(app, registry);
  RegisterReportCommand(app, registry);
  RegisterBackupCommand(app, registry);
  RegisterArchiveCommand(app, registry);
  RegisterDrillCommand(app, registry);
  RegisterCrashfsCommand(app, registry);
}

}  // namespace crashdrill::scenarios

#include "scenarios/cli/commands.h"

namespace crashdrill::scenarios {

void RegisterCommands(CLI::App& app, CommandRegistry& registry) {
  (void)app;
  (void)registry;
}

}  // namespace crashdrill::scenarios

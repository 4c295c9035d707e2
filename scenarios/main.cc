// crashdrill: the command line (DESIGN §9). Exit codes: 0 all held, 1 a
// property or target failed, 2 usage or configuration error, 3 the harness
// itself failed.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "scenarios/cli/commands.h"

int main(int argc, char** argv) {
  using crashdrill::scenarios::kExitUsage;
  CLI::App app{
      "crashdrill: proves that trading-engine state survives crashes, torn writes, full disks\n"
      "and clock skew, and measures recovery time (RTO) and data loss (RPO)."};
  app.require_subcommand(1);
  crashdrill::scenarios::CommandRegistry registry;
  crashdrill::scenarios::RegisterCommands(app, registry);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    app.exit(error);  // prints the message and usage
    return kExitUsage;
  }
  return registry.Run();
}

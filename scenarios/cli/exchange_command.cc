// `crashdrill exchange --listen 127.0.0.1:PORT [--seed S]`: the simulator as a
// loopback server for process-mode runs. Prints the address it listens on (the real
// port when PORT is 0) and stops cleanly on SIGTERM or SIGINT.
// --control-stdin: a harness drives the server's fault hooks with one command
// per line on stdin ("partition", "heal", "pause-market", "resume-market"), each
// answered "ok <command>" (or "error <why>") on stdout; EOF on stdin (the
// harness is gone, however it died) stops the server, so none outlives its drill.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "scenarios/cli/commands.h"
#include "simulator/server.h"

namespace crashdrill::scenarios {
namespace {

// Reads commands until EOF, then asks the main thread to stop.
void ServeControl(simulator::ExchangeServer& server) {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line == "partition" || line == "heal") {
      server.SetPartitioned(line == "partition");
    } else if (line == "pause-market" || line == "resume-market") {
      server.SetMarketPaused(line == "pause-market");
    } else {
      std::printf("error unknown command '%s'\n", line.c_str());
      std::fflush(stdout);
      continue;
    }
    std::printf("ok %s\n", line.c_str());
    std::fflush(stdout);
  }
  ::kill(::getpid(), SIGTERM);
}

int RunExchange(const std::string& listen, uint64_t seed, int64_t actions_per_second,
                bool control_stdin) {
  simulator::ServerConfig config;
  const system::Status parsed =
      simulator::ParseLoopbackAddress(listen, &config.host, &config.port);
  if (!parsed.ok()) {
    std::fprintf(stderr, "crashdrill exchange: %s\n", parsed.ToString().c_str());
    return kExitUsage;
  }
  config.seed = seed;
  config.market.actions_per_second = actions_per_second;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the server thread starts
  simulator::ExchangeServer server(config);
  const system::Status started = server.Start();
  if (!started.ok()) {
    std::fprintf(stderr, "crashdrill exchange: %s\n", started.ToString().c_str());
    return kExitHarnessFailed;
  }
  std::printf("listening on %s:%u seed %llu\n", config.host.c_str(),
              static_cast<unsigned>(server.port()), static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  std::thread control;
  if (control_stdin) {
    control = std::thread([&server] { ServeControl(server); });
    control.detach();  // blocked in a read of stdin; the process ends with it
  }
  int received = 0;
  sigwait(&signals, &received);
  server.Stop();
  std::printf("stopped on signal %d after %llu sessions\n", received,
              static_cast<unsigned long long>(server.sessions_accepted()));
  return kExitOk;
}

}  // namespace

void RegisterExchangeCommand(CLI::App& app, CommandRegistry& registry) {
  auto* command = app.add_subcommand("exchange", "the exchange simulator as a loopback server");
  auto listen = std::make_shared<std::string>();
  auto seed = std::make_shared<uint64_t>(1);
  auto actions_per_second = std::make_shared<int64_t>(2'000);
  auto control_stdin = std::make_shared<bool>(false);
  command->add_option("--listen", *listen, "127.0.0.1:PORT (PORT 0 picks a free port)")
      ->required();
  command->add_option("--seed", *seed, "seed of the background market");
  command->add_option("--market-actions-per-second", *actions_per_second,
                      "intensity of the background market (0 = quiet)")
      ->check(CLI::NonNegativeNumber);
  command->add_flag("--control-stdin", *control_stdin,
                    "fault hooks on stdin (partition, heal, pause-market, resume-market); EOF "
                    "stops the server");
  command->callback([&registry, listen, seed, actions_per_second, control_stdin] {
    registry.Select(
        [=] { return RunExchange(*listen, *seed, *actions_per_second, *control_stdin); });
  });
}

}  // namespace crashdrill::scenarios

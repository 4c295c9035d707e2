// `crashdrill crashfs --backing DIR MOUNTPOINT [--model JSON-or-FILE] [--seed S]`: serves
// DIR at MOUNTPOINT through FUSE with SimDisk's power-loss semantics (faults/crashfs), in
// the foreground until SIGTERM or SIGINT, then unmounts cleanly (everything durable).
// `crashdrill crashfs --power-loss MOUNTPOINT`: cuts the power under the processes using
// that mount and prints one summary line. Exit 2 when MOUNTPOINT is not a crashfs mount.
#include <sys/statvfs.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "faults/crashfs/control.h"
#include "faults/crashfs/daemon.h"
#include "scenarios/cli/commands.h"

namespace crashdrill::scenarios {
namespace {

struct CrashfsArgs {
  std::string backing;
  std::string mountpoint;
  std::string model;
  uint64_t seed = 0;
  bool seed_given = false;
  bool power_loss = false;
};

// The model as JSON text, or the path of a file holding it.
system::Result<faults::CrashModel> ParseModel(const std::string& text_or_file) {
  std::string text = text_or_file;
  if (!text.empty() && text.front() != '{') {
    std::ifstream file(text_or_file);
    if (!file) return system::Status::FromErrno(errno, "crashfs --model", text_or_file);
    std::stringstream buffer;
    buffer << file.rdbuf();
    text = buffer.str();
  }
  faults::CrashModel model;
  if (text.empty()) return model;
  try {
    model = nlohmann::json::parse(text).get<faults::CrashModel>();
  } catch (const nlohmann::json::exception& error) {
    return system::Status::InvalidArgument("crashfs --model", error.what());
  }
  CD_RETURN_IF_ERROR(model.Validate());
  return model;
}

int RunPowerLoss(const std::string& mountpoint) {
  const system::Result<std::string> reply = faults::crashfs::RequestPowerLoss(mountpoint);
  if (!reply.ok()) {
    std::fprintf(stderr, "crashdrill crashfs: %s\n", reply.status().ToString().c_str());
    return kExitUsage;
  }
  if (!reply->starts_with("ok ")) {
    std::fprintf(stderr, "crashdrill crashfs: %s: %s\n", mountpoint.c_str(), reply->c_str());
    return kExitHarnessFailed;
  }
  std::printf("%s\n", reply->substr(3).c_str());
  return kExitOk;
}

int RunDaemon(const CrashfsArgs& args) {
  const system::Result<faults::CrashModel> model = ParseModel(args.model);
  if (!model.ok()) {
    std::fprintf(stderr, "crashdrill crashfs: %s\n", model.status().ToString().c_str());
    return kExitUsage;
  }
  faults::crashfs::DaemonOptions options{.backing_dir = args.backing,
                                         .mountpoint = args.mountpoint};
  options.disk.model = *model;
  options.disk.plan.seed = args.seed_given ? args.seed : std::random_device{}();
  struct statvfs backing {};
  if (statvfs(args.backing.c_str(), &backing) != 0) {
    std::fprintf(stderr, "crashdrill crashfs: --backing %s: %s\n", args.backing.c_str(),
                 std::strerror(errno));
    return kExitUsage;
  }
  options.disk.capacity_bytes = static_cast<uint64_t>(backing.f_blocks) * backing.f_frsize;
  std::printf("crashfs: model %s\n", nlohmann::json(*model).dump().c_str());
  const system::Status status = faults::crashfs::RunDaemon(options, stdout);
  if (!status.ok()) {
    std::fprintf(stderr, "crashdrill crashfs: %s\n", status.ToString().c_str());
    return kExitHarnessFailed;
  }
  return kExitOk;
}

}  // namespace

void RegisterCrashfsCommand(CLI::App& app, CommandRegistry& registry) {
  auto* command = app.add_subcommand(
      "crashfs", "FUSE file system with SimDisk power-loss semantics for real processes");
  auto args = std::make_shared<CrashfsArgs>();
  command->add_option("mountpoint", args->mountpoint, "where to mount (or the mount to cut)")
      ->required();
  auto* backing = command->add_option("--backing", args->backing,
                                      "directory holding the durable image (loaded at mount)");
  command->add_option("--model", args->model, "CrashModel as JSON text or a file holding it");
  command->add_option("--seed", args->seed, "seed of every power-loss choice (default: random)");
  auto* power_loss =
      command->add_flag("--power-loss", args->power_loss,
                        "cut the power of the running crashfs daemon serving MOUNTPOINT");
  backing->excludes(power_loss);
  command->callback([&registry, args, command] {
    args->seed_given = command->count("--seed") > 0;
    registry.Select([=] {
      if (args->power_loss) return RunPowerLoss(args->mountpoint);
      if (args->backing.empty()) {
        std::fprintf(stderr, "crashdrill crashfs: give --backing DIR or --power-loss\n");
        return kExitUsage;
      }
      return RunDaemon(*args);
    });
  });
}

}  // namespace crashdrill::scenarios

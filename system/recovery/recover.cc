#include "system/recovery/recover.h"

#include <fmt/format.h>

#include <algorithm>

#include "system/recovery/reconcile.h"

namespace crashdrill::system {

Result<RecoveredEngine> RecoverEngine(Fs& fs, Clock& clock, Venue& venue,
                                      const RecoverOptions& options, ArchiveSink* archive) {
  LocalRecoveryOptions local_options;
  local_options.state_dir = options.checkpointer.state_dir;
  local_options.l1_slot_bytes = options.checkpointer.l1_slot_bytes;
  local_options.validation = options.validation;
  local_options.copy_sources = options.copy_sources;
  CD_ASSIGN_OR_RETURN(LocalRecovery local, RecoverLocal(fs, clock, local_options));
  // Client order ids are "<instance>[.<space>]-<state_seq>". When history may
  // be lost — the log stopped at damage, or nothing of the configuration is
  // durable (a first start, every local copy lost) — state_seq may repeat
  // ids the venue has seen, so new ids take a space above every one its
  // reports show. The choice is made durable before anything else is
  // written: in the emergency copy that PrepareForAppend writes before the
  // damaged segments move, or in the first record a new engine logs. Made
  // later, an attempt that crashed in between would leave a history that
  // looks complete, and the next one would reuse ids.
  uint64_t id_space = 0;
  ConfigurationState& config = local.state.config;
  if (local.report.HistoryMayBeLost() || config.version == 0) {
    const std::string& base = options.engine.instance_id;
    CD_ASSIGN_OR_RETURN(const IdSpaces spaces, ScanIdSpaces(venue, base, ReconcileOptions{}.page));
    if (config.version == 0) {
      if (spaces.own_seen || !spaces.complete) id_space = NextIdSpace(spaces, 0, clock.Wall());
    } else {
      const std::string& current =
          config.system.instance_id.empty() ? base : config.system.instance_id;
      config.system.instance_id =
          fmt::format("{}.{}", base, NextIdSpace(spaces, IdSpaceOf(base, current), clock.Wall()));
      ++config.version;
      local.report.notes.push_back(fmt::format(
          "history was lost, so state_seq may repeat ids already sent: new orders take client "
          "order ids {}-<state_seq>",
          config.system.instance_id));
    }
  }
  const int64_t start = clock.Mono();
  CD_RETURN_IF_ERROR(PrepareForAppend(
      fs, local,
      options.checkpointer.versions_kept[static_cast<size_t>(CheckpointType::kEmergency)]));
  RecoveredEngine out;
  out.checkpointer =
      std::make_unique<MultiLevelCheckpointer>(fs, clock, options.checkpointer, archive);
  // After a clean replay the log is as it was read: the WAL opens where the
  // replay found its end instead of reading its last segment again.
  const bool wal_unchanged = local.wal_read_to_end && local.report.wal_stop.ok();
  CD_RETURN_IF_ERROR(out.checkpointer->Open(std::move(local.state),
                                            wal_unchanged ? &local.report.wal_end : nullptr));
  local.report.phases.load_ns += clock.Mono() - start;
  out.engine = std::make_unique<Engine>(*out.checkpointer, venue, clock, options.engine);
  CD_RETURN_IF_ERROR(out.engine->Start(id_space));
  out.report = std::move(local.report);
  return out;
}

}  // namespace crashdrill::system

#include "system/recovery/recover.h"

#include "system/recovery/reconcile.h"

namespace crashdrill::system {

Result<RecoveredEngine> RecoverEngine(Fs& fs, Clock& clock, Venue& venue,
                                      const RecoverOptions& options, ArchiveSink* archive) {
  LocalRecoveryOptions local_options;
  local_options.state_dir = options.checkpointer.state_dir;
  local_options.l1_slot_bytes = options.checkpointer.l1_slot_bytes;
  local_options.validation = options.validation;
  CD_ASSIGN_OR_RETURN(LocalRecovery local, RecoverLocal(fs, clock, local_options));
  const int64_t start = clock.Mono();
  CD_RETURN_IF_ERROR(PrepareForAppend(
      fs, local,
      options.checkpointer.versions_kept[static_cast<size_t>(CheckpointType::kEmergency)]));
  RecoveredEngine out;
  out.checkpointer =
      std::make_unique<MultiLevelCheckpointer>(fs, clock, options.checkpointer, archive);
  CD_RETURN_IF_ERROR(out.checkpointer->Open(std::move(local.state)));
  local.report.phases.load_ns += clock.Mono() - start;
  out.engine = std::make_unique<Engine>(*out.checkpointer, venue, clock, options.engine);
  uint64_t id_space = 0;
  if (out.checkpointer->state().config.version == 0) {
    // Nothing of this engine's configuration is durable: a first start, or
    // every local copy was lost. Its client order ids' space is in the first
    // record it logs, so it is chosen now, above every space the venue's
    // reports show for this engine. Chosen after that record, a failure in
    // between would leave a history that looks complete and reuses ids.
    CD_ASSIGN_OR_RETURN(const IdSpaces spaces,
                        ScanIdSpaces(venue, options.engine.instance_id, ReconcileOptions{}.page));
    if (spaces.own_seen || !spaces.complete) id_space = spaces.highest + 1;
  }
  CD_RETURN_IF_ERROR(out.engine->Start(id_space));
  out.report = std::move(local.report);
  return out;
}

}  // namespace crashdrill::system

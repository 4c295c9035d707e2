// The whole restart of an engine on a state directory: local recovery
// (local_recovery.h), the WAL made appendable, the levels opened on the
// recovered state (which repairs a torn tail), and the engine started on it.
// Reconciliation with the venue (reconcile.h) comes next and must succeed
// before the engine trades. Every step either changes nothing or is safe to
// repeat, so running this again after a crash anywhere in it converges.
#pragma once

#include <memory>

#include "system/engine/engine.h"
#include "system/levels/checkpointer.h"
#include "system/recovery/local_recovery.h"

namespace crashdrill::system {

struct RecoverOptions {
  CheckpointerOptions checkpointer;  // state_dir, level periods and sizes
  EngineOptions engine;
  ValidationOptions validation;
  // Copies outside the state directory (L4 archive, backups), not owned.
  std::vector<CopySource*> copy_sources;
};

struct RecoveredEngine {
  std::unique_ptr<MultiLevelCheckpointer> checkpointer;
  std::unique_ptr<Engine> engine;
  RecoveryReport report;
};

// Local recovery, PrepareForAppend, MultiLevelCheckpointer::Open, Engine::Start.
// `archive` may be null. The report's phases cover discover..replay; the time
// to open the levels is added to load.
Result<RecoveredEngine> RecoverEngine(Fs& fs, Clock& clock, Venue& venue,
                                      const RecoverOptions& options,
                                      ArchiveSink* archive = nullptr);

}  // namespace crashdrill::system

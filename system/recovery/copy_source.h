// A store of whole-state copies outside the state directory — the L4 archive
// database, backup sets — that recovery lists beside the local levels (DESIGN
// §5 step 1). Recovery validates what it reads like any other copy and
// chooses it only when it holds the highest valid state_seq, e.g. when the
// state directory was lost. Implemented by system/archive (and backups), so
// recovery links neither SQLite nor libpq.
#pragma once

#include <vector>

#include "system/io/result.h"
#include "system/recovery/recovery_report.h"
#include "system/state/engine_state.h"

namespace crashdrill::system {

class CopySource {
 public:
  virtual ~CopySource() = default;
  // Its copies, newest first, as it lists them: level (kL4, kBackup), kind,
  // location (what names the copy to an operator), bytes, and the state_seq
  // and wall_ns it claims. Nothing is decoded yet; a source that cannot be
  // listed (database down) fails here and recovery goes on without it.
  virtual Result<std::vector<CandidateCopy>> List() = 0;
  // The copy decoded (checksum, decode, migration), or why it is not valid.
  // Recovery validates the invariants itself.
  virtual Result<EngineState> Read(const CandidateCopy& copy) = 0;
};

}  // namespace crashdrill::system

// Point-in-time rebuild: the engine state as of any state_seq still covered by
// a snapshot plus the WAL — the newest valid snapshot at or below the target,
// then every WAL record after it up to the target, applied in order.
// A snapshot that fails to load is skipped (and reported), never used.
#pragma once

#include <string>
#include <vector>

#include "system/io/fs.h"
#include "system/levels/snapshot_store.h"

namespace crashdrill::system {

struct RebuiltState {
  EngineState state;
  Seq snapshot_seq = 0;  // 0: rebuilt from the start of the log
  size_t records_replayed = 0;
  std::vector<Status> skipped;  // snapshots that could not be used, and why
};

// kNotFound when the target is not covered (beyond the log, or older than
// what snapshots and WAL still hold); kCorruption when a record cannot be
// decoded or applied, naming the segment and seq.
Result<RebuiltState> RebuildAsOf(Fs& fs, SnapshotStore& snapshots, const std::string& wal_dir,
                                 Seq target_seq);

}  // namespace crashdrill::system

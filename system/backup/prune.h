// Retention of backup sets by created-at (a wall label: a clock step can only
// shift which day a set counts for, never make prune delete what it must keep).
//
// Keeps: the newest set (by set number), and the newest whose chain of
// manifests is whole back to its full, with their chains, always; the
// newest set of each of the `keep_daily` most recent days that have one, of
// each of the `keep_weekly` most recent ISO weeks and `keep_monthly` months;
// and every ancestor of a kept set (the full and the sets between), so a kept
// incremental or differential always restores. Everything else is deleted:
// each set's manifest first, newest set first (a prune cut short never
// leaves a listed set whose parent it deleted), then the objects, never
// an object a kept manifest names. Objects of interrupted sets older than the
// newest complete set are deleted too.
#pragma once

#include <string>
#include <vector>

#include "system/backup/backup_key.h"
#include "system/backup/backup_target.h"

namespace crashdrill::system {

struct PrunePolicy {
  size_t keep_daily = 7;
  size_t keep_weekly = 4;
  size_t keep_monthly = 12;
};

struct PruneResult {
  std::vector<std::string> kept;          // set ids, ascending
  std::vector<std::string> deleted_sets;  // ascending
  size_t objects_deleted = 0;             // file objects and manifests
};

Result<PruneResult> PruneBackups(BackupTarget& target, const BackupKey& key,
                                 const PrunePolicy& policy);

}  // namespace crashdrill::system

// Backups of a state directory (DESIGN §4, "backups"): full, incremental and
// differential sets of encrypted, compressed objects on a BackupTarget, each
// set a consistent point recovery can start from (state_files.h says why).
//
// Crash contract: a set is complete exactly when its manifest object exists,
// and the manifest is put last, after every object it names is durable
// (BackupTarget::Put). A crash at any moment of CreateBackup leaves every
// earlier set restorable and the new one either complete or not listed.
// Restore checks every object (authentication with the set and path as
// additional data, the final chunk, decompression, size, XXH3) before it
// writes anything, and refuses the whole restore, naming the set and path of
// the first bad object. One writer per target at a time.
#pragma once

#include <string>
#include <vector>

#include "system/backup/backup_key.h"
#include "system/backup/backup_target.h"
#include "system/backup/manifest.h"
#include "system/io/clock.h"
#include "system/io/fs.h"
#include "system/state/vocabulary.h"

namespace crashdrill::system {

struct BackupStats {
  std::string set_id;
  std::string parent_id;  // empty for a full set
  BackupKind kind = BackupKind::kFull;
  Seq snapshot_seq = 0;
  size_t files = 0;           // files the set restores
  size_t files_stored = 0;    // of which new or changed, stored in this set
  size_t files_deleted = 0;   // in the parent, gone since
  uint64_t bytes_plain = 0;   // plain bytes of every file the set restores
  uint64_t bytes_read = 0;    // plain bytes of the files stored in this set
  uint64_t bytes_stored = 0;  // bytes put on the target (objects and manifest)
  int64_t duration_ns = 0;    // on clock.Mono()
};

// Takes a set of `kind` of `state_dir` (which the engine may keep writing).
// Incremental: parent = the newest complete set; differential: the newest
// full. kFailedPrecondition when there is none to build on. `clock` gives the
// created-at label (Wall) and the duration (Mono).
Result<BackupStats> CreateBackup(Fs& fs, Clock& clock, const std::string& state_dir,
                                 BackupTarget& target, const BackupKey& key, BackupKind kind);

// Complete sets, ascending by set number. A manifest that fails to decrypt or
// decode is an error naming it (a wrong key fails here).
Result<std::vector<Manifest>> ListBackups(BackupTarget& target, const BackupKey& key);

// Reads and authenticates one set's manifest.
Result<Manifest> ReadManifest(BackupTarget& target, const BackupKey& key,
                              const std::string& set_id);

struct RestoreStats {
  std::vector<std::string> chain;  // the full first, `set_id` last
  size_t files = 0;
  uint64_t bytes = 0;
};

// Restores `set_id` (and through it its chain: the full and the sets between)
// into `out_dir`, which must be absent or empty. Every object is verified
// before anything is written: a tampered, truncated or missing object or a
// wrong key refuses the restore (kCorruption / kNotFound) and leaves `out_dir`
// as it was. Objects are fetched twice (verify, then write) so memory stays
// at one file; Fs has no rmdir to clean a staging directory away.
Result<RestoreStats> RestoreBackup(BackupTarget& target, const BackupKey& key,
                                   const std::string& set_id, Fs& fs, const std::string& out_dir);

}  // namespace crashdrill::system

// BackingMirror: the real directory that holds a crashfs mount's durable image.
// Contract: after Load, the SimDisk holds the directory's contents as durable (synced data,
// synced names). After SyncFile/Reconcile/RewriteFile return OK, the directory holds, by
// name and content, exactly the SimDisk's durable image for what they were told about, and
// it is itself durable on the real device (fdatasync of files, fsync of directories).
// Scheme: write-through. A file sync writes the ranges written since its last sync; a
// name that became durable is renamed in place (same inode) or written whole from the
// inode's durable bytes; a durable name that went away is unlinked. Names are compared
// by SimDisk inode, so a rename of a big file costs a rename, not a copy.
// Not thread-safe: the caller (CrashFs) serialises every call.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "faults/sim_disk.h"
#include "system/io/status.h"

namespace crashdrill::faults::crashfs {

// Byte ranges [begin, end) written since a file's last sync, merged.
class DirtyRanges {
 public:
  void Add(uint64_t begin, uint64_t end);
  // A truncate to `size`: the mirror must cut the file there before writing the ranges.
  void Truncated(uint64_t size);
  const std::map<uint64_t, uint64_t>& ranges() const { return ranges_; }
  uint64_t cut_size() const { return cut_size_; }  // UINT64_MAX: no truncate since the sync

 private:
  std::map<uint64_t, uint64_t> ranges_;
  uint64_t cut_size_ = UINT64_MAX;
};

class BackingMirror {
 public:
  explicit BackingMirror(std::string dir) : dir_(std::move(dir)) {}

  // Loads every directory and file under dir_ into `disk` as durable (uncounted ops), and
  // removes leftovers of an interrupted reconcile (".crashfs-tmp-*").
  system::Status Load(SimDisk& disk);
  // Makes the backing directory's names equal the disk's durable names.
  system::Status Reconcile(const SimDisk& disk);
  // `inode` was just synced: writes `dirty` to its durable name, if it has one.
  system::Status SyncFile(const SimDisk& disk, uint64_t inode, const DirtyRanges& dirty);
  // Rewrites `inode`'s durable name whole (after a power loss resolved its content).
  system::Status RewriteFile(const SimDisk& disk, uint64_t inode);

 private:
  std::string Real(const std::string& path) const { return dir_ + path; }
  system::Status LoadDir(SimDisk& disk, const std::string& path);
  system::Status WriteWhole(const SimDisk& disk, const std::string& path, uint64_t inode);
  system::Status SyncRealDir(const std::string& path);
  const std::string* DurablePathOf(const SimDisk& disk, uint64_t inode) const;

  std::string dir_;
  SimDisk::Names mirrored_;  // the durable names the directory holds
  uint64_t next_tmp_ = 0;
};

}  // namespace crashdrill::faults::crashfs

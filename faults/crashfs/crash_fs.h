// CrashFs: a SimDisk served by inode number, the model behind the crashfs FUSE daemon.
// Fault contract — the same as SimDisk's (faults/sim_disk.h), because it IS a SimDisk:
// written data stays unsynced until Sync (fsync/fdatasync/msync MS_SYNC); creates,
// renames, unlinks and mkdirs stay pending until SyncDir of their directory (or any sync,
// with CrashModel::dir_sync kJournaled); PowerLoss() resolves SimDisk::Crash(kPowerLoss)
// with the disk's own seeded generator, so the same seed and the same operations give the
// same outcome. What becomes durable is written through to the backing directory
// (BackingMirror), so the backing directory always holds the durable image, and Shutdown()
// (a clean unmount) makes everything durable first.
// Limits: no rmdir, no directory rename, no links, no permissions or timestamps kept.
// Thread-safe: every public call takes one mutex; none of them calls back into the kernel.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "faults/crashfs/backing_mirror.h"
#include "faults/sim_disk.h"
#include "system/io/result.h"

namespace crashdrill::faults::crashfs {

inline constexpr uint64_t kRootIno = 1;

struct Attr {
  uint64_t ino = 0;
  bool is_dir = false;
  uint64_t size = 0;
};

struct DirEntry {
  std::string name;
  Attr attr;
};

// A (directory inode, name) whose meaning a power loss changed: the kernel must forget it.
struct ChangedName {
  uint64_t parent_ino = 0;
  std::string name;
};

struct PowerLossOutcome {
  uint64_t writes_dropped = 0;
  uint64_t writes_torn = 0;
  uint64_t truncates_undone = 0;
  uint64_t names_rolled_back = 0;  // creates/renames/unlinks/mkdirs undone
  std::vector<uint64_t> inodes;    // every inode the kernel may know, to invalidate
  std::vector<ChangedName> names;
  std::string mirror_error;  // non-empty: the backing directory could not be updated
};

// The errno a FUSE reply carries for `status` (EIO when the status has none).
int ErrnoOf(const system::Status& status);

class CrashFs {
 public:
  // Loads `backing_dir` as the durable image. options.plan.seed seeds every choice.
  static system::Result<std::unique_ptr<CrashFs>> Open(std::string backing_dir,
                                                       SimDiskOptions options);

  // Each call that returns an Attr for a name counts one kernel lookup of its inode.
  system::Result<Attr> Lookup(uint64_t parent, const std::string& name);
  void Forget(uint64_t ino, uint64_t count);
  system::Result<Attr> GetAttr(uint64_t ino);
  system::Result<Attr> Truncate(uint64_t ino, uint64_t size);
  system::Result<std::vector<DirEntry>> ReadDir(uint64_t ino);
  system::Result<Attr> Create(uint64_t parent, const std::string& name, bool exclusive);
  system::Result<Attr> MakeDir(uint64_t parent, const std::string& name);
  system::Status Unlink(uint64_t parent, const std::string& name);
  system::Status Rename(uint64_t parent, const std::string& name, uint64_t new_parent,
                        const std::string& new_name, bool no_replace);
  system::Status OpenFile(uint64_t ino, bool truncate);
  void Release(uint64_t ino);
  system::Result<size_t> Read(uint64_t ino, uint64_t offset, system::MutableByteSpan out);
  system::Status Write(uint64_t ino, uint64_t offset, system::ByteSpan data);
  system::Status Allocate(uint64_t ino, uint64_t offset, uint64_t length);
  // fsync/fdatasync (and msync MS_SYNC, which arrives as one): the file's data is durable
  // and in the backing directory when this returns OK.
  system::Status Sync(uint64_t ino);
  system::Status SyncDir(uint64_t ino);
  // Every inode the kernel may know (lookup count > 0 or open).
  std::vector<uint64_t> KnownInodes();
  // Cuts the power: REQUIRES no process is using the mount any more (the daemon killed
  // them) and the kernel's dirty pages were pushed in (invalidated) first.
  PowerLossOutcome PowerLoss();
  // Clean unmount: every file and directory synced, the backing directory complete.
  system::Status Shutdown();
  uint64_t seed() const { return seed_; }
  uint64_t free_bytes();

 private:
  struct Node {
    std::string path;  // "" once unlinked or lost
    bool is_dir = false;
    uint64_t sim_inode = 0;
    uint64_t lookups = 0;
    uint32_t opens = 0;
    std::unique_ptr<system::File> file;
  };

  CrashFs(std::string backing_dir, SimDiskOptions options);
  system::Result<Node*> NodeOf(uint64_t ino);
  system::Result<std::string> ChildPath(uint64_t parent, const std::string& name);
  Attr Remember(const std::string& path, const SimDisk::Entry& entry, bool count_lookup);
  uint64_t InoOf(const std::string& path, const SimDisk::Entry& entry);
  system::Result<Attr> AttrOf(Node& node, uint64_t ino);
  system::Result<system::File*> FileOf(Node& node);
  system::Status SyncLocked(uint64_t sim_inode, system::File& file);
  system::Status SyncDirLocked(Node& node);
  std::map<std::string, uint64_t> KernelNames();
  void RemapNodesAfterCrash();

  std::mutex mutex_;
  uint64_t seed_;
  SimDisk disk_;
  BackingMirror mirror_;
  std::unordered_map<uint64_t, Node> nodes_;
  std::map<std::string, uint64_t> dir_inos_;  // directories keep their number for life
  std::map<uint64_t, DirtyRanges> dirty_;     // by SimDisk inode, since its last sync
  uint64_t next_dir_ino_ = 1;
};

}  // namespace crashdrill::faults::crashfs

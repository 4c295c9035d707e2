// CrashFs: inode bookkeeping and the FUSE-shaped operations over a SimDisk. Power loss and
// clean shutdown live in crash_fs_power_loss.cc.
#include "faults/crashfs/crash_fs.h"

#include <cerrno>

namespace crashdrill::faults::crashfs {

using system::Result;
using system::Status;
using system::StatusCode;

namespace {

constexpr uint64_t kDirInoBit = uint64_t{1} << 62;

// Lookups, getattrs, readdirs and reads are driven by the kernel's caches, so how many
// arrive is not a property of the workload: they are not counted as disk operations (a
// FaultPlan's "N-th op" counts what the processes change, and replays the same).
class Uncounted {
 public:
  explicit Uncounted(SimDisk& disk) : disk_(disk) { disk_.SetUncounted(true); }
  ~Uncounted() { disk_.SetUncounted(false); }
  Uncounted(const Uncounted&) = delete;
  Uncounted& operator=(const Uncounted&) = delete;

 private:
  SimDisk& disk_;
};

Status Errno(int error_number, std::string_view op, std::string_view path) {
  return Status::FromErrno(error_number, op, path);
}

}  // namespace

int ErrnoOf(const Status& status) {
  if (status.error_number() != 0) return status.error_number();
  switch (status.code()) {
    case StatusCode::kNotFound:
      return ENOENT;
    case StatusCode::kAlreadyExists:
      return EEXIST;
    case StatusCode::kNoSpace:
      return ENOSPC;
    case StatusCode::kInvalidArgument:
      return EINVAL;
    case StatusCode::kFailedPrecondition:
      return ESTALE;
    default:
      return EIO;
  }
}

CrashFs::CrashFs(std::string backing_dir, SimDiskOptions options)
    : seed_(options.plan.seed), disk_(std::move(options)), mirror_(std::move(backing_dir)) {
  nodes_[kRootIno] = Node{.path = "/", .is_dir = true, .lookups = 1};
  dir_inos_["/"] = kRootIno;
}

Result<std::unique_ptr<CrashFs>> CrashFs::Open(std::string backing_dir, SimDiskOptions options) {
  CD_RETURN_IF_ERROR(options.model.Validate());
  std::unique_ptr<CrashFs> fs(new CrashFs(std::move(backing_dir), std::move(options)));
  CD_RETURN_IF_ERROR(fs->mirror_.Load(fs->disk_));
  return fs;
}

Result<CrashFs::Node*> CrashFs::NodeOf(uint64_t ino) {
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return Errno(ESTALE, "crashfs inode", std::to_string(ino));
  return &it->second;
}

Result<std::string> CrashFs::ChildPath(uint64_t parent, const std::string& name) {
  CD_ASSIGN_OR_RETURN(Node * dir, NodeOf(parent));
  if (!dir->is_dir) return Errno(ENOTDIR, "crashfs lookup", name);
  if (dir->path.empty()) return Errno(ENOENT, "crashfs lookup", name);
  return system::JoinPath(dir->path, name);
}

uint64_t CrashFs::InoOf(const std::string& path, const SimDisk::Entry& entry) {
  if (!entry.is_dir) return entry.inode + 1;  // SimDisk inodes start at 1; 1 is the root
  auto [it, added] = dir_inos_.emplace(path, 0);
  if (added) it->second = kDirInoBit | next_dir_ino_++;
  return it->second;
}

Attr CrashFs::Remember(const std::string& path, const SimDisk::Entry& entry, bool count_lookup) {
  const uint64_t ino = InoOf(path, entry);
  Node& node = nodes_[ino];
  node.path = path;
  node.is_dir = entry.is_dir;
  node.sim_inode = entry.inode;
  if (count_lookup) ++node.lookups;
  return Attr{.ino = ino, .is_dir = entry.is_dir};
}

Result<system::File*> CrashFs::FileOf(Node& node) {
  if (node.is_dir) return Errno(EISDIR, "crashfs open", node.path);
  if (!node.file) {
    if (node.path.empty()) return Errno(ESTALE, "crashfs open", "(unlinked)");
    CD_ASSIGN_OR_RETURN(node.file, disk_.Open(node.path, system::OpenOptions::ReadWrite()));
  }
  return node.file.get();
}

Result<Attr> CrashFs::AttrOf(Node& node, uint64_t ino) {
  Attr attr{.ino = ino, .is_dir = node.is_dir};
  if (node.is_dir) return attr;
  Uncounted uncounted(disk_);
  if (node.file) {
    CD_ASSIGN_OR_RETURN(attr.size, node.file->Size());
  } else if (!node.path.empty()) {
    CD_ASSIGN_OR_RETURN(attr.size, disk_.FileSize(node.path));
  } else {
    return Errno(ENOENT, "crashfs getattr", std::to_string(ino));
  }
  return attr;
}

Result<Attr> CrashFs::Lookup(uint64_t parent, const std::string& name) {
  std::lock_guard lock(mutex_);
  CD_ASSIGN_OR_RETURN(std::string path, ChildPath(parent, name));
  auto it = disk_.names().find(path);
  if (it == disk_.names().end()) return Errno(ENOENT, "crashfs lookup", path);
  const Attr attr = Remember(path, it->second, /*count_lookup=*/true);
  return AttrOf(nodes_.at(attr.ino), attr.ino);
}

void CrashFs::Forget(uint64_t ino, uint64_t count) {
  std::lock_guard lock(mutex_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end() || ino == kRootIno) return;
  it->second.lookups -= std::min(count, it->second.lookups);
  // The SimDisk keeps the data (unsynced too) by name; only our handle goes.
  if (it->second.lookups == 0 && it->second.opens == 0) nodes_.erase(it);
}

Result<Attr> CrashFs::GetAttr(uint64_t ino) {
  std::lock_guard lock(mutex_);
  CD_ASSIGN_OR_RETURN(Node * node, NodeOf(ino));
  if (node->is_dir && node->path.empty()) return Errno(ENOENT, "crashfs getattr", "(lost)");
  return AttrOf(*node, ino);
}

Result<Attr> CrashFs::Truncate(uint64_t ino, uint64_t size) {
  std::lock_guard lock(mutex_);
  CD_ASSIGN_OR_RETURN(Node * node, NodeOf(ino));
  CD_ASSIGN_OR_RETURN(system::File * file, FileOf(*node));
  CD_RETURN_IF_ERROR(file->Truncate(size));
  dirty_[node->sim_inode].Truncated(size);
  return AttrOf(*node, ino);
}

Result<std::vector<DirEntry>> CrashFs::ReadDir(uint64_t ino) {
  std::lock_guard lock(mutex_);
  CD_ASSIGN_OR_RETURN(Node * node, NodeOf(ino));
  if (!node->is_dir) return Errno(ENOTDIR, "crashfs readdir", node->path);
  const std::string dir = node->path;
  Uncounted uncounted(disk_);
  CD_ASSIGN_OR_RETURN(std::vector<std::string> names, disk_.List(dir));
  std::vector<DirEntry> entries;
  for (const std::string& name : names) {
    const std::string path = system::JoinPath(dir, name);
    const SimDisk::Entry& entry = disk_.names().at(path);
    entries.push_back(
        DirEntry{.name = name, .attr = {.ino = InoOf(path, entry), .is_dir = entry.is_dir}});
  }
  return entries;
}

Result<Attr> CrashFs::Create(uint64_t parent, const std::string& name, bool exclusive) {
  std::lock_guard lock(mutex_);
  CD_ASSIGN_OR_RETURN(std::string path, ChildPath(parent, name));
  CD_ASSIGN_OR_RETURN(std::unique_ptr<system::File> file,
                      disk_.Open(path, exclusive ? system::OpenOptions::CreateNew()
                                                 : system::OpenOptions::CreateOrOpen()));
  const Attr attr = Remember(path, disk_.names().at(path), /*count_lookup=*/true);
  Node& node = nodes_.at(attr.ino);
  if (!node.file) node.file = std::move(file);
  ++node.opens;
  return AttrOf(node, attr.ino);
}

Result<Attr> CrashFs::MakeDir(uint64_t parent, const std::string& name) {
  std::lock_guard lock(mutex_);
  CD_ASSIGN_OR_RETURN(std::string path, ChildPath(parent, name));
  if (disk_.names().count(path) != 0) return Errno(EEXIST, "crashfs mkdir", path);
  CD_RETURN_IF_ERROR(disk_.MakeDir(path));
  return Remember(path, disk_.names().at(path), /*count_lookup=*/true);
}

Status CrashFs::Unlink(uint64_t parent, const std::string& name) {
  std::lock_guard lock(mutex_);
  CD_ASSIGN_OR_RETURN(std::string path, ChildPath(parent, name));
  auto it = disk_.names().find(path);
  if (it == disk_.names().end()) return Errno(ENOENT, "crashfs unlink", path);
  if (it->second.is_dir) return Errno(EISDIR, "crashfs unlink", path);
  const uint64_t ino = InoOf(path, it->second);
  CD_RETURN_IF_ERROR(disk_.Unlink(path));
  auto node = nodes_.find(ino);
  if (node != nodes_.end()) node->second.path.clear();  // open handles keep the data
  return Status::Ok();
}

Status CrashFs::Rename(uint64_t parent, const std::string& name, uint64_t new_parent,
                       const std::string& new_name, bool no_replace) {
  std::lock_guard lock(mutex_);
  CD_ASSIGN_OR_RETURN(std::string from, ChildPath(parent, name));
  CD_ASSIGN_OR_RETURN(std::string to, ChildPath(new_parent, new_name));
  auto source = disk_.names().find(from);
  if (source == disk_.names().end()) return Errno(ENOENT, "crashfs rename", from);
  // SimDisk renames files only; EXDEV makes mv(1) and friends copy instead.
  if (source->second.is_dir) return Errno(EXDEV, "crashfs rename", from);
  const SimDisk::Entry moved = source->second;
  auto target = disk_.names().find(to);
  if (target != disk_.names().end()) {
    if (no_replace) return Errno(EEXIST, "crashfs rename", to);
    if (target->second.is_dir) return Errno(EISDIR, "crashfs rename", to);
    auto replaced = nodes_.find(InoOf(to, target->second));
    if (replaced != nodes_.end() && target->second.inode != moved.inode) {
      replaced->second.path.clear();
    }
  }
  CD_RETURN_IF_ERROR(disk_.Rename(from, to));
  auto node = nodes_.find(InoOf(to, moved));
  if (node != nodes_.end()) node->second.path = to;
  return Status::Ok();
}

Status CrashFs::OpenFile(uint64_t ino, bool truncate) {
  std::lock_guard lock(mutex_);
  CD_ASSIGN_OR_RETURN(Node * node, NodeOf(ino));
  CD_ASSIGN_OR_RETURN(system::File * file, FileOf(*node));
  if (truncate) {
    CD_RETURN_IF_ERROR(file->Truncate(0));
    dirty_[node->sim_inode].Truncated(0);
  }
  ++node->opens;
  return Status::Ok();
}

void CrashFs::Release(uint64_t ino) {
  std::lock_guard lock(mutex_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return;
  Node& node = it->second;
  if (node.opens > 0) --node.opens;
  if (node.opens > 0) return;
  if (node.lookups == 0 && ino != kRootIno) {
    nodes_.erase(it);
  } else if (node.path.empty()) {
    node.file.reset();  // unlinked and closed: the SimDisk may now forget the inode
  }
}

Result<size_t> CrashFs::Read(uint64_t ino, uint64_t offset, system::MutableByteSpan out) {
  std::lock_guard lock(mutex_);
  CD_ASSIGN_OR_RETURN(Node * node, NodeOf(ino));
  CD_ASSIGN_OR_RETURN(system::File * file, FileOf(*node));
  Uncounted uncounted(disk_);
  return file->ReadAt(offset, out);
}

Status CrashFs::Write(uint64_t ino, uint64_t offset, system::ByteSpan data) {
  std::lock_guard lock(mutex_);
  CD_ASSIGN_OR_RETURN(Node * node, NodeOf(ino));
  CD_ASSIGN_OR_RETURN(system::File * file, FileOf(*node));
  dirty_[node->sim_inode].Add(offset, offset + data.size());  // a failed write may land a prefix
  return file->WriteAt(offset, data);
}

Status CrashFs::Allocate(uint64_t ino, uint64_t offset, uint64_t length) {
  std::lock_guard lock(mutex_);
  CD_ASSIGN_OR_RETURN(Node * node, NodeOf(ino));
  CD_ASSIGN_OR_RETURN(system::File * file, FileOf(*node));
  dirty_[node->sim_inode];  // the size may grow; the next sync writes it through
  return file->Allocate(offset, length);
}

Status CrashFs::Sync(uint64_t ino) {
  std::lock_guard lock(mutex_);
  CD_ASSIGN_OR_RETURN(Node * node, NodeOf(ino));
  if (node->is_dir) return SyncDirLocked(*node);
  CD_ASSIGN_OR_RETURN(system::File * file, FileOf(*node));
  return SyncLocked(node->sim_inode, *file);
}

Status CrashFs::SyncLocked(uint64_t sim_inode, system::File& file) {
  CD_RETURN_IF_ERROR(file.Sync());
  // kJournaled: a file sync commits every pending directory operation too.
  CD_RETURN_IF_ERROR(mirror_.Reconcile(disk_));
  auto dirty = dirty_.find(sim_inode);
  if (dirty == dirty_.end()) return Status::Ok();
  CD_RETURN_IF_ERROR(mirror_.SyncFile(disk_, sim_inode, dirty->second));
  dirty_.erase(dirty);
  return Status::Ok();
}

Status CrashFs::SyncDir(uint64_t ino) {
  std::lock_guard lock(mutex_);
  CD_ASSIGN_OR_RETURN(Node * node, NodeOf(ino));
  return SyncDirLocked(*node);
}

Status CrashFs::SyncDirLocked(Node& node) {
  if (!node.is_dir || node.path.empty()) return Errno(ENOTDIR, "crashfs fsyncdir", node.path);
  CD_RETURN_IF_ERROR(disk_.SyncDir(node.path));
  return mirror_.Reconcile(disk_);
}

std::vector<uint64_t> CrashFs::KnownInodes() {
  std::lock_guard lock(mutex_);
  std::vector<uint64_t> inodes;
  for (const auto& [ino, node] : nodes_) inodes.push_back(ino);
  return inodes;
}

uint64_t CrashFs::free_bytes() {
  std::lock_guard lock(mutex_);
  Uncounted uncounted(disk_);
  Result<uint64_t> free = disk_.FreeSpace("/");
  return free.ok() ? *free : 0;
}

}  // namespace crashdrill::faults::crashfs

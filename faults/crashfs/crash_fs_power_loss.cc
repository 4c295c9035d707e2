// CrashFs: cutting the power (SimDisk::Crash(kPowerLoss), then the backing directory and
// the inode table follow what survived) and the clean shutdown of an unmount.
#include <set>

#include "faults/crashfs/crash_fs.h"

namespace crashdrill::faults::crashfs {

using system::Status;

// Every current name under a directory the kernel may have cached, with its inode number.
std::map<std::string, uint64_t> CrashFs::KernelNames() {
  std::map<std::string, uint64_t> names;
  for (const auto& [path, entry] : disk_.names()) {
    if (dir_inos_.count(system::ParentDir(path)) != 0) names[path] = InoOf(path, entry);
  }
  return names;
}

void CrashFs::RemapNodesAfterCrash() {
  std::map<uint64_t, std::string> path_of;  // SimDisk inode -> a surviving name
  for (const auto& [path, entry] : disk_.names()) {
    if (!entry.is_dir) path_of.emplace(entry.inode, path);
  }
  for (auto& [ino, node] : nodes_) {
    node.file.reset();  // handles of the old "boot" are dead; reopened by name on demand
    node.opens = 0;     // every process that held one was killed
    if (ino == kRootIno) continue;
    if (node.is_dir) {
      auto it = disk_.names().find(node.path);
      if (it == disk_.names().end() || !it->second.is_dir) node.path.clear();
      continue;
    }
    auto it = path_of.find(node.sim_inode);
    node.path = it == path_of.end() ? "" : it->second;
  }
}

PowerLossOutcome CrashFs::PowerLoss() {
  std::lock_guard lock(mutex_);
  const std::map<std::string, uint64_t> before = KernelNames();
  const FaultTrace& trace = disk_.trace();
  const ProbeCounts counts = trace.counts();
  disk_.Crash(CrashKind::kPowerLoss);
  RemapNodesAfterCrash();

  PowerLossOutcome outcome;
  auto delta = [&](Probe probe) { return trace.count(probe) - counts[static_cast<size_t>(probe)]; };
  outcome.writes_dropped = delta(Probe::kWriteLost);
  outcome.writes_torn = delta(Probe::kTornPrefix) + delta(Probe::kTornArbitrary);
  outcome.truncates_undone = delta(Probe::kTruncateDropped);
  outcome.names_rolled_back = delta(Probe::kDirOpLost) + delta(Probe::kRenameBothNames);

  // What survived is now the durable image: names first, then the content of every file
  // that had unsynced changes (some of them may have landed, torn or whole).
  Status mirrored = mirror_.Reconcile(disk_);
  for (const auto& [sim_inode, ranges] : dirty_) {
    if (mirrored.ok()) mirrored = mirror_.RewriteFile(disk_, sim_inode);
  }
  dirty_.clear();
  if (!mirrored.ok()) outcome.mirror_error = mirrored.ToString();

  const std::map<std::string, uint64_t> after = KernelNames();
  std::set<std::string> changed;
  for (const auto& [path, ino] : before) {
    auto it = after.find(path);
    if (it == after.end() || it->second != ino) changed.insert(path);
  }
  for (const auto& [path, ino] : after) {
    if (before.count(path) == 0) changed.insert(path);  // a name an undone unlink restored
  }
  for (const std::string& path : changed) {
    auto parent = dir_inos_.find(system::ParentDir(path));
    if (parent == dir_inos_.end()) continue;
    outcome.names.push_back(
        ChangedName{.parent_ino = parent->second, .name = path.substr(path.rfind('/') + 1)});
  }
  for (const auto& [ino, node] : nodes_) outcome.inodes.push_back(ino);
  return outcome;
}

Status CrashFs::Shutdown() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> dirs = {"/"};
  for (const auto& [path, entry] : disk_.names()) {
    if (entry.is_dir) {
      dirs.push_back(path);
      continue;
    }
    CD_ASSIGN_OR_RETURN(std::unique_ptr<system::File> file,
                        disk_.Open(path, system::OpenOptions::ReadWrite()));
    CD_RETURN_IF_ERROR(SyncLocked(entry.inode, *file));
  }
  for (const std::string& dir : dirs) CD_RETURN_IF_ERROR(disk_.SyncDir(dir));
  return mirror_.Reconcile(disk_);
}

}  // namespace crashdrill::faults::crashfs

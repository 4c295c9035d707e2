#include "system/backup/backup_target.h"

#include "system/levels/atomic_file.h"

namespace crashdrill::system {

bool ValidObjectName(std::string_view name) {
  if (name.empty() || name.size() > 200 || name.front() == '.' || name.ends_with(kTempSuffix)) {
    return false;
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status DirTarget::Open() {
  CD_RETURN_IF_ERROR(MakeDurableDir(fs_, dir_));
  CD_ASSIGN_OR_RETURN(const std::vector<std::string> names, fs_.List(dir_));
  bool removed = false;
  for (const std::string& name : names) {
    if (!name.ends_with(kTempSuffix)) continue;
    CD_RETURN_IF_ERROR(fs_.Unlink(JoinPath(dir_, name)));
    removed = true;
  }
  return removed ? fs_.SyncDir(dir_) : Status::Ok();
}

Status DirTarget::Put(const std::string& name, ByteSpan bytes) {
  if (!ValidObjectName(name)) return Status::InvalidArgument("put backup object", name);
  return WriteFileAtomically(fs_, dir_, name, bytes, "backup object");
}

Result<std::vector<std::byte>> DirTarget::Get(const std::string& name) {
  if (!ValidObjectName(name)) return Status::InvalidArgument("get backup object", name);
  return ReadWholeFile(fs_, JoinPath(dir_, name));
}

Result<std::vector<std::string>> DirTarget::List() {
  CD_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_.List(dir_));
  std::erase_if(names, [](const std::string& name) { return !ValidObjectName(name); });
  return names;
}

Status DirTarget::Delete(const std::string& name) {
  if (!ValidObjectName(name)) return Status::InvalidArgument("delete backup object", name);
  const std::string path = JoinPath(dir_, name);
  Status unlinked = fs_.Unlink(path);
  if (!unlinked.ok() && !unlinked.IsNotFound()) return unlinked;
  return AnnotateStep(fs_.SyncDir(dir_), "backup object delete", "sync directory");
}

}  // namespace crashdrill::system

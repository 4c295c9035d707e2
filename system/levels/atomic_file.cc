#include "system/levels/atomic_file.h"

#include <fmt/format.h>

#include "system/io/check.h"

namespace crashdrill::system {
Status AnnotateStep(Status status, std::string_view what, std::string_view step) {
  if (!status.ok()) status.Annotate(fmt::format("{} step '{}' failed", what, step));
  return status;
}

Status KeepNewest(Fs& fs, const std::vector<std::string>& paths_oldest_first, size_t keep,
                  std::string_view what) {
  CD_CHECK(keep >= 1, "retention must keep the newest copy");
  for (size_t i = 0; i + keep < paths_oldest_first.size(); ++i) {
    CD_RETURN_IF_ERROR(AnnotateStep(fs.Unlink(paths_oldest_first[i]), what, "retention"));
  }
  return Status::Ok();
}

Status WriteFileAtomically(Fs& fs, const std::string& dir, const std::string& name,
                           ByteSpan bytes, std::string_view what) {
  const std::string final_path = JoinPath(dir, name);
  const std::string temp_path = final_path + std::string(kTempSuffix);
  Status status = [&]() -> Status {
    CD_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                        fs.Open(temp_path, OpenOptions::CreateTruncate()));
    CD_RETURN_IF_ERROR(AnnotateStep(file->WriteAt(0, bytes), what, "write temp file"));
    CD_RETURN_IF_ERROR(AnnotateStep(file->Sync(), what, "sync temp file"));
    return AnnotateStep(fs.Rename(temp_path, final_path), what, "rename into place");
  }();
  if (!status.ok()) {
    fs.Unlink(temp_path).IgnoreError();  // frees the space; the first error is what matters
    return status;
  }
  return AnnotateStep(fs.SyncDir(dir), what, "sync directory")
      .Annotate(fmt::format("{} is in place but may not survive a power loss", final_path));
}

Status MakeDurableDir(Fs& fs, const std::string& dir) {
  CD_RETURN_IF_ERROR(fs.MakeDir(dir));
  return fs.SyncDir(ParentDir(dir));
}

Status RemoveUnpublishedTempFiles(Fs& fs, const std::string& dir, std::string_view prefix) {
  CD_ASSIGN_OR_RETURN(std::vector<std::string> names, fs.List(dir));
  for (const std::string& name : names) {
    if (name.starts_with(prefix) && name.ends_with(kTempSuffix)) {
      CD_RETURN_IF_ERROR(fs.Unlink(JoinPath(dir, name)));
    }
  }
  return Status::Ok();
}

}  // namespace crashdrill::system

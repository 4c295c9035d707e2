#include "system/backup/state_files.h"

#include "system/levels/durable_file.h"
#include "system/levels/snapshot_store.h"
#include "system/levels/wal_reader.h"

namespace crashdrill::system {
namespace {

Status VisitFile(Fs& fs, const std::string& state_dir, const std::string& relative_path,
                 const StateFileVisitor& visit) {
  CD_ASSIGN_OR_RETURN(const std::vector<std::byte> bytes,
                      ReadWholeFile(fs, JoinPath(state_dir, relative_path)));
  return visit(relative_path, bytes);
}

// The newest snapshot that reads back valid; 0 (and nothing visited) if none.
Result<Seq> VisitNewestSnapshot(Fs& fs, const std::string& state_dir,
                                const StateFileVisitor& visit) {
  const std::string dir = JoinPath(state_dir, "snapshots");
  CD_ASSIGN_OR_RETURN(const bool exists, fs.Exists(dir));
  if (!exists) return Seq{0};
  SnapshotStore store(fs, {.dir = dir});
  CD_ASSIGN_OR_RETURN(const std::vector<SnapshotFile> files, store.List());
  for (auto file = files.rbegin(); file != files.rend(); ++file) {
    CD_ASSIGN_OR_RETURN(const std::vector<std::byte> bytes, ReadWholeFile(fs, file->path));
    if (!DecodeSnapshot(bytes, file->path).ok()) continue;  // recovery would skip it too
    CD_RETURN_IF_ERROR(
        visit(JoinPath("snapshots", SnapshotStore::FileName(file->state_seq)), bytes));
    return file->state_seq;
  }
  return Seq{0};
}

Status VisitL2(Fs& fs, const std::string& state_dir, const StateFileVisitor& visit) {
  const std::string l2 = JoinPath(state_dir, "l2");
  CD_ASSIGN_OR_RETURN(const bool exists, fs.Exists(l2));
  if (!exists) return Status::Ok();
  CD_ASSIGN_OR_RETURN(const std::vector<std::string> types, fs.List(l2));
  for (const std::string& type : types) {
    CD_ASSIGN_OR_RETURN(const std::vector<std::string> names, fs.List(JoinPath(l2, type)));
    for (const std::string& name : names) {
      if (DurableFile::ParseFileName(name) == 0) continue;  // a temp file: never published
      CD_RETURN_IF_ERROR(VisitFile(fs, state_dir, JoinPath(JoinPath("l2", type), name), visit));
    }
  }
  return Status::Ok();
}

// Segments from the one that may hold anchor+1 on: a segment ends where the
// next one starts, so one is skipped only when its successor starts at or
// below anchor+1.
Status VisitWal(Fs& fs, const std::string& state_dir, Seq anchor, const StateFileVisitor& visit) {
  const std::string dir = JoinPath(state_dir, "wal");
  CD_ASSIGN_OR_RETURN(const bool exists, fs.Exists(dir));
  if (!exists) return Status::Ok();
  CD_ASSIGN_OR_RETURN(const std::vector<WalSegment> segments, WalReader(fs, dir).Segments());
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i + 1 < segments.size() && segments[i + 1].first_seq <= anchor + 1) continue;
    const std::string name = segments[i].path.substr(segments[i].path.rfind('/') + 1);
    CD_RETURN_IF_ERROR(VisitFile(fs, state_dir, JoinPath("wal", name), visit));
  }
  return Status::Ok();
}

}  // namespace

Result<Seq> VisitStateFiles(Fs& fs, const std::string& state_dir, const StateFileVisitor& visit) {
  CD_ASSIGN_OR_RETURN(const Seq anchor, VisitNewestSnapshot(fs, state_dir, visit));
  CD_RETURN_IF_ERROR(VisitL2(fs, state_dir, visit));
  // The checkpointer's L1 file (recovery's L1Path).
  CD_ASSIGN_OR_RETURN(const bool l1_exists, fs.Exists(JoinPath(state_dir, "l1")));
  if (l1_exists) CD_RETURN_IF_ERROR(VisitFile(fs, state_dir, "l1", visit));
  CD_RETURN_IF_ERROR(VisitWal(fs, state_dir, anchor, visit));
  return anchor;
}

}  // namespace crashdrill::system

#include "system/recovery/point_in_time.h"

#include <fmt/format.h>

#include "system/levels/wal_reader.h"
#include "system/state/state_update.h"

namespace crashdrill::system {
namespace {

// The newest snapshot at or below `target_seq` that loads, into `out`.
Status LoadBase(SnapshotStore& snapshots, Seq target_seq, RebuiltState& out) {
  CD_ASSIGN_OR_RETURN(std::vector<SnapshotFile> files, snapshots.List());
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    if (it->state_seq > target_seq) continue;
    auto state = snapshots.Read(*it);
    if (!state.ok()) {
      out.skipped.push_back(state.status());
      continue;
    }
    out.state = std::move(state).value();
    out.snapshot_seq = it->state_seq;
    return Status::Ok();
  }
  return Status::Ok();  // no usable snapshot: start from the empty state
}

}  // namespace

Result<RebuiltState> RebuildAsOf(Fs& fs, SnapshotStore& snapshots, const std::string& wal_dir,
                                 Seq target_seq) {
  RebuiltState out;
  CD_RETURN_IF_ERROR(LoadBase(snapshots, target_seq, out));
  if (out.snapshot_seq == target_seq) return out;
  WalReader reader(fs, wal_dir);
  WalEnd end;
  Status replay_error;
  Status read = reader.Read(
      out.snapshot_seq,
      [&](const WalRecordView& record) -> Status {
        const std::string source = fmt::format("{} state_seq {}", wal_dir, record.state_seq);
        auto update = DecodeStateUpdate(record.type, record.payload, source);
        if (!update.ok()) return update.status();
        Status applied = ApplyStateUpdate(out.state, *update, record.state_seq, record.time_ns);
        if (!applied.ok()) {
          return Status::Error(StatusCode::kCorruption, "replay", source, applied.message());
        }
        ++out.records_replayed;
        return Status::Ok();
      },
      end, /*until_seq=*/target_seq);
  CD_RETURN_IF_ERROR(read);
  if (end.starts_after_seq > out.snapshot_seq) {
    return Status::Error(StatusCode::kNotFound, "rebuild", wal_dir,
                         fmt::format("the log starts after state_seq {}, the newest usable "
                                     "snapshot at or below {} is {}",
                                     end.starts_after_seq, target_seq, out.snapshot_seq));
  }
  if (out.state.state_seq() != target_seq) {
    return Status::Error(
        StatusCode::kNotFound, "rebuild", wal_dir,
        fmt::format("state_seq {} is not in the log (it reaches {})", target_seq, end.last_seq));
  }
  return out;
}

}  // namespace crashdrill::system

// PauseAtMomentFs: lets a drill kill -9 the engine in the middle of a named
// moment of its persistence — an L2 checkpoint, a snapshot or a WAL group
// commit — instead of wherever a timer happens to land. Once armed, the first
// sync of a file that belongs to the moment announces itself on stdout
// ("paused <moment> <path>") and then blocks forever: the data is written and
// not yet synced, the temp file not yet renamed, the records not yet
// acknowledged. The harness reads the line and sends SIGKILL. Nothing is done
// differently before the pause, so what the kill leaves is what a kill at that
// instant of an unhooked engine leaves.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "system/io/fs.h"
#include "system/io/result.h"

namespace crashdrill::scenarios {

enum class PersistenceMoment { kCheckpoint, kSnapshot, kWalCommit };

// "checkpoint", "snapshot", "wal-commit"; kInvalidArgument naming --pause-at otherwise.
system::Result<PersistenceMoment> ParsePersistenceMoment(const std::string& text);
const char* PersistenceMomentName(PersistenceMoment moment);

class PauseAtMomentFs final : public system::FsWrapper {
 public:
  // `state_dir` as the checkpointer is given it. Not armed until Arm().
  PauseAtMomentFs(system::Fs& target, std::string state_dir, PersistenceMoment moment);
  // From now on, the moment's next sync pauses the process.
  void Arm() { armed_->store(true); }

  system::Result<std::unique_ptr<system::File>> Open(const std::string& path,
                                                     system::OpenOptions options) override;

 private:
  bool Belongs(const std::string& path) const;

  std::string state_dir_;
  PersistenceMoment moment_;
  std::shared_ptr<std::atomic<bool>> armed_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace crashdrill::scenarios

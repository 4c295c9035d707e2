#include "scenarios/cli/pause_at_moment.h"

#include <fmt/format.h>
#include <unistd.h>

#include "system/levels/atomic_file.h"

namespace crashdrill::scenarios {
namespace {

// Syncs as usual until armed; then the first sync announces and blocks.
class PausingFile final : public system::FileWrapper {
 public:
  PausingFile(std::unique_ptr<system::File> target, PersistenceMoment moment,
              std::shared_ptr<std::atomic<bool>> armed)
      : FileWrapper(std::move(target)), moment_(moment), armed_(std::move(armed)) {}

  system::Status Sync() override {
    if (armed_->load()) Pause();
    return FileWrapper::Sync();
  }

 private:
  [[noreturn]] void Pause() {
    const std::string line = fmt::format("paused {} {}\n", PersistenceMomentName(moment_), path());
    // write(2), not stdio: the harness must see it before the kill.
    for (size_t done = 0; done < line.size();) {
      const ssize_t n = ::write(STDOUT_FILENO, line.data() + done, line.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    while (true) ::pause();  // until the harness's SIGKILL
  }

  PersistenceMoment moment_;
  std::shared_ptr<std::atomic<bool>> armed_;
};

}  // namespace

system::Result<PersistenceMoment> ParsePersistenceMoment(const std::string& text) {
  for (PersistenceMoment moment : {PersistenceMoment::kCheckpoint, PersistenceMoment::kSnapshot,
                                   PersistenceMoment::kWalCommit}) {
    if (text == PersistenceMomentName(moment)) return moment;
  }
  return system::Status::InvalidArgument(
      "--pause-at", fmt::format("'{}' is not checkpoint, snapshot or wal-commit", text));
}

const char* PersistenceMomentName(PersistenceMoment moment) {
  switch (moment) {
    case PersistenceMoment::kCheckpoint:
      return "checkpoint";
    case PersistenceMoment::kSnapshot:
      return "snapshot";
    case PersistenceMoment::kWalCommit:
      return "wal-commit";
  }
  return "?";
}

PauseAtMomentFs::PauseAtMomentFs(system::Fs& target, std::string state_dir,
                                 PersistenceMoment moment)
    : FsWrapper(&target), state_dir_(std::move(state_dir)), moment_(moment) {
  while (state_dir_.size() > 1 && state_dir_.back() == '/') state_dir_.pop_back();
}

bool PauseAtMomentFs::Belongs(const std::string& path) const {
  const auto under = [&](std::string_view sub) {
    return path.starts_with(fmt::format("{}/{}/", state_dir_, sub));
  };
  const bool temp = path.ends_with(system::kTempSuffix);
  switch (moment_) {
    case PersistenceMoment::kCheckpoint:  // an L2 version written, not yet renamed
      return under("l2") && temp;
    case PersistenceMoment::kSnapshot:  // a snapshot written, not yet renamed
      return under("snapshots") && temp;
    case PersistenceMoment::kWalCommit:  // a group of records written, not yet synced
      return under("wal");
  }
  return false;
}

system::Result<std::unique_ptr<system::File>> PauseAtMomentFs::Open(const std::string& path,
                                                                    system::OpenOptions options) {
  auto file = FsWrapper::Open(path, options);
  if (!file.ok() || !Belongs(path)) return file;
  return std::unique_ptr<system::File>(
      std::make_unique<PausingFile>(std::move(file).value(), moment_, armed_));
}

}  // namespace crashdrill::scenarios

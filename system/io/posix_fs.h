// PosixFs: the real file system, for production and process mode.
// Every operation first consults a libfiu point named `crashdrill/fs/<op>`
// (open, read, write, write/short, sync, truncate, size, allocate, map, msync,
// rename, unlink, list, mkdir, syncdir, exists, freespace). When a point is
// enabled its failinfo is the errno to report (0 means EIO), and the Status is
// marked injected. `write/short` writes half the bytes, then fails with the
// failinfo errno (default ENOSPC), the way a filling device does.
// Points can be enabled in-process (fiu_enable) or from outside (fiu-ctrl on a
// process that called EnableFiuRemoteControl).
#pragma once

#include <string>

#include "system/io/fs.h"

namespace crashdrill::system {

class PosixFs final : public Fs {
 public:
  PosixFs();

  Result<std::unique_ptr<File>> Open(const std::string& path, OpenOptions options) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Unlink(const std::string& path) override;
  Result<std::vector<std::string>> List(const std::string& dir) override;
  Status MakeDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  Result<bool> Exists(const std::string& path) override;
  Result<uint64_t> FileSize(const std::string& path) override;
  Result<uint64_t> FreeSpace(const std::string& path) override;
};

// Initialises libfiu once per process (idempotent, thread-safe). PosixFs calls it.
void InitFaultPoints();

// Lets `fiu-ctrl PID` enable points in this process: creates the fifo
// `<basename>-<pid>.in/.out` (libfiu's fiu_rc_fifo). Returns the error if the
// fifo cannot be created.
Status EnableFiuRemoteControl(const std::string& fifo_basename);

}  // namespace crashdrill::system

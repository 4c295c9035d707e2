// L2 — the whole engine state in one file per version, replaced atomically:
// write `checkpoint_<version>.tmp`, Sync, rename it to `checkpoint_<version>`,
// SyncDir. Versions are numbered 1, 2, 3, ... and the K newest are kept.
//
// Durability contract: after Write() returns OK, that version survives a power
// loss. A crash or a failure at any step of Write() leaves every earlier
// version intact; the error names the step. Retention deletes only versions
// older than the one just made durable, never the newest valid copy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "system/io/fs.h"
#include "system/state/codec.h"
#include "system/state/engine_state.h"

namespace crashdrill::system {

struct DurableFileOptions {
  std::string dir;
  size_t versions_kept = 3;  // K >= 1
  // The caller made `dir` and synced its parent already (the checkpointer
  // makes all its L2 directories with one sync of their parent).
  bool dir_durable = false;
  // The schema version documents are written in (an older one to rehearse
  // an upgrade: a restart of the current build migrates them).
  uint16_t schema_version = kSchemaVersionCurrent;
};

struct L2Version {
  uint64_t version = 0;
  std::string path;
};

class DurableFile {
 public:
  DurableFile(Fs& fs, DurableFileOptions options);

  // Creates the directory if needed, learns the newest version present and
  // removes temporary files of writes that never completed (they were never
  // published, so they are not copies of anything). Call before Write().
  Status Open();

  // Writes `state` as the next version, then applies retention. Returns the
  // version written. REQUIRES: Open() returned OK.
  Result<uint64_t> Write(const EngineState& state);

  // Published versions on disk, ascending (valid or not: Read() decides).
  Result<std::vector<L2Version>> ListVersions();
  // Reads and decodes one version; corruption names the file and offset.
  Result<EngineState> Read(uint64_t version);

  static std::string FileName(uint64_t version);
  // The version of a published file name, or 0 if `name` is not one.
  static uint64_t ParseFileName(std::string_view name);

 private:
  Status WriteVersion(uint64_t version, const std::vector<std::byte>& bytes);

  Fs& fs_;
  DurableFileOptions options_;
  uint64_t next_version_ = 0;  // 0 until Open()
};

}  // namespace crashdrill::system

// CrashModel: what the simulated device and file system guarantee across a power loss
// (SQLite test6.c's device characteristics). A SimDisk never keeps less than the model
// promises and, within the model, may keep anything — so a weaker model finds more bugs.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "system/io/result.h"

namespace crashdrill::faults {

enum class CrashKind : uint8_t {
  kProcessCrash,  // the process dies; everything handed to the kernel survives
  kPowerLoss,     // the machine dies; only durable data plus a model-allowed subset survives
};

enum class DirSyncMode : uint8_t {
  kStrict,     // create/rename/unlink/mkdir are durable only after SyncDir of the directory
  kJournaled,  // ext4 data=ordered-like: any File::Sync or SyncDir commits all of them
};

struct CrashModel {
  // Tearing granularity: a surviving unsynced write may lose whole sectors. 512 or 4096.
  uint32_t sector_bytes = 512;
  // A write lying inside one aligned block of this size is all-or-nothing. Multiple of
  // sector_bytes.
  uint32_t atomic_write_bytes = 512;
  // When on, a file grows on power loss only over appended data that landed — a contiguous
  // prefix of it (the size is written after the data); when off, it may grow with zeros or
  // garbage.
  bool safe_append = false;
  DirSyncMode dir_sync = DirSyncMode::kStrict;
  // When on, any subset of a file's unsynced writes may survive, each possibly torn; when
  // off, a prefix survives (in issue order) and only the write in flight may be torn.
  bool reorder_unsynced_writes = true;

  friend bool operator==(const CrashModel&, const CrashModel&) = default;

  // OK when sector_bytes is 512 or 4096 and atomic_write_bytes a multiple of it.
  system::Status Validate() const;
};

std::string CrashKindName(CrashKind kind);
std::string DirSyncModeName(DirSyncMode mode);

void to_json(nlohmann::json& json, const CrashModel& model);
void from_json(const nlohmann::json& json, CrashModel& model);
void to_json(nlohmann::json& json, CrashKind kind);
void from_json(const nlohmann::json& json, CrashKind& kind);

}  // namespace crashdrill::faults

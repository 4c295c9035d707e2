#include "faults/crash_model.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace crashdrill::faults {

system::Status CrashModel::Validate() const {
  if (sector_bytes != 512 && sector_bytes != 4096) {
    return system::Status::InvalidArgument(
        "crash_model", fmt::format("sector_bytes {} is neither 512 nor 4096", sector_bytes));
  }
  if (atomic_write_bytes == 0 || atomic_write_bytes % sector_bytes != 0) {
    return system::Status::InvalidArgument(
        "crash_model", fmt::format("atomic_write_bytes {} is not a multiple of sector_bytes {}",
                                   atomic_write_bytes, sector_bytes));
  }
  return system::Status::Ok();
}

std::string CrashKindName(CrashKind kind) {
  return kind == CrashKind::kProcessCrash ? "process_crash" : "power_loss";
}

std::string DirSyncModeName(DirSyncMode mode) {
  return mode == DirSyncMode::kStrict ? "strict" : "journaled";
}

void to_json(nlohmann::json& json, CrashKind kind) { json = CrashKindName(kind); }

void from_json(const nlohmann::json& json, CrashKind& kind) {
  const std::string name = json.get<std::string>();
  if (name == "process_crash") {
    kind = CrashKind::kProcessCrash;
  } else if (name == "power_loss") {
    kind = CrashKind::kPowerLoss;
  } else {
    throw nlohmann::json::other_error::create(501, "unknown crash kind " + name, &json);
  }
}

void to_json(nlohmann::json& json, const CrashModel& model) {
  json = nlohmann::json{{"sector_bytes", model.sector_bytes},
                        {"atomic_write_bytes", model.atomic_write_bytes},
                        {"safe_append", model.safe_append},
                        {"dir_sync", DirSyncModeName(model.dir_sync)},
                        {"reorder_unsynced_writes", model.reorder_unsynced_writes}};
}

void from_json(const nlohmann::json& json, CrashModel& model) {
  const CrashModel defaults;
  model.sector_bytes = json.value("sector_bytes", defaults.sector_bytes);
  model.atomic_write_bytes = json.value("atomic_write_bytes", defaults.atomic_write_bytes);
  model.safe_append = json.value("safe_append", defaults.safe_append);
  const std::string mode = json.value("dir_sync", DirSyncModeName(defaults.dir_sync));
  if (mode != "strict" && mode != "journaled") {
    throw nlohmann::json::other_error::create(501, "unknown dir_sync " + mode, &json);
  }
  model.dir_sync = mode == "strict" ? DirSyncMode::kStrict : DirSyncMode::kJournaled;
  model.reorder_unsynced_writes =
      json.value("reorder_unsynced_writes", defaults.reorder_unsynced_writes);
}

}  // namespace crashdrill::faults

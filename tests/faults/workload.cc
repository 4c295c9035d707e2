#include "tests/faults/workload.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace crashdrill::faults::testing {

using system::Status;

Workload::Workload(SimDisk& disk, uint64_t seed, WorkloadOptions options)
    : disk_(disk), rng_(seed), options_(options) {}

Status Workload::Setup() {
  CD_RETURN_IF_ERROR(disk_.MakeDir("/d"));
  CD_RETURN_IF_ERROR(disk_.SyncDir("/"));
  for (int i = 0; i < options_.files; ++i) {
    const std::string path = fmt::format("/d/f{}", i);
    CD_ASSIGN_OR_RETURN(auto file, disk_.Open(path, system::OpenOptions::CreateNew()));
    CD_RETURN_IF_ERROR(file->Sync());
    handles_[path] = std::move(file);
    files_[path] = FileModel{};
  }
  return disk_.SyncDir("/d");
}

Status Workload::Run() {
  for (int i = 0; i < options_.operations; ++i) {
    auto it = files_.begin();
    std::advance(it, static_cast<long>(rng_.Below(files_.size())));
    const uint64_t choice = rng_.Below(10);
    if (choice < 5) {
      CD_RETURN_IF_ERROR(Write(it->first, it->second));
    } else if (choice < 7) {
      CD_RETURN_IF_ERROR(Sync(it->first, it->second));
    } else if (choice < 8) {
      CD_RETURN_IF_ERROR(Truncate(it->first, it->second));
    } else if (options_.use_maps) {
      CD_RETURN_IF_ERROR(MapStore(it->first, it->second));
    } else {
      CD_RETURN_IF_ERROR(Write(it->first, it->second));
    }
  }
  return Status::Ok();
}

void Workload::Note(FileModel& model, uint64_t offset, const std::vector<std::byte>& data) {
  const uint64_t end = offset + data.size();
  if (model.changed.size() < end) {
    model.changed.resize(end, false);
    model.values_since_sync.resize(end);
  }
  // A write past the end opens a hole: the page cache held zeros there.
  for (uint64_t i = model.cache.size(); i < offset; ++i) {
    model.changed[i] = true;
    model.values_since_sync[i].push_back(std::byte{0});
  }
  if (model.cache.size() < end) model.cache.resize(end, std::byte{0});
  for (uint64_t i = 0; i < data.size(); ++i) {
    model.cache[offset + i] = data[i];
    model.changed[offset + i] = true;
    model.values_since_sync[offset + i].push_back(data[i]);
  }
}

Status Workload::Write(const std::string& path, FileModel& model) {
  const uint64_t offset = rng_.Below(model.cache.size() + 1024);
  std::vector<std::byte> data(1 + rng_.Below(options_.write_bytes_max));
  for (std::byte& b : data) b = static_cast<std::byte>(1 + rng_.Below(255));  // never zero
  CD_RETURN_IF_ERROR(handles_[path]->WriteAt(offset, data));
  if (offset / 512 != (offset + data.size() - 1) / 512) ++unsynced_multi_sector_writes_;
  Note(model, offset, data);
  return Status::Ok();
}

Status Workload::Sync(const std::string& path, FileModel& model) {
  CD_RETURN_IF_ERROR(handles_[path]->Sync());
  model.synced = model.cache;
  model.changed.assign(model.cache.size(), false);
  model.values_since_sync.assign(model.cache.size(), {});
  model.truncated_since_sync = false;
  return Status::Ok();
}

Status Workload::Truncate(const std::string& path, FileModel& model) {
  const uint64_t size = rng_.Below(model.cache.size() + 1);
  CD_RETURN_IF_ERROR(handles_[path]->Truncate(size));
  model.cache.resize(size);
  model.truncated_to_min =
      model.truncated_since_sync ? std::min(model.truncated_to_min, size) : size;
  model.truncated_since_sync = true;
  for (uint64_t i = size; i < model.changed.size(); ++i) model.changed[i] = true;
  return Status::Ok();
}

Status Workload::MapStore(const std::string& path, FileModel& model) {
  if (model.cache.empty()) return Write(path, model);
  const uint64_t length = std::min<uint64_t>(model.cache.size(), 4096);
  CD_ASSIGN_OR_RETURN(auto region, handles_[path]->Map(0, length));
  const uint64_t offset = rng_.Below(length);
  std::vector<std::byte> data(1 + rng_.Below(length - offset));
  for (std::byte& b : data) b = static_cast<std::byte>(1 + rng_.Below(255));
  std::memcpy(region->data().data() + offset, data.data(), data.size());
  Note(model, offset, data);
  maps_.push_back(std::move(region));
  return Status::Ok();
}

bool Workload::Allowed(const FileModel& model, uint64_t offset, std::byte value) {
  if (offset < model.synced.size() && model.synced[offset] == value) return true;
  if (value == std::byte{0} &&
      (offset >= model.synced.size() ||
       (model.truncated_since_sync && offset >= model.truncated_to_min))) {
    return true;
  }
  if (offset >= model.values_since_sync.size()) return false;
  const auto& values = model.values_since_sync[offset];
  return std::find(values.begin(), values.end(), value) != values.end();
}

std::vector<std::pair<uint64_t, uint64_t>> DeclaredDamage(const FaultTrace& trace,
                                                          size_t first_event,
                                                          const std::string& path) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  const auto& events = trace.events();
  for (size_t i = first_event; i < events.size(); ++i) {
    const FaultEvent& e = events[i];
    const bool damage = e.probe == Probe::kTornGarbage || e.probe == Probe::kTornZeros ||
                        e.probe == Probe::kGrewWithoutData;
    if (damage && e.path == path) out.emplace_back(e.offset, e.offset + e.length);
  }
  return out;
}

}  // namespace crashdrill::faults::testing

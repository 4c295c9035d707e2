// A random workload over a SimDisk with a reference model of what each file must hold:
// the page-cache view (what a process crash keeps), the content at the last successful
// sync (what a power loss must keep) and which bytes changed since (what it may lose).
// Every choice comes from one Rng seeded by the test's generated seed.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "faults/rng.h"
#include "faults/sim_disk.h"

namespace crashdrill::faults::testing {

struct FileModel {
  std::vector<std::byte> cache;   // every write applied
  std::vector<std::byte> synced;  // content at the last successful Sync
  std::vector<bool> changed;      // per offset: written or cut since that Sync
  // Per offset: every value the page cache held there since that Sync (written bytes, and
  // the zeros of a hole a write past the end opened).
  std::vector<std::vector<std::byte>> values_since_sync;
  bool truncated_since_sync = false;
  uint64_t truncated_to_min = 0;  // smallest truncate size since the last Sync
};

struct WorkloadOptions {
  int operations = 40;
  int files = 3;
  uint32_t write_bytes_max = 3000;
  bool use_maps = false;  // mapped stores (kept alive until the crash)
};

class Workload {
 public:
  Workload(SimDisk& disk, uint64_t seed, WorkloadOptions options);
  // Creates the files and syncs them and their directory; REQUIRES: success.
  system::Status Setup();
  // Runs the random operations; stops at the first error (returned).
  system::Status Run();

  const std::map<std::string, FileModel>& files() const { return files_; }
  // True if `value` may appear at `offset` after a power loss (old synced byte, a byte of
  // an unsynced write, or a zero of a hole). Declared garbage is checked by the caller.
  static bool Allowed(const FileModel& model, uint64_t offset, std::byte value);
  int torn_candidates() const { return unsynced_multi_sector_writes_; }

 private:
  system::Status Write(const std::string& path, FileModel& model);
  system::Status Sync(const std::string& path, FileModel& model);
  system::Status Truncate(const std::string& path, FileModel& model);
  system::Status MapStore(const std::string& path, FileModel& model);
  static void Note(FileModel& model, uint64_t offset, const std::vector<std::byte>& data);

  SimDisk& disk_;
  Rng rng_;
  WorkloadOptions options_;
  std::map<std::string, FileModel> files_;
  std::map<std::string, std::unique_ptr<system::File>> handles_;
  std::vector<std::unique_ptr<system::MappedRegion>> maps_;
  int unsynced_multi_sector_writes_ = 0;
};

// Byte ranges the disk declared damaged (torn garbage/zeros, growth without data) for
// `path` since trace event `first_event`.
std::vector<std::pair<uint64_t, uint64_t>> DeclaredDamage(const FaultTrace& trace,
                                                          size_t first_event,
                                                          const std::string& path);

}  // namespace crashdrill::faults::testing

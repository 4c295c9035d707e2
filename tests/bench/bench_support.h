// What every benchmark shares: where it writes, whether a directory can measure
// a sync at all, the raw write+fdatasync floor, and cold reads. A cold read here
// is guest-cold only: posix_fadvise drops this kernel's pages, while the VM's
// host may still cache the disk.
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "system/io/fs.h"
#include "system/io/result.h"
#include "system/io/status.h"
#include "system/state/trading_state.h"

namespace crashdrill::bench {

// 100 positions and 1,000 open orders: a typical critical state.
system::TradingState TypicalCriticalState();

// A fresh, empty directory `name` under $CRASHDRILL_BENCH_DIR (default
// ./crashdrill-bench), removed and made again.
std::string BenchDir(const std::string& name);
// The directory `name` under $CRASHDRILL_BENCH_DIR, made if missing and left as
// it is: for inputs a benchmark builds once and reuses across runs.
std::string BenchCacheDir(const std::string& name);

// Why a sync on `dir` would measure nothing (tmpfs and ramfs have no device:
// fsync there returns at once), or that statfs failed; "" for a real file system.
std::string WhySyncCostIsMeaningless(const std::string& dir);
// Skips `state` with that reason. Returns true if it did.
bool RefuseVolatileFs(benchmark::State& state, const std::string& dir);

// The WAL's floor: pwrite of `record_bytes` at the next offset of a file
// preallocated with posix_fallocate (as a WAL segment is), then fdatasync, from
// the calling thread. On ext4 the first write into a fallocated block also
// converts the extent, so this is the same data-plus-extent sync the WAL pays;
// the file size never changes. Raw syscalls: the machine's limit, not our code.
class FdatasyncFloor {
 public:
  // REQUIRES: Open() returned OK before the first WriteAndSync().
  FdatasyncFloor(std::string path, size_t record_bytes, uint64_t file_bytes = 64ull << 20);
  ~FdatasyncFloor();
  FdatasyncFloor(const FdatasyncFloor&) = delete;
  FdatasyncFloor& operator=(const FdatasyncFloor&) = delete;

  system::Status Open();
  // One record written and synced; starts a fresh preallocated file when full.
  system::Status WriteAndSync();

 private:
  std::string path_;
  std::vector<char> record_;
  uint64_t file_bytes_;
  uint64_t offset_ = 0;
  int fd_ = -1;
};

// For building benchmark inputs only: file syncs do nothing, so a million
// records go through the real write path (Wal, MultiLevelCheckpointer: their
// segments, preallocation, framing and layout) in seconds. The caller makes
// every file durable once at the end (DropPageCache does).
class NoSyncSetupFs final : public system::FsWrapper {
 public:
  using FsWrapper::FsWrapper;
  system::Result<std::unique_ptr<system::File>> Open(const std::string& path,
                                                     system::OpenOptions options) override {
    CD_ASSIGN_OR_RETURN(std::unique_ptr<system::File> file, FsWrapper::Open(path, options));
    return std::unique_ptr<system::File>(std::make_unique<NoSyncFile>(std::move(file)));
  }

 private:
  class NoSyncFile final : public system::FileWrapper {
   public:
    using FileWrapper::FileWrapper;
    system::Status Sync() override { return system::Status::Ok(); }
  };
};

// Makes every regular file under `dir` durable (fdatasync) and then drops its
// pages from the page cache (posix_fadvise DONTNEED drops clean pages only).
struct DroppedCache {
  uint64_t file_bytes = 0;      // bytes of the files dropped
  uint64_t resident_bytes = 0;  // of those, still in the page cache afterwards (mincore)
};
system::Result<DroppedCache> DropPageCache(const std::string& dir);

double SecondsSince(std::chrono::steady_clock::time_point start);

// Adds min and max across repetitions to the mean/median/stddev the library
// computes: ->Apply(AddMinMax).
void AddMinMax(benchmark::internal::Benchmark* b);

// Sorted samples; Percentile(0.5) is the median.
struct Samples {
  std::vector<double> values;
  double Percentile(double p);
  double Min();
  double Max();
};

}  // namespace crashdrill::bench

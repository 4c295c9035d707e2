// SimDisk throughput: write+sync+crash cycles per second and simulated I/O bytes per second.
// This bounds how many crash cases a nightly run can afford (DESIGN §11). No assertions.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "faults/sim_disk.h"

namespace crashdrill::faults {
namespace {

// One cycle: open (truncating), a directory sync, 16 appends of `write_bytes` with a sync
// after every 4th except the last four (left unsynced, so a power loss has writes to lose
// and tear), then a power loss (power_loss:1) or a process crash (0) and a read-back.
void BM_SimDiskWriteSyncCrashCycle(benchmark::State& state) {
  const size_t write_bytes = static_cast<size_t>(state.range(0));
  const int writes = 16;
  const CrashKind kind = state.range(1) == 1 ? CrashKind::kPowerLoss : CrashKind::kProcessCrash;
  SimDisk disk({.model = {.sector_bytes = 512, .atomic_write_bytes = 512}, .plan = {.seed = 1}});
  Rng rng(42);
  const std::vector<std::byte> payload(write_bytes, std::byte{0x5a});
  std::vector<std::byte> read_back;
  uint64_t io_bytes = 0;
  for (auto _ : state) {
    auto file = disk.Open("/wal", system::OpenOptions::CreateTruncate());
    if (!file.ok()) state.SkipWithError("open failed");
    if (!disk.SyncDir("/").ok()) state.SkipWithError("syncdir failed");
    for (int i = 0; i < writes && file.ok(); ++i) {
      if (!(*file)->Append(payload).ok()) state.SkipWithError("append failed");
      if (i % 4 == 3 && i < writes - 4 && !(*file)->Sync().ok()) state.SkipWithError("sync");
    }
    disk.Crash(kind, rng);
    auto bytes = system::ReadWholeFile(disk, "/wal");
    if (bytes.ok()) read_back = std::move(*bytes);
    benchmark::DoNotOptimize(read_back.data());
    io_bytes += write_bytes * writes + read_back.size();
  }
  state.counters["cycles_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["sim_io_bytes_per_s"] =
      benchmark::Counter(static_cast<double>(io_bytes), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimDiskWriteSyncCrashCycle)
    ->ArgNames({"write_bytes", "power_loss"})
    ->Args({512, 0})
    ->Args({512, 1})
    ->Args({4096, 1})
    ->Args({65536, 1});

}  // namespace
}  // namespace crashdrill::faults

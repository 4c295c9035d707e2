// L1, L2 and snapshots against the machine's own limits, measured in the same
// run (DESIGN §11): every figure is reported next to its floor and as a ratio.
//   floor_memcpy_xxh3    memcpy + XXH3 of the encoded state (L1's floor)
//   floor_atomic_replace write, fdatasync, rename, fsync dir (L2's floor)
// The WAL's benchmarks are in wal_bench.cc. Sync benchmarks refuse tmpfs and
// ramfs, where fsync costs nothing and proves nothing.
// CRASHDRILL_BENCH_DIR chooses the directory (default: ./crashdrill-bench).
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "system/io/posix_fs.h"
#include "system/levels/durable_file.h"
#include "system/levels/mmap_checkpoint.h"
#include "system/levels/snapshot_store.h"
#include "system/state/codec.h"
#include "system/state/state_update.h"
#include "system/state/trading_image.h"
#include "tests/bench/bench_support.h"

namespace crashdrill::system {
namespace {

using bench::BenchDir;
using bench::RefuseVolatileFs;
using bench::TypicalCriticalState;

struct Latencies {
  std::vector<double> us;
  double Percentile(double p) {
    std::sort(us.begin(), us.end());
    return us.empty() ? 0 : us[std::min(us.size() - 1, static_cast<size_t>(p * us.size()))];
  }
};

template <typename Fn>
double TimeUs(Fn&& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
      .count();
}

void Report(benchmark::State& state, Latencies& latencies, double floor_p50_us) {
  const double p50 = latencies.Percentile(0.50);
  state.counters["p50_us"] = p50;
  state.counters["p99_us"] = latencies.Percentile(0.99);
  state.counters["floor_p50_us"] = floor_p50_us;
  state.counters["ratio_p50"] = floor_p50_us > 0 ? p50 / floor_p50_us : 0;
}

// --- floors ---------------------------------------------------------------

double MemcpyXxh3FloorUs(size_t bytes, int rounds) {
  std::vector<std::byte> source(bytes, std::byte{7}), target(bytes);
  Latencies latencies;
  uint64_t sink = 0;
  for (int i = 0; i < rounds; ++i) {
    latencies.us.push_back(TimeUs([&] {
      std::memcpy(target.data(), source.data(), bytes);
      sink += XXH3_64bits(target.data(), bytes);
    }));
  }
  benchmark::DoNotOptimize(sink);
  return latencies.Percentile(0.5);
}

// Aborts on a failed step: a floor that fails silently would look fast.
double AtomicReplaceFloorUs(const std::string& dir, size_t bytes, int rounds) {
  std::vector<char> data(bytes, 'x');
  Latencies latencies;
  for (int i = 0; i < rounds; ++i) {
    latencies.us.push_back(TimeUs([&] {
      const std::string temp = dir + "/floor.tmp", final_path = dir + "/floor";
      const int fd = ::open(temp.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
      if (fd < 0 || ::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size()) ||
          fdatasync(fd) != 0 || close(fd) != 0 || rename(temp.c_str(), final_path.c_str()) != 0) {
        std::abort();
      }
      const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
      if (dfd < 0 || fsync(dfd) != 0 || close(dfd) != 0) std::abort();
    }));
  }
  return latencies.Percentile(0.5);
}

// --- L1 ---------------------------------------------------------------------

long MinorFaults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// Ten updates of the kinds a busy engine commits between two L1 writes (one
// order submitted and filled, four cancel requests, four position resets),
// applied as the checkpointer applies them, collecting what they changed.
void ApplyTypicalUpdates(EngineState& engine, uint64_t round, TradingChanges& changes) {
  auto apply = [&](const StateUpdate& update) {
    if (!ApplyStateUpdate(engine, update, engine.state_seq() + 1,
                          static_cast<TimeNs>(engine.state_seq()), &changes).ok()) {
      std::abort();
    }
  };
  TradingState& t = engine.trading;
  Order order{.client_order_id = "n-" + std::to_string(round), .symbol = "SYM7", .venue = "SIMX",
              .strategy_id = "mm-1", .price_ticks = 4'810, .quantity_lots = 1};
  apply(OrderSubmitted{order});
  apply(FillReceived{Fill{.exchange_seq = t.last_exchange_seq + 1, .trade_id = round,
                          .client_order_id = order.client_order_id, .symbol = "SYM7",
                          .price_ticks = 4'810, .quantity_lots = 1, .fee_minor = 1},
                     "USD"});
  for (uint64_t k = 0; k < 4; ++k) {
    apply(CancelRequested{"c-" + std::to_string(100'000 + (round * 4 + k) % 1000)});
    const std::string symbol = "SYM" + std::to_string((round * 4 + k) % 100);
    Position position = t.positions.at(symbol);
    position.quantity_lots += 1;
    apply(PositionSet{position});
  }
}

// The L1 write as the checkpointer makes it every period: the image
// refreshed with what ten updates changed, copied into a slot and hashed.
void BM_L1WriteTypicalState(benchmark::State& state) {
  const std::string dir = BenchDir("l1");
  PosixFs fs;
  EngineState engine;
  engine.trading = TypicalCriticalState();
  MmapCheckpoint l1(fs, {.path = dir + "/l1", .slot_bytes = 1 << 20});  // verifies every 128th
  if (!l1.Open().ok()) return state.SkipWithError("L1 open failed");
  uint64_t round = 0;
  auto next_changes = [&] {
    TradingChanges changes;
    ApplyTypicalUpdates(engine, round++, changes);
    return changes;
  };
  (void)l1.Write(engine.trading);
  for (int i = 0; i < 300; ++i) (void)l1.Write(engine.trading, next_changes());  // warm-up
  TradingImage image;
  image.Reset(engine.trading);
  const size_t image_bytes = image.bytes().size();
  Latencies latencies;
  for (auto _ : state) {
    const TradingChanges changes = next_changes();
    latencies.us.push_back(TimeUs([&] { benchmark::DoNotOptimize(l1.Write(engine.trading, changes)); }));
  }
  // A second pass counts page faults inside each write (getrusage around
  // every write would disturb the timings above), apart for the writes that
  // verified the image: they decode a whole state, which allocates.
  long faults = 0, faults_verifying = 0;
  for (int i = 0; i < 2000; ++i) {
    const TradingChanges changes = next_changes();
    const uint64_t verified_before = l1.verifications();
    const long faults_before = MinorFaults();
    benchmark::DoNotOptimize(l1.Write(engine.trading, changes));
    (l1.verifications() != verified_before ? faults_verifying : faults) +=
        MinorFaults() - faults_before;
  }
  state.counters["page_faults_after_warmup"] = static_cast<double>(faults);
  state.counters["page_faults_in_verifying_writes"] = static_cast<double>(faults_verifying);
  state.counters["image_bytes"] = static_cast<double>(image_bytes);
  state.counters["document_bytes"] = static_cast<double>(EncodeTradingState(engine.trading).size());
  if (!l1.Write(engine.trading, {}).ok() || !(*l1.ReadNewest() == engine.trading)) {
    return state.SkipWithError("the L1 copy does not read back as the state");
  }
  Report(state, latencies, MemcpyXxh3FloorUs(image_bytes, 2000));
}
BENCHMARK(BM_L1WriteTypicalState)->Iterations(2000)->Unit(benchmark::kMicrosecond);

// For comparison: every entry encoded afresh (the first write after open, and
// what a write would cost without change tracking).
void BM_L1WriteTypicalStateFullEncode(benchmark::State& state) {
  const std::string dir = BenchDir("l1-full");
  PosixFs fs;
  const TradingState critical = TypicalCriticalState();
  MmapCheckpoint l1(fs, {.path = dir + "/l1", .slot_bytes = 1 << 20});
  if (!l1.Open().ok()) return state.SkipWithError("L1 open failed");
  for (int i = 0; i < 50; ++i) (void)l1.Write(critical);  // warm-up: every page touched
  TradingImage image;
  image.Reset(critical);
  Latencies latencies;
  for (auto _ : state) {
    latencies.us.push_back(TimeUs([&] { benchmark::DoNotOptimize(l1.Write(critical)); }));
  }
  Report(state, latencies, MemcpyXxh3FloorUs(image.bytes().size(), 2000));
}
BENCHMARK(BM_L1WriteTypicalStateFullEncode)->Iterations(1000)->Unit(benchmark::kMicrosecond);

// --- L2 ---------------------------------------------------------------------

void BM_L2WriteTypicalState(benchmark::State& state) {
  const std::string dir = BenchDir("l2");
  if (RefuseVolatileFs(state, dir)) return;
  PosixFs fs;
  EngineState engine;
  engine.trading = TypicalCriticalState();
  const size_t bytes = EncodeEngineState(engine).size();
  DurableFile l2(fs, {.dir = dir + "/versions"});
  if (!l2.Open().ok()) return state.SkipWithError("L2 open failed");
  Latencies latencies;
  for (auto _ : state) {
    latencies.us.push_back(TimeUs([&] { benchmark::DoNotOptimize(l2.Write(engine)); }));
  }
  state.counters["state_bytes"] = static_cast<double>(bytes);
  Report(state, latencies, AtomicReplaceFloorUs(dir, bytes, 100));
}
BENCHMARK(BM_L2WriteTypicalState)->Iterations(100)->Unit(benchmark::kMicrosecond);

// --- snapshots -----------------------------------------------------------------

void BM_SnapshotLoad(benchmark::State& state) {
  const std::string dir = BenchDir("snapshot");
  PosixFs fs;
  EngineState engine;
  engine.trading = TypicalCriticalState();
  SnapshotStore store(fs, {.dir = dir});
  if (!store.Open().ok() || !store.Write(engine).ok()) return state.SkipWithError("setup");
  const SnapshotFile file = store.List()->front();
  const double raw_bytes = static_cast<double>(EncodeEngineState(engine).size());
  for (auto _ : state) {
    auto loaded = store.Read(file);
    if (!loaded.ok()) return state.SkipWithError("load failed");
    benchmark::DoNotOptimize(loaded);
  }
  state.counters["state_MB_per_s"] = benchmark::Counter(
      raw_bytes * static_cast<double>(state.iterations()) / 1e6, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SnapshotLoad)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace crashdrill::system

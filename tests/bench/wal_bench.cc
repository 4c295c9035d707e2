// The WAL (L3) against the machine's own limit and against the stores it could
// have been, all measured in the same run (DESIGN §11). Every append's status
// is checked: a failing WAL must not look fast.
//   BM_WalSingleWriter   append latency against the write+fdatasync floor,
//                        the two interleaved in short rounds
//   BM_WalGroupCommit/N  N closed-loop writers: records/s, records per sync,
//                        syncs/s as a share of the floor's, against SQLite and
//                        RocksDB driven by N writers on the same records
//   BM_WalReplay         1M records written through Wal, page cache dropped,
//                        then replay + Wal::OpenAt, against the peers' reopen+read and
//                        the device's floor: the same bytes read cold, nothing parsed
//   BM_WalRestart        Wal::Open of an empty and a near-empty log
// Sync benchmarks refuse tmpfs and ramfs. CRASHDRILL_BENCH_DIR chooses the directory.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <latch>
#include <mutex>
#include <thread>

#include "system/io/posix_fs.h"
#include "system/levels/wal.h"
#include "system/state/state_update.h"
#include "tests/bench/bench_support.h"
#include "tests/bench/peer_store.h"

namespace crashdrill::bench {
namespace {

using system::ByteSpan;
using system::File;
using system::Fs;
using system::MutableByteSpan;
using system::PosixFs;
using system::RecordType;
using system::Result;
using system::Status;
using system::Wal;

// The record every store is fed: a fill, as the engine logs it. Fields vary
// with `seq` so a store that compresses (RocksDB) meets realistic bytes.
std::string FillPayload(uint64_t seq) {
  return system::EncodeStateUpdate(system::FillReceived{
      system::Fill{.exchange_seq = seq,
                   .trade_id = seq,
                   .client_order_id = fmt::format("c-{}", 100'000 + seq % 900'000),
                   .symbol = fmt::format("SYM{}", seq % 100),
                   .price_ticks = 4'800 + static_cast<int64_t>(seq % 50),
                   .quantity_lots = 1 + static_cast<int64_t>(seq % 9),
                   .fee_minor = static_cast<int64_t>(seq % 7)},
      "USD"});
}
// For the sync benchmarks, where encoding would only add the same cost to every store.
const std::string kFillPayload = FillPayload(100'001);
const size_t kRecordBytes = system::WalFrameBytes(kFillPayload.size());

void Skip(benchmark::State& state, const Status& status) {
  state.SkipWithError(status.ToString().c_str());
}

Status AppendFill(Wal& wal) {
  return wal.AppendNext(RecordType::kFillReceived, 0, kFillPayload).status();
}

// What replaying a record costs the engine beyond reading it; the same for every store.
Status DecodeRecord(RecordType type, std::string_view payload) {
  auto update = system::DecodeStateUpdate(type, payload, "bench record");
  if (!update.ok()) return update.status();
  benchmark::DoNotOptimize(update);
  return Status::Ok();
}

// --- I/O accounting -----------------------------------------------------------

struct IoCounts {
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> syncs{0};  // file syncs and directory syncs
};

// Counts what passes through, so a figure can say how many bytes an Open read.
class CountingFs final : public system::FsWrapper {
 public:
  CountingFs(Fs* target, IoCounts& counts) : FsWrapper(target), counts_(counts) {}

  Result<std::unique_ptr<File>> Open(const std::string& path,
                                     system::OpenOptions options) override {
    CD_ASSIGN_OR_RETURN(std::unique_ptr<File> file, FsWrapper::Open(path, options));
    return std::unique_ptr<File>(std::make_unique<CountingFile>(std::move(file), counts_));
  }
  Status SyncDir(const std::string& dir) override {
    ++counts_.syncs;
    return FsWrapper::SyncDir(dir);
  }

 private:
  class CountingFile final : public system::FileWrapper {
   public:
    CountingFile(std::unique_ptr<File> target, IoCounts& counts)
        : FileWrapper(std::move(target)), counts_(counts) {}
    Result<size_t> ReadAt(uint64_t offset, MutableByteSpan out) override {
      Result<size_t> read = FileWrapper::ReadAt(offset, out);
      if (read.ok()) counts_.bytes_read += *read;
      return read;
    }
    Status Sync() override {
      ++counts_.syncs;
      return FileWrapper::Sync();
    }

   private:
    IoCounts& counts_;
  };
  IoCounts& counts_;
};

// --- single writer --------------------------------------------------------------

// One appender: each append is one write and one sync, so its mean latency is
// measured against the floor's (mean against mean), in rounds of kPerRound of
// each, alternating which goes first, so load from others hits both alike.
void BM_WalSingleWriter(benchmark::State& state) {
  constexpr int kRounds = 25, kPerRound = 10;
  const std::string dir = BenchDir("wal-single");
  if (RefuseVolatileFs(state, dir)) return;
  PosixFs fs;
  Wal wal(fs, {.dir = dir + "/wal"});
  FdatasyncFloor floor(dir + "/floor", kRecordBytes);
  if (Status s = wal.Open(); !s.ok()) return Skip(state, s);
  if (Status s = floor.Open(); !s.ok()) return Skip(state, s);
  // The first append creates and syncs a 64 MiB segment, a cost paid once per
  // 500k records: outside the timing.
  if (Status s = AppendFill(wal); !s.ok()) return Skip(state, s);
  const uint64_t syncs_before = wal.stats().syncs;
  Samples wal_us, floor_us;
  double wal_s = 0, floor_s = 0;
  for (auto _ : state) {
    for (int round = 0; round < kRounds; ++round) {
      for (int side = 0; side < 2; ++side) {
        const bool floor_turn = (side == 0) == (round % 2 == 0);
        for (int i = 0; i < kPerRound; ++i) {
          const auto start = std::chrono::steady_clock::now();
          Status s = floor_turn ? floor.WriteAndSync() : AppendFill(wal);
          const double seconds = SecondsSince(start);
          if (!s.ok()) return Skip(state, s);
          (floor_turn ? floor_us : wal_us).values.push_back(seconds * 1e6);
          (floor_turn ? floor_s : wal_s) += seconds;
        }
      }
    }
    state.SetIterationTime(wal_s);
  }
  const double appends = static_cast<double>(wal_us.values.size());
  const double wal_mean = wal_s * 1e6 / appends, floor_mean = floor_s * 1e6 / appends;
  state.counters["wal_us_mean"] = wal_mean;
  state.counters["floor_us_mean"] = floor_mean;
  state.counters["ratio_mean"] = wal_mean / floor_mean;  // target <= 1.05
  state.counters["wal_us_p50"] = wal_us.Percentile(0.5);
  state.counters["floor_us_p50"] = floor_us.Percentile(0.5);
  state.counters["wal_us_p99"] = wal_us.Percentile(0.99);
  state.counters["floor_us_p99"] = floor_us.Percentile(0.99);
  state.counters["syncs_per_append"] =
      static_cast<double>(wal.stats().syncs - syncs_before) / appends;
  state.counters["record_bytes"] = static_cast<double>(kRecordBytes);
}
BENCHMARK(BM_WalSingleWriter)
    ->Iterations(1)
    ->Repetitions(5)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Apply(AddMinMax);

// --- group commit -------------------------------------------------------------------

struct Throughput {
  uint64_t records = 0;
  uint64_t syncs = 0;  // 0 when the store cannot say
  double seconds = 0;
  double records_per_s() const { return static_cast<double>(records) / seconds; }
  double syncs_per_s() const { return static_cast<double>(syncs) / seconds; }
  void Add(const Throughput& other) {
    records += other.records;
    syncs += other.syncs;
    seconds += other.seconds;
  }
};

// `threads` writers call `append` back to back (a closed loop) for about
// `seconds`; appends in flight at the deadline finish and count. The first
// error stops every writer and is returned.
Result<Throughput> RunClosedLoop(int threads, double seconds, const std::function<Status()>& append,
                                 const std::function<uint64_t()>& sync_count) {
  std::atomic<bool> stop{false};
  std::mutex error_mu;
  Status first_error;
  std::vector<uint64_t> counts(static_cast<size_t>(threads));
  std::latch ready(threads + 1);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.arrive_and_wait();
      uint64_t done = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        if (Status s = append(); !s.ok()) {
          std::lock_guard lock(error_mu);
          if (first_error.ok()) first_error = std::move(s);
          stop = true;
          break;
        }
        ++done;
      }
      counts[static_cast<size_t>(t)] = done;
    });
  }
  const uint64_t syncs_before = sync_count();
  ready.arrive_and_wait();
  const auto start = std::chrono::steady_clock::now();
  while (!stop.load() && SecondsSince(start) < seconds) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (std::thread& thread : pool) thread.join();
  Throughput out;
  out.seconds = SecondsSince(start);
  out.syncs = sync_count() - syncs_before;
  for (uint64_t n : counts) out.records += n;
  if (!first_error.ok()) return first_error;
  return out;
}

// One repetition is kSlices slices; each runs the floor, then the WAL and each
// peer at N writers, in an order that rotates, so that load from others on this
// shared machine falls on every store alike. Totals over the slices give mean
// rates; syncs/s is compared with the floor's, mean against mean. The ideal
// N x floor is shown beside it, though a closed loop of N writers batches
// about N/2 records per sync and cannot reach it.
void BM_WalGroupCommit(benchmark::State& state) {
  constexpr int kSlices = 4;
  constexpr double kSliceSeconds = 0.25, kFloorSliceSeconds = 0.15;
  static size_t repetition = 0;
  const int threads = static_cast<int>(state.range(0));
  const std::string dir = BenchDir(fmt::format("wal-group-{}", threads));
  if (RefuseVolatileFs(state, dir)) return;
  PosixFs fs;
  Wal wal(fs, {.dir = dir + "/wal"});
  FdatasyncFloor floor(dir + "/floor", kRecordBytes);
  if (Status s = wal.Open(); !s.ok()) return Skip(state, s);
  if (Status s = floor.Open(); !s.ok()) return Skip(state, s);
  if (Status s = AppendFill(wal); !s.ok()) return Skip(state, s);  // creates the segment
  std::vector<std::unique_ptr<PeerStore>> peers = MakePeerStores();
  std::vector<std::atomic<uint64_t>> next_seq(peers.size());
  for (size_t p = 0; p < peers.size(); ++p) {
    const std::string peer_dir = fmt::format("{}/{}", dir, peers[p]->name());
    std::filesystem::create_directories(peer_dir);
    Status s = peers[p]->Create(peer_dir);  // and one append: the first creates files
    if (s.ok()) s = peers[p]->Append(++next_seq[p], RecordType::kFillReceived, kFillPayload);
    if (!s.ok()) return Skip(state, s);
  }
  // [0] the WAL, then the peers.
  auto run = [&](size_t which) {
    if (which == 0) {
      return RunClosedLoop(
          threads, kSliceSeconds, [&] { return AppendFill(wal); },
          [&] { return wal.stats().syncs; });
    }
    PeerStore& peer = *peers[which - 1];
    std::atomic<uint64_t>& seq = next_seq[which - 1];
    return RunClosedLoop(
        threads, kSliceSeconds,
        [&] { return peer.Append(++seq, RecordType::kFillReceived, kFillPayload); },
        [&] { return peer.wal_syncs(); });
  };
  for (auto _ : state) {
    Throughput floor_total;
    std::vector<Throughput> totals(peers.size() + 1);
    for (int slice = 0; slice < kSlices; ++slice) {
      Result<Throughput> floor_slice = RunClosedLoop(
          1, kFloorSliceSeconds, [&] { return floor.WriteAndSync(); }, [] { return uint64_t{0}; });
      if (!floor_slice.ok()) return Skip(state, floor_slice.status());
      floor_total.Add(*floor_slice);
      for (size_t k = 0; k < totals.size(); ++k) {
        const size_t which = (k + static_cast<size_t>(slice) + repetition) % totals.size();
        Result<Throughput> slice_run = run(which);
        if (!slice_run.ok()) return Skip(state, slice_run.status());
        totals[which].Add(*slice_run);
      }
    }
    ++repetition;
    const Throughput& ours = totals[0];
    const double floor_syncs_per_s = floor_total.records_per_s();  // one sync per record
    state.SetIterationTime(ours.seconds);
    state.counters["records_per_s"] = ours.records_per_s();
    state.counters["records_per_sync"] =
        static_cast<double>(ours.records) / static_cast<double>(ours.syncs);
    state.counters["syncs_per_s"] = ours.syncs_per_s();
    state.counters["floor_syncs_per_s"] = floor_syncs_per_s;
    state.counters["sync_share"] = ours.syncs_per_s() / floor_syncs_per_s;
    state.counters["ideal_records_per_s"] = threads * floor_syncs_per_s;
    state.counters["efficiency"] = ours.records_per_s() / (threads * floor_syncs_per_s);
    for (size_t p = 0; p < peers.size(); ++p) {
      const Throughput& peer = totals[p + 1];
      const std::string name(peers[p]->name());
      state.counters[name + "_records_per_s"] = peer.records_per_s();
      if (peer.syncs > 0) {
        state.counters[name + "_records_per_sync"] =
            static_cast<double>(peer.records) / static_cast<double>(peer.syncs);
      }
      state.counters["vs_" + name] = ours.records_per_s() / peer.records_per_s();
    }
  }
  for (auto& peer : peers) {
    if (Status s = peer->Close(); !s.ok()) return Skip(state, s);
  }
}
BENCHMARK(BM_WalGroupCommit)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(4)
    ->Arg(16)
    ->Iterations(1)
    ->Repetitions(5)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Apply(AddMinMax);

// --- replay -----------------------------------------------------------------------

constexpr uint64_t kReplayRecords = 1'000'000;

// 1M records through Wal's own code (segments preallocated, framed, rotated),
// made durable at the end rather than per batch (NoSyncSetupFs): the bytes and
// the layout a reader meets are the Wal's, without a 1M-sync setup.
Status WriteThroughWal(const std::string& dir) {
  PosixFs posix;
  NoSyncSetupFs fs(&posix);
  Wal wal(fs, {.dir = dir});
  CD_RETURN_IF_ERROR(wal.Open());
  for (uint64_t seq = 1; seq <= kReplayRecords; ++seq) {
    CD_RETURN_IF_ERROR(wal.AppendNext(RecordType::kFillReceived, 0, FillPayload(seq)).status());
  }
  return Status::Ok();
}

struct RestartCost {
  double seconds = 0;       // replay + open
  double open_seconds = 0;  // Wal::Open alone
  uint64_t bytes_read = 0;
};

// A restart of the engine on this log, as recovery does it: every record read
// and decoded (the replay), then the WAL opened where the replay found its
// end (Wal::OpenAt: its tail is not read again; MultiLevelCheckpointer::Open
// refuses a WAL ahead of its initial state, so recovery replays first).
Result<RestartCost> ReplayAndOpen(const std::string& dir) {
  PosixFs posix;
  IoCounts counts;
  CountingFs fs(&posix, counts);
  RestartCost cost;
  const auto start = std::chrono::steady_clock::now();
  uint64_t records = 0;
  system::WalReader reader(fs, dir);
  system::WalEnd end;
  CD_RETURN_IF_ERROR(reader.Read(
      0,
      [&](const system::WalRecordView& record) {
        ++records;
        return DecodeRecord(record.type, record.payload);
      },
      end));
  const auto open_start = std::chrono::steady_clock::now();
  Wal wal(fs, {.dir = dir});
  CD_RETURN_IF_ERROR(wal.OpenAt(end));
  cost.open_seconds = SecondsSince(open_start);
  cost.seconds = SecondsSince(start);
  cost.bytes_read = counts.bytes_read;
  if (records != kReplayRecords || wal.last_seq() != kReplayRecords) {
    return Status::Error(system::StatusCode::kInternal, "replay", dir,
                         fmt::format("{} records replayed, log ends at {}, {} written", records,
                                     wal.last_seq(), kReplayRecords));
  }
  return cost;
}

// The device's floor for a cold replay: every byte of the segments that
// holds data read once, sequentially in 1 MiB reads, nothing parsed (the read
// stops where ZerosFrom says only zeros follow, as the reader does).
Result<double> ColdReadSeconds(const std::string& dir) {
  PosixFs fs;
  std::vector<std::byte> buffer(1 << 20);
  const auto start = std::chrono::steady_clock::now();
  CD_ASSIGN_OR_RETURN(std::vector<std::string> names, fs.List(dir));
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    CD_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                        fs.Open(dir + "/" + name, system::OpenOptions::Read()));
    CD_ASSIGN_OR_RETURN(const uint64_t end, file->ZerosFrom());
    for (uint64_t offset = 0; offset < end;) {
      CD_ASSIGN_OR_RETURN(const size_t n, file->ReadAt(offset, buffer));
      if (n == 0) break;
      offset += n;
    }
  }
  return SecondsSince(start);
}

// Decoding the 1M payloads from memory: the part of every store's replay that
// is the engine's, not the store's. Encoded 10k at a time, outside the timing.
double DecodeOnlySeconds() {
  constexpr uint64_t kChunk = 10'000;
  double seconds = 0;
  std::vector<std::string> payloads(kChunk);
  for (uint64_t first = 1; first <= kReplayRecords; first += kChunk) {
    for (uint64_t i = 0; i < kChunk; ++i) payloads[i] = FillPayload(first + i);
    const auto start = std::chrono::steady_clock::now();
    for (const std::string& payload : payloads) {
      if (!DecodeRecord(RecordType::kFillReceived, payload).ok()) return -1;
    }
    seconds += SecondsSince(start);
  }
  return seconds;
}

// Each round drops the page cache of every store's files (after a sync) and
// times each restart in turn, in an order that rotates between rounds.
void BM_WalReplay(benchmark::State& state) {
  const std::string dir = BenchDir("wal-replay");
  if (RefuseVolatileFs(state, dir)) return;
  const std::string wal_dir = dir + "/wal";
  if (Status s = WriteThroughWal(wal_dir); !s.ok()) return Skip(state, s);
  std::vector<std::unique_ptr<PeerStore>> peers = MakePeerStores();
  std::vector<std::string> dirs = {wal_dir};
  for (auto& peer : peers) {
    dirs.push_back(fmt::format("{}/{}", dir, peer->name()));
    std::filesystem::create_directories(dirs.back());
    Status s = peer->Create(dirs.back());
    if (s.ok()) s = peer->Load(kReplayRecords, RecordType::kFillReceived, FillPayload);
    if (s.ok()) s = peer->Close();
    if (!s.ok()) return Skip(state, s);
  }
  std::vector<Samples> ms(dirs.size()), vs(dirs.size());
  Samples open_ms, read_floor_ms;
  uint64_t bytes_read = 0, file_bytes = 0;
  double resident_fraction_max = 0;
  size_t round = 0;
  for (auto _ : state) {
    std::vector<double> seconds(dirs.size());
    for (size_t k = 0; k < dirs.size(); ++k) {
      const size_t which = (k + round) % dirs.size();
      Result<DroppedCache> dropped = DropPageCache(dirs[which]);
      if (!dropped.ok()) return Skip(state, dropped.status());
      resident_fraction_max =
          std::max(resident_fraction_max,
                   static_cast<double>(dropped->resident_bytes) /
                       static_cast<double>(std::max<uint64_t>(dropped->file_bytes, 1)));
      if (which == 0) {
        Result<RestartCost> cost = ReplayAndOpen(wal_dir);
        if (!cost.ok()) return Skip(state, cost.status());
        seconds[0] = cost->seconds;
        open_ms.values.push_back(cost->open_seconds * 1e3);
        bytes_read = cost->bytes_read;
        file_bytes = dropped->file_bytes;
        continue;
      }
      const auto start = std::chrono::steady_clock::now();
      Result<uint64_t> records = peers[which - 1]->ReopenAndRead(dirs[which], DecodeRecord);
      seconds[which] = SecondsSince(start);
      if (!records.ok()) return Skip(state, records.status());
      if (*records != kReplayRecords) {
        return Skip(state, Status::Error(system::StatusCode::kInternal, "reopen", dirs[which],
                                         fmt::format("{} records read", *records)));
      }
    }
    // The read floor last in each round, on its own cold cache.
    if (Result<DroppedCache> dropped = DropPageCache(wal_dir); !dropped.ok()) {
      return Skip(state, dropped.status());
    }
    Result<double> floor = ColdReadSeconds(wal_dir);
    if (!floor.ok()) return Skip(state, floor.status());
    read_floor_ms.values.push_back(*floor * 1e3);
    ++round;
    state.SetIterationTime(seconds[0]);
    for (size_t i = 0; i < dirs.size(); ++i) {
      ms[i].values.push_back(seconds[i] * 1e3);
      vs[i].values.push_back(seconds[i] / seconds[0]);
    }
  }
  const double wal_ms = ms[0].Percentile(0.5);
  state.counters["records_per_s"] = static_cast<double>(kReplayRecords) / (wal_ms / 1e3);
  state.counters["wal_ms_p50"] = wal_ms;
  state.counters["wal_ms_min"] = ms[0].Min();
  state.counters["wal_ms_max"] = ms[0].Max();
  state.counters["wal_open_ms_p50"] = open_ms.Percentile(0.5);
  // How close the replay comes to only reading the log off the device.
  state.counters["read_floor_ms_p50"] = read_floor_ms.Percentile(0.5);
  state.counters["vs_read_floor_p50"] = wal_ms / read_floor_ms.Percentile(0.5);
  state.counters["wal_read_MB"] = static_cast<double>(bytes_read) / 1e6;
  state.counters["wal_files_MB"] = static_cast<double>(file_bytes) / 1e6;
  state.counters["log_MB"] = static_cast<double>(kReplayRecords * kRecordBytes) / 1e6;
  state.counters["decode_ms"] = DecodeOnlySeconds() * 1e3;
  state.counters["resident_after_drop_max"] = resident_fraction_max;
  for (size_t p = 0; p < peers.size(); ++p) {
    const std::string name(peers[p]->name());
    state.counters[name + "_ms_p50"] = ms[p + 1].Percentile(0.5);
    state.counters[name + "_ms_min"] = ms[p + 1].Min();
    state.counters[name + "_ms_max"] = ms[p + 1].Max();
    state.counters["vs_" + name + "_p50"] = ms[p + 1].Percentile(0.5) / wal_ms;
    state.counters["vs_" + name + "_min"] = vs[p + 1].Min();
    state.counters["vs_" + name + "_max"] = vs[p + 1].Max();
  }
}
BENCHMARK(BM_WalReplay)->Iterations(5)->UseManualTime()->Unit(benchmark::kMillisecond);

// --- restart of an empty and a near-empty log -------------------------------------

// A log of `records` records (0: the directory only, no segment yet), and with
// `torn_tail` a frame of a later batch after them that no sync completed (a
// power loss mid-write): Open must repair it. Each iteration restores that
// state, drops the cache when `cold`, and times Wal::Open alone.
void BM_WalRestart(benchmark::State& state) {
  const int records = static_cast<int>(state.range(0));
  const bool torn_tail = state.range(1) != 0, cold = state.range(2) != 0;
  const std::string dir =
      BenchDir(fmt::format("wal-restart-{}-{}-{}", records, int{torn_tail}, int{cold}));
  if (RefuseVolatileFs(state, dir)) return;
  const std::string wal_dir = dir + "/wal";
  PosixFs posix;
  {
    Wal wal(posix, {.dir = wal_dir});
    if (Status s = wal.Open(); !s.ok()) return Skip(state, s);
    for (int i = 0; i < records; ++i) {
      if (Status s = AppendFill(wal); !s.ok()) return Skip(state, s);
    }
  }
  std::vector<std::byte> torn;
  if (torn_tail) {
    const system::Seq next = static_cast<system::Seq>(records) + 1;
    system::AppendWalFrame({RecordType::kFillReceived, next, 0, kFillPayload}, next, torn);
    // The payload's last byte never reached the disk: the frame fails its checksum.
    torn[system::kWalFrameHeaderBytes + kFillPayload.size() - 1] ^= std::byte{0x5a};
  }
  const std::string segment = fmt::format("{}/{}", wal_dir, system::WalSegmentName(1));
  const off_t torn_offset =
      static_cast<off_t>(system::kWalSegmentHeaderBytes + records * kRecordBytes);
  Samples open_ms;
  uint64_t bytes_read = 0, syncs = 0;
  for (auto _ : state) {
    if (torn_tail) {
      const int fd = ::open(segment.c_str(), O_WRONLY | O_CLOEXEC);
      const bool ok = fd >= 0 &&
                      ::pwrite(fd, torn.data(), torn.size(), torn_offset) ==
                          static_cast<ssize_t>(torn.size()) &&
                      ::fdatasync(fd) == 0;
      if (fd >= 0) ::close(fd);
      if (!ok) return Skip(state, Status::FromErrno(errno, "write torn tail", segment));
    }
    if (cold) {
      if (auto dropped = DropPageCache(wal_dir); !dropped.ok())
        return Skip(state, dropped.status());
    }
    IoCounts counts;
    CountingFs fs(&posix, counts);
    Wal wal(fs, {.dir = wal_dir});
    system::WalEnd end;
    const auto start = std::chrono::steady_clock::now();
    Status opened = wal.Open(&end);
    const double seconds = SecondsSince(start);
    if (!opened.ok()) return Skip(state, opened);
    const bool expected_end = wal.last_seq() == static_cast<system::Seq>(records) &&
                              (end.kind == system::WalEnd::Kind::kTornTail) == torn_tail;
    if (!expected_end) {
      return Skip(state, Status::Error(system::StatusCode::kInternal, "open", wal_dir,
                                       "the log did not end where it was left: " + end.detail));
    }
    state.SetIterationTime(seconds);
    open_ms.values.push_back(seconds * 1e3);
    bytes_read = counts.bytes_read;
    syncs = counts.syncs;
  }
  state.counters["open_ms_p50"] = open_ms.Percentile(0.5);  // target <= 5
  state.counters["open_ms_min"] = open_ms.Min();
  state.counters["open_ms_max"] = open_ms.Max();
  state.counters["read_MB_per_open"] = static_cast<double>(bytes_read) / 1e6;
  state.counters["syncs_per_open"] = static_cast<double>(syncs);
}
BENCHMARK(BM_WalRestart)
    ->ArgNames({"records", "torn_tail", "cold"})
    ->Args({0, 0, 1})
    ->Args({1, 0, 0})
    ->Args({1, 0, 1})
    ->Args({1, 1, 0})
    ->Args({1, 1, 1})
    ->Iterations(10)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace crashdrill::bench

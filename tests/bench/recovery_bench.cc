// Recovery time (RTO) against the size of the state, on real files (issue 10;
// DESIGN §5, §11), each figure beside the floor measured in the same run.
//   BM_RecoveryRto/records/open_orders  a state directory the checkpointer
//       wrote (one L2 version holding `open_orders` open orders, then `records`
//       WAL records after it), page cache dropped, then the time to "ready to
//       trade" locally: RecoverLocal + PrepareForAppend +
//       MultiLevelCheckpointer::Open (no venue). Floor: the bytes recovery read
//       at this disk's cold sequential read rate, plus decoding the base and
//       decoding and applying the records from memory. vs_floor = total/floor.
//   BM_RecoveryEmpty/near_empty  the same path on an empty state directory
//       (a first start) and on one L2 version + a few WAL records.
//   BM_CommitCost/open_orders  one Commit of a strategy update (not critical:
//       no WAL append, no sync) at 100 and at N open orders, interleaved.
// Cold is guest-cold only (bench_support.h). Timings are reported, never asserted.
// Sync benchmarks refuse tmpfs and ramfs. CRASHDRILL_BENCH_DIR chooses the directory;
// the RTO state directories are built once and kept there (recovery-rto-*/).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "system/io/clock.h"
#include "system/io/posix_fs.h"
#include "system/levels/checkpointer.h"
#include "system/levels/wal_format.h"
#include "system/levels/wal_reader.h"
#include "system/recovery/local_recovery.h"
#include "system/state/codec.h"
#include "system/state/state_update.h"
#include "tests/bench/bench_support.h"

namespace crashdrill::bench {
namespace {

using system::CheckpointerOptions;
using system::CheckpointType;
using system::EngineState;
using system::File;
using system::Fs;
using system::MultiLevelCheckpointer;
using system::MutableByteSpan;
using system::PosixFs;
using system::RecoveryReport;
using system::Result;
using system::Seq;
using system::StateUpdate;
using system::Status;
using system::SystemClock;
using system::TimeNs;

void Skip(benchmark::State& state, const Status& status) {
  state.SkipWithError(status.ToString().c_str());
}

Status Mismatch(const std::string& where, const std::string& what) {
  return Status::Error(system::StatusCode::kInternal, "recovery bench", where, what);
}

// --- the trading state every case holds -------------------------------------------

constexpr std::array<std::string_view, 8> kSymbols = {"AAPL", "MSFT", "NVDA", "AMZN",
                                                      "GOOG", "META", "TSLA", "AMD"};
constexpr std::string_view kVenue = "XNAS";
constexpr std::string_view kCurrency = "USD";
constexpr std::string_view kStrategy = "mm-1";

std::string OrderId(uint64_t n) { return fmt::format("mm1-{:09}", n); }
uint64_t ExchangeOrderId(uint64_t n) { return 7'000'000'000 + n; }

// A resting limit order of the market maker, a few ticks off its symbol's mid.
system::Order MakeOrder(uint64_t n, TimeNs now) {
  const system::Side side = n % 2 == 0 ? system::Side::kBuy : system::Side::kSell;
  const auto offset = static_cast<system::Ticks>(1 + n % 20);
  const system::Ticks mid = 10'000 + static_cast<system::Ticks>(n % kSymbols.size()) * 2'500;
  return {.client_order_id = OrderId(n),
          .symbol = std::string(kSymbols[n % kSymbols.size()]),
          .venue = std::string(kVenue),
          .strategy_id = std::string(kStrategy),
          .side = side,
          .type = system::OrderType::kLimit,
          .price_ticks = side == system::Side::kBuy ? mid - offset : mid + offset,
          .quantity_lots = 10 + static_cast<system::Lots>(n % 90),
          .created_ns = now,
          .updated_ns = now};
}

EngineState InitialState() {
  EngineState state;
  state.trading.account_id = "acct-7";
  state.strategies[std::string(kStrategy)] = {
      .strategy_id = std::string(kStrategy),
      .name = "market maker",
      .parameters = {{"spread_ticks", 2}, {"quote_lots", 10}, {"max_position_lots", 500}},
      .active = true};
  return state;
}

// The base: a funded account, then each of `open_orders` orders submitted and
// acknowledged (critical updates 1 .. BaseUpdateCount).
uint64_t BaseUpdateCount(uint64_t open_orders) { return 1 + 2 * open_orders; }
StateUpdate BaseUpdate(uint64_t i, TimeNs now) {
  if (i == 0) {
    constexpr system::Minor kCash = 10'000'000'000'000;
    return system::BalanceSet{{std::string(kVenue), std::string(kCurrency), kCash, kCash}};
  }
  const uint64_t n = (i - 1) / 2;
  if ((i - 1) % 2 == 0) return system::OrderSubmitted{MakeOrder(n, now)};
  return system::OrderAcknowledged{OrderId(n), ExchangeOrderId(n), n + 1};
}

// Record i after the base, in cycles of five that keep the open orders steady:
// a new order submitted, acknowledged and filled for one lot (it stays open),
// then the oldest open order cancelled (requested, acknowledged).
StateUpdate RecordAfterBase(uint64_t open_orders, uint64_t i, TimeNs now) {
  const uint64_t cycle = i / 5, fresh = open_orders + cycle;
  const Seq exchange_seq = open_orders + 1 + i;
  switch (i % 5) {
    case 0:
      return system::OrderSubmitted{MakeOrder(fresh, now)};
    case 1:
      return system::OrderAcknowledged{OrderId(fresh), ExchangeOrderId(fresh), exchange_seq};
    case 2: {
      const system::Order order = MakeOrder(fresh, now);
      return system::FillReceived{{.exchange_seq = exchange_seq,
                                   .trade_id = 900'000'000 + i,
                                   .client_order_id = order.client_order_id,
                                   .exchange_order_id = ExchangeOrderId(fresh),
                                   .symbol = order.symbol,
                                   .side = order.side,
                                   .price_ticks = order.price_ticks,
                                   .quantity_lots = 1,
                                   .fee_minor = 2,
                                   .maker = true,
                                   .exchange_time_ns = now},
                                  std::string(kCurrency)};
    }
    case 3:
      return system::CancelRequested{OrderId(cycle)};
    default:
      return system::CancelAcknowledged{OrderId(cycle), exchange_seq};
  }
}

// No level is due while we measure: L1 is never written (its slots stay empty,
// so L1 cannot be the base), and no L2, snapshot or archive copy runs by itself.
// One 256 MiB segment holds a million records.
CheckpointerOptions BenchOptions(const std::string& state_dir) {
  constexpr int64_t kNever = int64_t{1} << 60;
  CheckpointerOptions options;
  options.state_dir = state_dir;
  options.l1_period_ns = options.l2_period_ns = kNever;
  options.snapshot_period_ns = options.archive_period_ns = kNever;
  options.wal_segment_bytes = 256ull << 20;
  return options;
}

// --- file systems for setup and accounting ------------------------------------------

// Counts the bytes every read returns, by level (the path's part under the
// state directory: "l1", "l2", "wal", ...), Open of the levels included. The
// L1 mapping's page-ins are not reads and are not counted. Also counts file
// and directory syncs: on a restart that changes nothing they are pure latency.
class ReadCountingFs final : public system::FsWrapper {
 public:
  using Counts = std::map<std::string, uint64_t>;
  ReadCountingFs(Fs* target, std::string state_dir)
      : FsWrapper(target), state_dir_(std::move(state_dir)) {}
  Result<std::unique_ptr<File>> Open(const std::string& path,
                                     system::OpenOptions options) override {
    CD_ASSIGN_OR_RETURN(std::unique_ptr<File> file, FsWrapper::Open(path, options));
    uint64_t& bytes = counts_[LevelOf(path)];
    return std::unique_ptr<File>(std::make_unique<CountingFile>(std::move(file), bytes, syncs_));
  }
  Status SyncDir(const std::string& dir) override {
    ++syncs_;
    return FsWrapper::SyncDir(dir);
  }
  const Counts& counts() const { return counts_; }
  uint64_t syncs() const { return syncs_; }

 private:
  std::string LevelOf(const std::string& path) const {
    if (!path.starts_with(state_dir_ + "/")) return "other";
    const std::string rest = path.substr(state_dir_.size() + 1);
    return rest.substr(0, rest.find('/'));
  }
  class CountingFile final : public system::FileWrapper {
   public:
    CountingFile(std::unique_ptr<File> target, uint64_t& bytes, uint64_t& syncs)
        : FileWrapper(std::move(target)), bytes_(bytes), syncs_(syncs) {}
    Result<size_t> ReadAt(uint64_t offset, MutableByteSpan out) override {
      Result<size_t> read = FileWrapper::ReadAt(offset, out);
      if (read.ok()) bytes_ += *read;
      return read;
    }
    Status Sync() override {
      ++syncs_;
      return FileWrapper::Sync();
    }

   private:
    uint64_t& bytes_;
    uint64_t& syncs_;
  };
  std::string state_dir_;
  uint64_t syncs_ = 0;
  Counts counts_;  // std::map: references to its values stay valid
};

// Every file's data and every directory entry under `dir` durable.
Status SyncTree(const std::string& dir) {
  CD_RETURN_IF_ERROR(DropPageCache(dir).status());  // fdatasync of every file
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open to syncfs", dir);
  const int result = ::syncfs(fd);
  const int error = errno;
  ::close(fd);
  return result == 0 ? Status::Ok() : Status::FromErrno(error, "syncfs", dir);
}

// --- building and recovering a state directory --------------------------------------

// Through the checkpointer, as the engine would: Open, the base updates
// committed, an L2 checkpoint (the base), then `records` committed after it.
Status BuildStateDir(Fs& fs, const std::string& state_dir, uint64_t records, uint64_t open_orders) {
  SystemClock clock;
  MultiLevelCheckpointer checkpointer(fs, clock, BenchOptions(state_dir));
  CD_RETURN_IF_ERROR(checkpointer.Open(InitialState()));
  for (uint64_t i = 0; i < BaseUpdateCount(open_orders); ++i) {
    CD_RETURN_IF_ERROR(checkpointer.Commit(BaseUpdate(i, clock.Wall())));
  }
  CD_RETURN_IF_ERROR(checkpointer.Checkpoint(CheckpointType::kAutomatic));
  for (uint64_t i = 0; i < records; ++i) {
    CD_RETURN_IF_ERROR(checkpointer.Commit(RecordAfterBase(open_orders, i, clock.Wall())));
  }
  return Status::Ok();
}

// The state directory of one case, built on the first run and kept: building
// 1M records through Commit takes seconds. A marker written last says it is
// complete and what it holds; change kLayout when the workload changes.
Result<std::string> CachedStateDir(uint64_t records, uint64_t open_orders, double& build_s) {
  constexpr std::string_view kLayout = "recovery-rto layout 1";
  const std::string root = BenchCacheDir(fmt::format("recovery-rto-{}-{}", records, open_orders));
  const std::string state_dir = root + "/state", marker = root + "/complete";
  const std::string key =
      fmt::format("{}: records={} open_orders={} wal_segment_bytes={}\n", kLayout, records,
                  open_orders, BenchOptions(state_dir).wal_segment_bytes);
  std::stringstream found;
  found << std::ifstream(marker).rdbuf();
  build_s = 0;
  if (found.str() == key) return state_dir;
  std::filesystem::remove(marker);
  std::filesystem::remove_all(state_dir);
  const auto start = std::chrono::steady_clock::now();
  PosixFs posix;
  NoSyncSetupFs fs(&posix);
  CD_RETURN_IF_ERROR(BuildStateDir(fs, state_dir, records, open_orders));
  CD_RETURN_IF_ERROR(SyncTree(root));
  std::ofstream(marker) << key;
  CD_RETURN_IF_ERROR(SyncTree(root));
  build_s = SecondsSince(start);
  return state_dir;
}

struct ReadyTiming {
  double total_s = 0;                                // RecoverLocal + PrepareForAppend + Open
  double open_s = 0;                                 // MultiLevelCheckpointer::Open alone
  ReadCountingFs::Counts recover_reads, open_reads;  // bytes by level
  uint64_t syncs = 0;                                // file and directory syncs, all steps
  RecoveryReport report;
};

// The local restart, as RecoverEngine does it up to the engine (no venue).
Result<ReadyTiming> RecoverToReady(const CheckpointerOptions& options) {
  PosixFs posix;
  ReadCountingFs fs(&posix, options.state_dir);
  SystemClock clock;
  ReadyTiming out;
  std::unique_ptr<MultiLevelCheckpointer> checkpointer;  // closed after the timing
  const auto start = std::chrono::steady_clock::now();
  CD_ASSIGN_OR_RETURN(
      system::LocalRecovery local,
      RecoverLocal(fs, clock,
                   {.state_dir = options.state_dir, .l1_slot_bytes = options.l1_slot_bytes}));
  CD_RETURN_IF_ERROR(PrepareForAppend(
      fs, local, options.versions_kept[static_cast<size_t>(CheckpointType::kEmergency)]));
  out.recover_reads = fs.counts();
  const auto open_start = std::chrono::steady_clock::now();
  checkpointer = std::make_unique<MultiLevelCheckpointer>(fs, clock, options);
  CD_RETURN_IF_ERROR(checkpointer->Open(std::move(local.state)));
  out.open_s = SecondsSince(open_start);
  out.total_s = SecondsSince(start);
  out.open_reads = fs.counts();
  out.syncs = fs.syncs();
  for (const auto& [level, bytes] : out.recover_reads) out.open_reads[level] -= bytes;
  out.report = std::move(local.report);
  return out;
}

// --- the floor -----------------------------------------------------------------------

// One past the last byte of written data (what SEEK_HOLE reports as data; a
// preallocated WAL segment's unwritten rest is not), as Fs::ZerosFrom finds it.
Result<uint64_t> DataEnd(int fd, uint64_t size, const std::string& path) {
  uint64_t end = 0;
  for (uint64_t at = 0; at < size;) {
    const off_t data = ::lseek(fd, static_cast<off_t>(at), SEEK_DATA);
    if (data < 0 && errno == ENXIO) break;
    if (data < 0) return Status::FromErrno(errno, "seek data", path);
    const off_t hole = ::lseek(fd, data, SEEK_HOLE);
    if (hole < 0) return Status::FromErrno(errno, "seek hole", path);
    end = std::min<uint64_t>(static_cast<uint64_t>(hole), size);
    at = end;
  }
  return end;
}

// This disk's sequential cold read rate, on these very files: the page cache
// dropped, then every file's written part read with pread in 4 MiB chunks.
Result<double> ColdReadBytesPerSecond(const std::string& dir) {
  CD_RETURN_IF_ERROR(DropPageCache(dir).status());
  constexpr size_t kChunkBytes = 4 << 20;
  std::unique_ptr<char[]> buffer(new char[kChunkBytes]);
  uint64_t bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string path = entry.path().string();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno(errno, "open to read cold", path);
    Result<uint64_t> end = DataEnd(fd, entry.file_size(), path);
    for (uint64_t at = 0; end.ok() && at < *end;) {
      const ssize_t n = ::pread(fd, buffer.get(), kChunkBytes, static_cast<off_t>(at));
      if (n <= 0) {
        end = n < 0 ? Status::FromErrno(errno, "pread", path) : Mismatch(path, "file shrank");
        break;
      }
      at += static_cast<uint64_t>(n);
      bytes += static_cast<uint64_t>(n);
    }
    ::close(fd);
    if (!end.ok()) return end.status();
  }
  return static_cast<double>(bytes) / SecondsSince(start);
}

// What the decode floor starts from: the base copy's bytes and the records
// after it, in memory. `needed_bytes`: all a reader must read (the base file
// and the WAL frames after it).
struct FloorInputs {
  std::string base_path;
  std::vector<std::byte> base_bytes;
  std::vector<system::WalRecord> records;
  uint64_t needed_bytes = 0;
};

Result<FloorInputs> LoadFloorInputs(const std::string& state_dir, const RecoveryReport& report) {
  PosixFs fs;
  FloorInputs in;
  in.base_path = report.candidates[*report.base].location;
  CD_ASSIGN_OR_RETURN(in.base_bytes, system::ReadWholeFile(fs, in.base_path));
  in.records.reserve(report.records_replayed);
  system::WalReader reader(fs, system::WalDir(state_dir));
  system::WalEnd end;
  CD_RETURN_IF_ERROR(reader.Read(
      report.base_seq,
      [&](const system::WalRecordView& record) {
        in.records.push_back(record.ToRecord());
        return Status::Ok();
      },
      end));
  if (in.records.size() != report.records_replayed) {
    return Mismatch(state_dir, fmt::format("{} records after the base, {} replayed",
                                           in.records.size(), report.records_replayed));
  }
  in.needed_bytes = in.base_bytes.size();
  for (const system::WalRecord& record : in.records) {
    in.needed_bytes += system::WalFrameBytes(record.payload.size());
  }
  return in;
}

struct DecodeFloor {
  double base_s = 0;     // DecodeEngineState of the base copy
  double records_s = 0;  // DecodeStateUpdate + ApplyStateUpdate of each record
};

// The work no reader can skip, from bytes already in memory: decode the base,
// then decode and apply every record after it.
Result<DecodeFloor> TimeDecode(const FloorInputs& in) {
  DecodeFloor out;
  auto start = std::chrono::steady_clock::now();
  CD_ASSIGN_OR_RETURN(EngineState state, system::DecodeEngineState(in.base_bytes, in.base_path));
  out.base_s = SecondsSince(start);
  start = std::chrono::steady_clock::now();
  for (const system::WalRecord& record : in.records) {
    CD_ASSIGN_OR_RETURN(const StateUpdate update,
                        system::DecodeStateUpdate(record.type, record.payload, "floor"));
    CD_RETURN_IF_ERROR(ApplyStateUpdate(state, update, record.state_seq, record.time_ns));
  }
  out.records_s = SecondsSince(start);
  return out;
}

// --- RTO against state size ----------------------------------------------------------

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

struct PhaseSamples {
  Samples total_ms, discover_ms, load_ms, validate_ms, replay_ms, open_ms, other_ms;
  uint64_t syncs = 0;  // of the last restart

  void Add(const ReadyTiming& t) {
    const system::RecoveryPhases& p = t.report.phases;
    total_ms.values.push_back(t.total_s * 1e3);
    discover_ms.values.push_back(Ms(p.discover_ns));
    load_ms.values.push_back(Ms(p.load_ns));
    validate_ms.values.push_back(Ms(p.validate_ns));
    replay_ms.values.push_back(Ms(p.replay_ns));
    open_ms.values.push_back(t.open_s * 1e3);
    // In RecoverLocal but in no phase (choosing the base, copying it, PrepareForAppend).
    other_ms.values.push_back(t.total_s * 1e3 - t.open_s * 1e3 - Ms(p.total_ns()));
    syncs = t.syncs;
  }
  void Report(benchmark::State& state) {
    state.counters["total_ms"] = total_ms.Percentile(0.5);
    state.counters["total_ms_min"] = total_ms.Min();
    state.counters["total_ms_max"] = total_ms.Max();
    state.counters["discover_ms"] = discover_ms.Percentile(0.5);
    state.counters["load_ms"] = load_ms.Percentile(0.5);
    state.counters["validate_ms"] = validate_ms.Percentile(0.5);
    state.counters["replay_ms"] = replay_ms.Percentile(0.5);
    state.counters["open_ms"] = open_ms.Percentile(0.5);
    state.counters["other_ms"] = other_ms.Percentile(0.5);
    state.counters["syncs"] = static_cast<double>(syncs);
  }
};

// What a restart of this directory must find: the L2 version as the base and
// every record after it replayed, nothing damaged.
Status CheckRecovered(const RecoveryReport& report, uint64_t records, uint64_t open_orders) {
  const Seq base_seq = BaseUpdateCount(open_orders);
  if (report.source == "l2" && report.base_seq == base_seq && report.wal_stop.ok() &&
      report.records_replayed == records && report.recovered_seq == base_seq + records) {
    return Status::Ok();
  }
  return Mismatch(report.state_dir,
                  fmt::format("recovered from {} at {} + {} records to {} ({}), expected l2 at {} "
                              "+ {}; delete the directory to rebuild it",
                              report.source, report.base_seq, report.records_replayed,
                              report.recovered_seq, report.wal_stop.ToString(), base_seq, records));
}

// Each iteration times one cold restart, then measures its floor right after
// (cold read rate of the same files, decode from memory), so load from others
// on this shared machine falls on both; vs_floor is the median of the ratios.
void BM_RecoveryRto(benchmark::State& state) {
  const auto records = static_cast<uint64_t>(state.range(0));
  const auto open_orders = static_cast<uint64_t>(state.range(1));
  if (RefuseVolatileFs(state, BenchCacheDir("."))) return;
  double build_s = 0;
  Result<std::string> state_dir = CachedStateDir(records, open_orders, build_s);
  if (!state_dir.ok()) return Skip(state, state_dir.status());
  const CheckpointerOptions options = BenchOptions(*state_dir);
  PhaseSamples samples;
  Samples read_rate, decode_base_ms, decode_apply_ms, floor_ms, vs_floor, vs_strict_floor;
  std::optional<FloorInputs> inputs;
  ReadyTiming last;
  double resident_fraction_max = 0;
  for (auto _ : state) {
    Result<DroppedCache> dropped = DropPageCache(*state_dir);
    if (!dropped.ok()) return Skip(state, dropped.status());
    resident_fraction_max = std::max(
        resident_fraction_max, static_cast<double>(dropped->resident_bytes) /
                                   static_cast<double>(std::max<uint64_t>(dropped->file_bytes, 1)));
    Result<ReadyTiming> timing = RecoverToReady(options);
    if (!timing.ok()) return Skip(state, timing.status());
    const RecoveryReport& report = timing->report;
    if (Status s = CheckRecovered(report, records, open_orders); !s.ok()) return Skip(state, s);
    state.SetIterationTime(timing->total_s);
    samples.Add(*timing);

    if (!inputs) {
      Result<FloorInputs> loaded = LoadFloorInputs(*state_dir, report);
      if (!loaded.ok()) return Skip(state, loaded.status());
      inputs = std::move(loaded).value();
    }
    Result<double> rate = ColdReadBytesPerSecond(*state_dir);
    if (!rate.ok()) return Skip(state, rate.status());
    Result<DecodeFloor> decode = TimeDecode(*inputs);
    if (!decode.ok()) return Skip(state, decode.status());
    const double decode_s = decode->base_s + decode->records_s;
    const double floor_s = static_cast<double>(report.bytes_read) / *rate + decode_s;
    // The same floor had recovery read only what it needs (no L1 slots that
    // hold nothing, no WAL records at or below the base).
    const double strict_floor_s = static_cast<double>(inputs->needed_bytes) / *rate + decode_s;
    read_rate.values.push_back(*rate / 1e6);
    decode_base_ms.values.push_back(decode->base_s * 1e3);
    decode_apply_ms.values.push_back(decode->records_s * 1e3);
    floor_ms.values.push_back(floor_s * 1e3);
    vs_floor.values.push_back(timing->total_s / floor_s);
    vs_strict_floor.values.push_back(timing->total_s / strict_floor_s);
    last = std::move(timing).value();
  }
  const RecoveryReport& report = last.report;
  samples.Report(state);
  state.counters["bytes_read_MB"] = static_cast<double>(report.bytes_read) / 1e6;
  for (const auto& [level, bytes] : last.recover_reads) {
    state.counters["read_" + level + "_MB"] = static_cast<double>(bytes) / 1e6;
  }
  for (const auto& [level, bytes] : last.open_reads) {
    state.counters["open_read_" + level + "_MB"] = static_cast<double>(bytes) / 1e6;
  }
  state.counters["needed_MB"] = static_cast<double>(inputs->needed_bytes) / 1e6;
  state.counters["base_MB"] = static_cast<double>(report.candidates[*report.base].bytes) / 1e6;
  state.counters["records_replayed"] = static_cast<double>(report.records_replayed);
  state.counters["replay_records_per_s"] =
      static_cast<double>(report.records_replayed) / (samples.replay_ms.Percentile(0.5) / 1e3);
  state.counters["cold_read_MB_per_s"] = read_rate.Percentile(0.5);
  state.counters["decode_base_ms"] = decode_base_ms.Percentile(0.5);
  state.counters["decode_apply_ms"] = decode_apply_ms.Percentile(0.5);
  state.counters["floor_ms"] = floor_ms.Percentile(0.5);
  state.counters["vs_floor"] = vs_floor.Percentile(0.5);  // target <= 2
  state.counters["vs_strict_floor"] = vs_strict_floor.Percentile(0.5);
  // Target 1 at 1M records + 100k open orders.
  state.counters["under_1s"] = samples.total_ms.Percentile(0.5) < 1e3 ? 1.0 : 0.0;
  state.counters["resident_after_drop_max"] = resident_fraction_max;
  state.counters["build_s"] = build_s;  // 0: the directory was built by an earlier run
}
BENCHMARK(BM_RecoveryRto)
    ->ArgNames({"records", "open_orders"})
    ->Args({10'000, 1'000})
    ->Args({100'000, 1'000})
    ->Args({1'000'000, 1'000})
    ->Args({10'000, 10'000})
    ->Args({10'000, 100'000})
    ->Args({1'000'000, 100'000})
    ->Iterations(5)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// --- an empty and a near-empty directory -------------------------------------------

void BM_RecoveryEmpty(benchmark::State& state) {
  constexpr uint64_t kOrders = 3, kRecords = 5;
  const bool near_empty = state.range(0) != 0;
  const std::string dir = BenchDir(near_empty ? "recovery-near-empty" : "recovery-empty");
  if (RefuseVolatileFs(state, dir)) return;
  const std::string state_dir = dir + "/state";
  const CheckpointerOptions options = BenchOptions(state_dir);
  if (near_empty) {  // with real syncs: a handful of commits
    PosixFs posix;
    if (Status s = BuildStateDir(posix, state_dir, kRecords, kOrders); !s.ok()) {
      return Skip(state, s);
    }
  }
  PhaseSamples samples;
  for (auto _ : state) {
    if (!near_empty) {  // each start is a first start
      std::filesystem::remove_all(state_dir);
      std::filesystem::create_directories(state_dir);
    }
    if (Result<DroppedCache> d = DropPageCache(dir); !d.ok()) return Skip(state, d.status());
    Result<ReadyTiming> timing = RecoverToReady(options);
    if (!timing.ok()) return Skip(state, timing.status());
    const Status recovered =
        near_empty ? CheckRecovered(timing->report, kRecords, kOrders)
        : timing->report.source == "empty"
            ? Status::Ok()
            : Mismatch(state_dir, "an empty directory recovered " + timing->report.source);
    if (!recovered.ok()) return Skip(state, recovered);
    state.SetIterationTime(timing->total_s);
    samples.Add(*timing);
  }
  samples.Report(state);
  state.counters["under_10ms"] = samples.total_ms.Percentile(0.5) < 10 ? 1.0 : 0.0;
}
BENCHMARK(BM_RecoveryEmpty)
    ->ArgName("near_empty")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(10)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// --- the cost of a commit against the size of the state ----------------------------

// A live checkpointer on real files holding `open_orders` open orders (the
// base of the RTO cases, applied in memory), nothing due (Tick never runs).
Result<std::unique_ptr<MultiLevelCheckpointer>> LiveCheckpointer(Fs& fs, system::Clock& clock,
                                                                 const std::string& dir,
                                                                 uint64_t open_orders) {
  EngineState state = InitialState();
  for (uint64_t i = 0; i < BaseUpdateCount(open_orders); ++i) {
    const TimeNs now = clock.Wall();
    CD_RETURN_IF_ERROR(ApplyStateUpdate(state, BaseUpdate(i, now), i + 1, now));
  }
  auto checkpointer = std::make_unique<MultiLevelCheckpointer>(fs, clock, BenchOptions(dir));
  CD_RETURN_IF_ERROR(checkpointer->Open(std::move(state)));
  return checkpointer;
}

// A strategy update is not critical: applied and validated, never logged nor
// synced (its durability is the next L2 copy). Measured at `open_orders` and at
// 100, interleaved in rounds so load from others falls on both; mean against mean.
void BM_CommitCost(benchmark::State& state) {
  constexpr uint64_t kReferenceOrders = 100;
  constexpr int kRounds = 10, kPerRound = 2'000;
  const auto open_orders = static_cast<uint64_t>(state.range(0));
  const std::string dir = BenchDir(fmt::format("commit-cost-{}", open_orders));
  if (RefuseVolatileFs(state, dir)) return;
  PosixFs fs;
  SystemClock clock;
  auto measured = LiveCheckpointer(fs, clock, dir + "/measured", open_orders);
  auto reference = LiveCheckpointer(fs, clock, dir + "/reference", kReferenceOrders);
  if (!measured.ok()) return Skip(state, measured.status());
  if (!reference.ok()) return Skip(state, reference.status());
  std::vector<StateUpdate> updates;
  for (int i = 0; i < 64; ++i) {
    system::StrategyState strategy = InitialState().strategies.begin()->second;
    strategy.parameters["spread_ticks"] = 1 + i % 4;
    strategy.last_signal_ns = clock.Wall();
    strategy.pnl_minor = i * 125;
    updates.push_back(system::StrategyUpdated{std::move(strategy)});
  }
  double measured_s = 0, reference_s = 0;
  uint64_t commits = 0;
  for (auto _ : state) {
    double iteration_s = 0;
    for (int round = 0; round < kRounds; ++round) {
      for (int side = 0; side < 2; ++side) {
        const bool reference_turn = (side == 0) == (round % 2 == 0);
        MultiLevelCheckpointer& checkpointer = reference_turn ? **reference : **measured;
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < kPerRound; ++i) {
          if (Status s = checkpointer.Commit(updates[static_cast<size_t>(i) % updates.size()]);
              !s.ok()) {
            return Skip(state, s);
          }
        }
        const double seconds = SecondsSince(start);
        (reference_turn ? reference_s : measured_s) += seconds;
        if (!reference_turn) iteration_s += seconds;
      }
    }
    commits += kRounds * kPerRound;
    state.SetIterationTime(iteration_s);
  }
  const double measured_ns = measured_s * 1e9 / static_cast<double>(commits);
  const double reference_ns = reference_s * 1e9 / static_cast<double>(commits);
  state.counters["ns_per_commit"] = measured_ns;
  state.counters["ns_per_commit_at_100"] = reference_ns;
  state.counters["vs_100"] = measured_ns / reference_ns;  // target <= 1.5 at 10k
}
BENCHMARK(BM_CommitCost)
    ->ArgName("open_orders")
    ->Arg(100)
    ->Arg(10'000)
    ->Iterations(5)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace crashdrill::bench

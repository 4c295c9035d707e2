// The last lines of defence, on real files (ext4; tmpfs refused):
// - BM_ArchiveWriteTypicalState: one L4 copy of the typical state into the
//   SQLite archive through the VFS (one transaction, synchronous=FULL), in ms,
//   against the L2 write of the same state (temp, fsync, rename, fsync dir)
//   measured in the same run: both make the same document durable.
// - BM_ArchiveWritePostgres: the same copy into PostgreSQL through libpq (one
//   transaction: document as binary BYTEA, its rows, its log row), in ms,
//   against the floor of the same server measured in the same run: the same
//   encoded document INSERTed as one BYTEA row and committed on a connection
//   of its own (a round trip, the document's bytes and the server's WAL
//   flush), and a one-row commit of a single integer beside it. Needs a server: run under `pg_virtualenv -t -o
//   fsync=on` (PGHOST set); without one it is skipped, saying so.
// - BM_Backup/full|incremental: create and restore MB/s of a state directory
//   the checkpointer wrote (the typical state, 20k WAL records, snapshots),
//   against the floor of zstd + secretstream encryption of the same bytes in
//   memory, measured in the same run; and restore + recovery (verify) time.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "system/archive/pg_connection.h"
#include "system/archive/postgres_archive.h"
#include "system/archive/sqlite_archive.h"
#include "system/backup/backup.h"
#include "system/backup/object_codec.h"
#include "system/backup/state_files.h"
#include "system/io/clock.h"
#include "system/io/posix_fs.h"
#include "system/levels/atomic_file.h"
#include "system/levels/checkpointer.h"
#include "system/levels/durable_file.h"
#include "system/recovery/local_recovery.h"
#include "system/state/codec.h"
#include "system/state/state_update.h"
#include "tests/bench/bench_support.h"

namespace crashdrill::system {
namespace {

using bench::BenchDir;
using bench::RefuseVolatileFs;

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// The size of the newest copy's document (0 if none reads back).
double NewestDocumentKiB(ArchiveDatabase& archive) {
  const auto copies = archive.List();
  return copies.ok() && !copies->empty()
             ? static_cast<double>(copies->front().document_bytes) / 1024
             : 0;
}

EngineState TypicalEngineState(Seq seq) {
  EngineState state;
  state.trading = bench::TypicalCriticalState();
  state.trading.state_seq = seq;
  state.trading.last_update_ns = 1'790'000'000'000'000'000 + static_cast<int64_t>(seq);
  return state;
}

void BM_ArchiveWriteTypicalState(benchmark::State& state) {
  const std::string dir = BenchDir("archive-write");
  if (RefuseVolatileFs(state, dir)) return;
  PosixFs fs;
  SystemClock clock;
  SqliteArchive archive(fs, clock, {.path = dir + "/l4.db"});
  if (Status s = archive.Open(); !s.ok()) return state.SkipWithError(s.ToString().c_str());
  DurableFile l2(fs, {.dir = dir + "/l2", .versions_kept = 2});
  if (Status s = MakeDurableDir(fs, dir + "/l2"); !s.ok()) {
    return state.SkipWithError(s.ToString().c_str());
  }
  if (Status s = l2.Open(); !s.ok()) return state.SkipWithError(s.ToString().c_str());
  std::vector<double> archive_ms, l2_ms;
  Seq seq = 1;
  for (auto _ : state) {
    const EngineState copy = TypicalEngineState(seq++);
    auto start = std::chrono::steady_clock::now();
    const Status archived = archive.Archive(copy);
    const double archive_s = Seconds(start);
    if (!archived.ok()) return state.SkipWithError(archived.ToString().c_str());
    start = std::chrono::steady_clock::now();
    const auto written = l2.Write(copy);
    const double l2_s = Seconds(start);
    if (!written.ok()) return state.SkipWithError(written.status().ToString().c_str());
    state.SetIterationTime(archive_s);
    archive_ms.push_back(archive_s * 1e3);
    l2_ms.push_back(l2_s * 1e3);
  }
  state.counters["archive_ms_p50"] = Median(archive_ms);
  state.counters["l2_floor_ms_p50"] = Median(l2_ms);
  state.counters["ratio_p50"] = Median(archive_ms) / std::max(Median(l2_ms), 1e-9);
  state.counters["document_KiB"] = NewestDocumentKiB(archive);
}
BENCHMARK(BM_ArchiveWriteTypicalState)->Iterations(40)->UseManualTime()->Unit(
    benchmark::kMillisecond);

void BM_ArchiveWritePostgres(benchmark::State& state) {
  if (std::getenv("PGHOST") == nullptr) {
    return state.SkipWithError(
        "PGHOST is unset: run the benchmarks under `pg_virtualenv -t -o fsync=on` for this one");
  }
  const std::string schema = "cd_bench_" + std::to_string(::getpid());
  PgConnectOptions admin_options;
  auto admin = PgConnection::Connect(admin_options);
  if (!admin.ok()) return state.SkipWithError(admin.status().ToString().c_str());
  auto fsync = (*admin)->Query("SHOW fsync", "show fsync");
  if (!fsync.ok()) return state.SkipWithError(fsync.status().ToString().c_str());
  if (fsync->Text(0, 0) != "on") {
    return state.SkipWithError(
        "the server runs with fsync=off: its commits are not durable "
        "(pg_virtualenv needs -o fsync=on)");
  }
  struct DropSchema {
    PgConnection& admin;
    std::string schema;
    ~DropSchema() { (void)admin.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE", "drop"); }
  } drop{**admin, schema};
  for (const std::string& sql :
       {"DROP SCHEMA IF EXISTS " + schema + " CASCADE", "CREATE SCHEMA " + schema,
        "CREATE TABLE " + schema + ".floor (id bigserial, v bigint)",
                                "CREATE TABLE " + schema + ".doc_floor (id bigserial, d bytea)"}) {
    if (Status s = (*admin)->Exec(sql, "set up"); !s.ok()) {
      return state.SkipWithError(s.ToString().c_str());
    }
  }
  SystemClock clock;
  PostgresArchiveOptions options;
  options.connection.conninfo = "options='-c search_path=" + schema + "'";
  PostgresArchive archive(clock, options);
  if (Status s = archive.Open(); !s.ok()) return state.SkipWithError(s.ToString().c_str());
  const std::string insert = "INSERT INTO " + schema + ".floor (v) VALUES ($1)";
  const std::string insert_document = "INSERT INTO " + schema + ".doc_floor (d) VALUES ($1)";
  std::vector<double> archive_ms, floor_ms, document_floor_ms;
  Seq seq = 1;
  for (auto _ : state) {
    const EngineState copy = TypicalEngineState(seq);
    auto start = std::chrono::steady_clock::now();
    const Status archived = archive.Archive(copy);
    const double archive_s = Seconds(start);
    if (!archived.ok()) return state.SkipWithError(archived.ToString().c_str());
    const PgParam value = PgParam::Int(static_cast<int64_t>(seq++));
    start = std::chrono::steady_clock::now();
    const Status committed = (*admin)->Exec(insert, "floor insert", std::span(&value, 1));
    const double floor_s = Seconds(start);
    if (!committed.ok()) return state.SkipWithError(committed.ToString().c_str());
    const std::vector<std::byte> document = EncodeEngineState(copy);
    const PgParam bytes = PgParam::Bytes(document);
    start = std::chrono::steady_clock::now();
    const Status document_committed =
        (*admin)->Exec(insert_document, "floor document insert", std::span(&bytes, 1));
    document_floor_ms.push_back(Seconds(start) * 1e3);
    if (!document_committed.ok()) {
      return state.SkipWithError(document_committed.ToString().c_str());
    }
    state.SetIterationTime(archive_s);
    archive_ms.push_back(archive_s * 1e3);
    floor_ms.push_back(floor_s * 1e3);
  }
  state.counters["archive_ms_p50"] = Median(archive_ms);
  state.counters["commit_floor_ms_p50"] = Median(floor_ms);
  state.counters["document_floor_ms_p50"] = Median(document_floor_ms);
  state.counters["ratio_p50"] = Median(archive_ms) / std::max(Median(document_floor_ms), 1e-9);
  state.counters["document_KiB"] = NewestDocumentKiB(archive);
}
BENCHMARK(BM_ArchiveWritePostgres)->Iterations(40)->UseManualTime()->Unit(benchmark::kMillisecond);

// A state directory as the checkpointer leaves it after `records` commits on
// top of the typical state, with checkpoints and snapshots on their periods.
Status WriteStateDir(Fs& fs, Clock& clock, const std::string& dir, int records) {
  CheckpointerOptions options;
  options.state_dir = dir;
  options.wal_segment_bytes = 8 << 20;
  options.l2_period_ns = 0;
  options.snapshot_period_ns = 0;
  MultiLevelCheckpointer checkpointer(fs, clock, options);
  Result<LocalRecovery> recovered = RecoverLocal(fs, clock, {.state_dir = dir});
  CD_RETURN_IF_ERROR(recovered.status());
  EngineState initial = std::move(recovered->state);
  if (recovered->found_nothing) initial.trading = bench::TypicalCriticalState();
  if (recovered->found_nothing) initial.trading.state_seq = 0;
  CD_RETURN_IF_ERROR(checkpointer.Open(std::move(initial)));
  for (int i = 0; i < records; ++i) {
    const Seq exchange_seq = checkpointer.state().trading.last_exchange_seq + 1;
    CD_RETURN_IF_ERROR(checkpointer.Commit(ReportsSeen{exchange_seq}));
    if (i % 5000 == 4999) CD_RETURN_IF_ERROR(checkpointer.Tick());
  }
  return checkpointer.Tick();
}

// zstd + secretstream of every file a set of `dir` stores, in memory.
Result<double> SealFloorSeconds(Fs& fs, const std::string& dir, const BackupKey& key,
                                uint64_t& bytes) {
  bytes = 0;
  double seconds = 0;
  CD_RETURN_IF_ERROR(VisitStateFiles(fs, dir, [&](const std::string& path, ByteSpan plain) {
                       const auto start = std::chrono::steady_clock::now();
                       benchmark::DoNotOptimize(SealObject(key, ObjectBinding("floor", path), plain));
                       seconds += Seconds(start);
                       bytes += plain.size();
                       return Status::Ok();
                     }).status());
  return seconds;
}

void BM_Backup(benchmark::State& state) {
  const bool incremental = state.range(0) == 1;
  const std::string dir = BenchDir(incremental ? "backup-incremental" : "backup-full");
  if (RefuseVolatileFs(state, dir)) return;
  PosixFs fs;
  SystemClock clock;
  const BackupKey key = BackupKey::Generate();
  const std::string state_dir = dir + "/state";
  std::vector<double> create_mbs, restore_mbs, floor_mbs, verify_ms, stored_mb;
  int round = 0;
  for (auto _ : state) {
    std::filesystem::remove_all(dir + "/target");
    std::filesystem::remove_all(state_dir);
    DirTarget target(fs, dir + "/target");
    Status status = target.Open();
    if (status.ok()) status = WriteStateDir(fs, clock, state_dir, 20'000);
    if (status.ok() && incremental) {
      status = CreateBackup(fs, clock, state_dir, target, key, BackupKind::kFull).status();
      if (status.ok()) status = WriteStateDir(fs, clock, state_dir, 2'000);
    }
    if (!status.ok()) return state.SkipWithError(status.ToString().c_str());
    uint64_t floor_bytes = 0;
    auto floor_s = SealFloorSeconds(fs, state_dir, key, floor_bytes);
    if (!floor_s.ok()) return state.SkipWithError(floor_s.status().ToString().c_str());
    auto start = std::chrono::steady_clock::now();
    auto created = CreateBackup(fs, clock, state_dir, target, key,
                                incremental ? BackupKind::kIncremental : BackupKind::kFull);
    const double create_s = Seconds(start);
    if (!created.ok()) return state.SkipWithError(created.status().ToString().c_str());
    const std::string out = dir + "/restored-" + std::to_string(round++);
    std::filesystem::remove_all(out);
    start = std::chrono::steady_clock::now();
    auto restored = RestoreBackup(target, key, created->set_id, fs, out);
    const double restore_s = Seconds(start);
    if (!restored.ok()) return state.SkipWithError(restored.status().ToString().c_str());
    start = std::chrono::steady_clock::now();
    auto recovered = RecoverLocal(fs, clock, {.state_dir = out});
    const double recover_s = Seconds(start);
    if (!recovered.ok() || !recovered->report.base) {
      return state.SkipWithError("recovery of the restored set found no base");
    }
    std::filesystem::remove_all(out);
    state.SetIterationTime(create_s);
    // Create reads what it stores (bytes_read); restore writes the whole chain.
    create_mbs.push_back(static_cast<double>(created->bytes_read) / 1e6 / create_s);
    restore_mbs.push_back(static_cast<double>(restored->bytes) / 1e6 / restore_s);
    floor_mbs.push_back(static_cast<double>(floor_bytes) / 1e6 / *floor_s);
    verify_ms.push_back((restore_s + recover_s) * 1e3);
    stored_mb.push_back(static_cast<double>(created->bytes_stored) / 1e6);
  }
  state.counters["create_MBps"] = Median(create_mbs);
  state.counters["restore_MBps"] = Median(restore_mbs);
  state.counters["seal_floor_MBps"] = Median(floor_mbs);
  state.counters["create_vs_floor"] = Median(create_mbs) / std::max(Median(floor_mbs), 1e-9);
  state.counters["restore_vs_floor"] = Median(restore_mbs) / std::max(Median(floor_mbs), 1e-9);
  state.counters["restore_and_recover_ms"] = Median(verify_ms);
  state.counters["stored_MB"] = Median(stored_mb);
}
BENCHMARK(BM_Backup)->Arg(0)->Arg(1)->ArgNames({"incremental"})->Iterations(3)->UseManualTime()->Unit(
    benchmark::kMillisecond);

}  // namespace
}  // namespace crashdrill::system

#include "system/recovery/local_recovery.h"

#include <fmt/format.h>

#include <algorithm>

#include "system/io/broken_variant.h"
#include "system/levels/atomic_file.h"
#include "system/levels/checkpointer.h"
#include "system/levels/durable_file.h"
#include "system/levels/mmap_checkpoint.h"
#include "system/levels/snapshot_store.h"
#include "system/levels/wal_reader.h"
#include "system/state/codec.h"
#include "system/state/state_update.h"

namespace crashdrill::system {
namespace {

// Ties among copies with the same state_seq (they hold the same critical
// state): a whole-state copy beats L1, and the automatic L2 sequence (written
// most often) beats the other types and snapshots.
int Rank(const CandidateCopy& copy) {
  switch (copy.level) {
    case CopyLevel::kL2:
      return copy.kind == CheckpointTypeName(CheckpointType::kAutomatic) ? 5 : 4;
    case CopyLevel::kSnapshot:
      return 3;
    case CopyLevel::kL4:
      return 2;
    case CopyLevel::kBackup:
      return 1;
    case CopyLevel::kL1:
      return 0;
  }
  return 0;
}

bool Better(const CandidateCopy& a, const CandidateCopy& b) {
  // kCopiesByWallTime: the newer wall-clock label wins, whatever the state_seq.
  if (CRASHDRILL_BROKEN(kCopiesByWallTime) && a.wall_ns != b.wall_ns) return a.wall_ns > b.wall_ns;
  if (a.state_seq != b.state_seq) return a.state_seq > b.state_seq;
  if (Rank(a) != Rank(b)) return Rank(a) > Rank(b);
  return a.version > b.version;
}

Status NotExamined(std::string_view why) {
  return Status::Error(StatusCode::kFailedPrecondition, "recover", "", why);
}

class Discovery {
 public:
  Discovery(Fs& fs, Clock& clock, const LocalRecoveryOptions& options, LocalRecovery& out)
      : fs_(fs), clock_(clock), options_(options), out_(out), report_(out.report) {
    // The wall clock never decides which copy is used (P6): no timestamp
    // check here, whatever the caller's options say.
    validation_ = options.validation;
    validation_.now_wall_ns.reset();
  }

  Status Run() {
    report_.state_dir = options_.state_dir;
    CD_ASSIGN_OR_RETURN(const bool exists, fs_.Exists(options_.state_dir));
    if (!exists && options_.copy_sources.empty()) {
      report_.base_reason = "the state directory does not exist: a new engine";
      return Status::Ok();
    }
    // A directory that is gone may have copies elsewhere (L4, backups).
    if (exists) DiscoverLocal();
    for (CopySource* source : options_.copy_sources) DiscoverSource(*source);
    if (!exists && report_.candidates.empty()) {
      report_.base_reason = "the state directory does not exist and no copy is elsewhere: a new engine";
      return Status::Ok();
    }
    Choose();
    return Replay();
  }

  void DiscoverLocal() {
    DiscoverL1();
    for (size_t i = 0; i < kCheckpointTypeCount; ++i) {
      DiscoverL2(CheckpointTypeName(static_cast<CheckpointType>(i)));
    }
    DiscoverSnapshots();
    DiscoverWal();
  }

  uint64_t bytes_read() const { return counting_.bytes(); }

 private:
  // Times `fn` into the phase.
  template <typename Fn>
  auto Timed(int64_t& phase_ns, Fn&& fn) {
    const int64_t start = clock_.Mono();
    auto result = fn();
    phase_ns += clock_.Mono() - start;
    return result;
  }

  void Unreadable(Status status, std::string_view what) {
    report_.unreadable.push_back(status.Annotate(fmt::format("{} skipped", what)));
  }

  // Lists `dir` when it exists; nullopt (and an unreadable entry) when it cannot be read.
  std::optional<std::vector<std::string>> ListIfPresent(const std::string& dir,
                                                        std::string_view what) {
    auto exists = Timed(report_.phases.discover_ns, [&] { return fs_.Exists(dir); });
    if (!exists.ok()) {
      Unreadable(exists.status(), what);
      return std::nullopt;
    }
    if (!*exists) return std::vector<std::string>{};
    auto names = Timed(report_.phases.discover_ns, [&] { return fs_.List(dir); });
    if (!names.ok()) {
      Unreadable(names.status(), what);
      return std::nullopt;
    }
    return std::move(names).value();
  }

  uint64_t SizeOf(const std::string& path) {
    auto size = fs_.FileSize(path);
    return size.ok() ? *size : 0;
  }

  // Validation of a decoded whole state; the timestamp check exempts nothing
  // newer than what we have, so an old copy is never refused for its age.
  Status Check(const EngineState& state, const std::string& source) {
    return Timed(report_.phases.validate_ns, [&] { return Validate(state, validation_, source); });
  }

  void Add(CandidateCopy copy, std::optional<EngineState> state,
           std::optional<TradingState> trading = std::nullopt) {
    report_.candidates.push_back(std::move(copy));
    states_.push_back(std::move(state));
    tradings_.push_back(std::move(trading));
  }

  void DiscoverL1() {
    MmapCheckpoint l1(counting_, {L1Path(options_.state_dir), options_.l1_slot_bytes});
    auto inspection = Timed(report_.phases.load_ns, [&] { return l1.Inspect(); });
    if (!inspection.ok()) {
      Unreadable(inspection.status(), "L1");
      return;
    }
    if (!inspection->exists) return;
    if (!inspection->header.ok()) {
      report_.notes.push_back(fmt::format("L1 file header: {}", inspection->header.ToString()));
    }
    for (L1Slot& slot : inspection->slots) {
      if (slot.empty) continue;
      CandidateCopy copy{
          .level = CopyLevel::kL1,
          .kind = fmt::format("slot {}", slot.index),
          .location = fmt::format("{} slot {}", L1Path(options_.state_dir), slot.index),
          .version = static_cast<uint64_t>(slot.index),
          .bytes = options_.l1_slot_bytes,
          .state_seq = slot.state_seq,
          .trading_only = true};
      if (!slot.state.ok()) {
        copy.verdict = slot.state.status();
        Add(std::move(copy), std::nullopt);
        continue;
      }
      TradingState trading = std::move(slot.state).value();
      copy.wall_ns = trading.last_update_ns;
      copy.verdict = Timed(report_.phases.validate_ns,
                           [&] { return Validate(trading, validation_, copy.location); });
      if (copy.verdict.ok()) {
        Add(std::move(copy), std::nullopt, std::move(trading));
      } else {
        Add(std::move(copy), std::nullopt);
      }
    }
  }

  void DiscoverL2(std::string_view type) {
    const std::string dir = L2TypeDir(options_.state_dir, type);
    auto names = ListIfPresent(dir, fmt::format("L2 {}", type));
    if (!names) return;
    std::vector<uint64_t> versions;
    for (const std::string& name : *names) {
      if (const uint64_t v = DurableFile::ParseFileName(name); v != 0) versions.push_back(v);
    }
    std::sort(versions.rbegin(), versions.rend());  // newest first
    bool found_valid = false;
    for (const uint64_t version : versions) {
      const std::string path = JoinPath(dir, DurableFile::FileName(version));
      CandidateCopy copy{.level = CopyLevel::kL2,
                         .kind = std::string(type),
                         .location = path,
                         .version = version,
                         .bytes = SizeOf(path)};
      if (found_valid && !options_.examine_every_copy) {
        copy.examined = false;
        copy.verdict = NotExamined("not examined: a newer version of this type is valid");
        Add(std::move(copy), std::nullopt);
        continue;
      }
      auto bytes = Timed(report_.phases.load_ns, [&] { return ReadWholeFile(counting_, path); });
      if (!bytes.ok()) {
        copy.verdict = bytes.status();
        Add(std::move(copy), std::nullopt);
        continue;
      }
      auto state = Timed(report_.phases.load_ns, [&] { return DecodeEngineState(*bytes, path); });
      LoadWhole(std::move(copy), std::move(state), found_valid);
    }
  }

  void DiscoverSnapshots() {
    const std::string dir = SnapshotDir(options_.state_dir);
    auto names = ListIfPresent(dir, "L3 snapshots");
    if (!names || names->empty()) return;  // absent is not unreadable
    SnapshotStore store(counting_, {dir});
    auto files = store.List();
    if (!files.ok()) {
      Unreadable(files.status(), "L3 snapshots");
      return;
    }
    bool found_valid = false;
    for (auto it = files->rbegin(); it != files->rend(); ++it) {
      CandidateCopy copy{.level = CopyLevel::kSnapshot,
                         .kind = "snapshot",
                         .location = it->path,
                         .bytes = SizeOf(it->path),
                         .state_seq = it->state_seq};
      if (found_valid && !options_.examine_every_copy) {
        copy.examined = false;
        copy.verdict = NotExamined("not examined: a newer snapshot is valid");
        Add(std::move(copy), std::nullopt);
        continue;
      }
      auto state = Timed(report_.phases.load_ns, [&] { return store.Read(*it); });
      LoadWhole(std::move(copy), std::move(state), found_valid);
    }
  }

  void LoadWhole(CandidateCopy copy, Result<EngineState> state, bool& found_valid) {
    if (!state.ok()) {
      copy.verdict = state.status();
      Add(std::move(copy), std::nullopt);
      return;
    }
    copy.state_seq = state->state_seq();
    copy.wall_ns = state->trading.last_update_ns;
    copy.verdict = Check(*state, copy.location);
    if (!copy.verdict.ok()) {
      Add(std::move(copy), std::nullopt);
      return;
    }
    found_valid = true;
    Add(std::move(copy), std::move(state).value());
  }

  // Copies outside the state directory, after the local ones: in recover
  // mode only those that could beat the best valid local copy are read.
  void DiscoverSource(CopySource& source) {
    Seq best_local = 0;
    bool any_local = false;
    for (const CandidateCopy& c : report_.candidates) {
      if (c.verdict.ok() && c.level != CopyLevel::kL4 && c.level != CopyLevel::kBackup) {
        best_local = std::max(best_local, c.state_seq);
        any_local = true;
      }
    }
    auto listed = Timed(report_.phases.discover_ns, [&] { return source.List(); });
    if (!listed.ok()) {
      Unreadable(listed.status(), "a copy source outside the state directory");
      return;
    }
    bool found_valid = false;
    for (CandidateCopy& copy : *listed) {
      if (!options_.examine_every_copy &&
          (found_valid || (any_local && copy.state_seq <= best_local))) {
        copy.examined = false;
        copy.verdict = NotExamined(found_valid ? "not examined: a newer copy of it is valid"
                                               : "not examined: a local copy is as new");
        Add(std::move(copy), std::nullopt);
        continue;
      }
      auto state = Timed(report_.phases.load_ns, [&] { return source.Read(copy); });
      LoadWhole(std::move(copy), std::move(state), found_valid);
    }
  }

  void DiscoverWal() {
    const std::string dir = WalDir(options_.state_dir);
    auto names = ListIfPresent(dir, "L3 WAL");
    if (!names) return;
    for (const std::string& name : *names) {
      if (auto first = ParseWalSegmentName(name)) {
        const std::string path = JoinPath(dir, name);
        report_.wal_segments.push_back({path, *first, SizeOf(path)});
      }
    }
    std::sort(
        report_.wal_segments.begin(), report_.wal_segments.end(),
        [](const WalSegmentCopy& a, const WalSegmentCopy& b) { return a.first_seq < b.first_seq; });
  }

  void Choose() {
    auto& candidates = report_.candidates;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (!candidates[i].verdict.ok()) continue;
      // kRecoveryFirstValid: the first valid copy in discovery order (L1 first) is the base.
      if (CRASHDRILL_BROKEN(kRecoveryFirstValid) && report_.base) break;
      if (!report_.base || Better(candidates[i], candidates[*report_.base])) report_.base = i;
    }
    size_t invalid = 0;
    for (const CandidateCopy& c : candidates) {
      invalid += c.examined && !c.verdict.ok();
    }
    if (!report_.base) {
      report_.base_reason = candidates.empty() ? "no copy of the state on any level"
                                               : fmt::format("none of the {} copies found is valid",
                                                             candidates.size());
      return;
    }
    const CandidateCopy& base = candidates[*report_.base];
    report_.base_seq = base.state_seq;
    report_.source =
        base.level == CopyLevel::kSnapshot ? "l3" : std::string(CopyLevelName(base.level));
    report_.base_reason =
        fmt::format("the valid copy with the highest state_seq ({}) of {} found ({} invalid)",
                    base.state_seq, candidates.size(), invalid);
  }

  // The newest valid whole-state copy at or below `seq`, as an index.
  std::optional<size_t> WholeCopyAtOrBelow(Seq seq) const {
    std::optional<size_t> best;
    for (size_t i = 0; i < states_.size(); ++i) {
      const CandidateCopy& c = report_.candidates[i];
      if (!states_[i] || c.state_seq > seq) continue;
      if (!best || Better(c, report_.candidates[*best])) best = i;
    }
    return best;
  }

  Status Replay() {
    // What to start from: the base, or for an L1 base the whole copy it is
    // completed from; with no base, the empty state from seq 0.
    Seq trading_from = 0;  // records above this apply in full
    Seq read_after = 0;    // records above this are read
    if (report_.base) {
      const size_t base = *report_.base;
      trading_from = report_.base_seq;
      if (states_[base]) {
        out_.state = std::move(*states_[base]);
        states_[base].reset();
        read_after = trading_from;
        report_.config_source = report_.candidates[base].location;
      } else {
        // L1: trading from the slot, the rest from the newest whole copy below it.
        const auto whole = WholeCopyAtOrBelow(trading_from);
        if (whole) {
          out_.state = *states_[*whole];
          read_after = report_.candidates[*whole].state_seq;
          report_.config_source = report_.candidates[*whole].location;
        } else {
          report_.config_source = "defaults";
          report_.notes.push_back(
              "no valid whole-state copy at or below the L1 base: configuration from the "
              "log only, strategy state and market data start empty");
        }
        out_.state.trading = *tradings_[base];
      }
    } else if (report_.wal_segments.empty()) {
      NothingValid();
      return Status::Ok();
    } else {
      report_.source = "l3";
      report_.base_reason += "; rebuilding from the start of the log";
      report_.config_source = "the log";
    }
    out_.found_nothing = false;
    if (report_.wal_segments.empty()) {  // e.g. the state directory is gone
      report_.recovered_seq = out_.state.state_seq();
      return Status::Ok();
    }

    WalReader reader(counting_, WalDir(options_.state_dir));
    Seq config_seen = read_after;  // config changes applied through here
    Seq expected = read_after + 1;
    const int64_t start = clock_.Mono();
    Status stop;
    const Status read = reader.Read(
        read_after,
        [&](const WalRecordView& record) -> Status {
          // Named only when something is wrong: this runs a million times a recovery.
          const auto source = [&] {
            return fmt::format("{} state_seq {}", WalDir(options_.state_dir), record.state_seq);
          };
          if (record.state_seq != expected) {
            report_.wal_gap_seq = record.state_seq;
            return Status::Corruption(
                source(), 0, "state_seq",
                fmt::format("expected state_seq {} next: the log has a gap", expected));
          }
          ++expected;
          if (record.state_seq <= trading_from) {
            // Below an L1 base: only configuration changes are taken.
            if (record.type != RecordType::kConfigChange) {
              config_seen = record.state_seq;
              return Status::Ok();
            }
          }
          auto decoded = DecodeStateUpdate(record.type, record.payload, "");
          if (!decoded.ok()) return Status(decoded.status()).Annotate(source());
          StateUpdate update = std::move(decoded).value();
          if (record.state_seq <= trading_from) {
            out_.state.config = std::get<ConfigChanged>(update).config;
            config_seen = record.state_seq;
            return Status::Ok();
          }
          const Status applied =
              ApplyStateUpdate(out_.state, update, record.state_seq, record.time_ns);
          if (!applied.ok()) {
            return Status::Corruption(source(), 0, "record", applied.message());
          }
          config_seen = record.state_seq;
          ++report_.records_replayed;
          return Status::Ok();
        },
        report_.wal_end);
    report_.phases.replay_ns += clock_.Mono() - start;
    if (!read.ok() && !read.IsCorruption()) {
      // An I/O error is not the end of the log: what follows may hold
      // acknowledged records. Recovery fails (the caller retries; a disk that
      // keeps failing needs an operator) rather than start the engine
      // without them and set the rest of the log aside.
      return Status(read).Annotate("L3 WAL replay could not read the log");
    }
    if (!read.ok()) report_.wal_stop = read;
    out_.wal_read_to_end = read.ok();
    if (report_.base && report_.candidates[*report_.base].trading_only &&
        config_seen < trading_from) {
      report_.notes.push_back(fmt::format(
          "configuration changes between state_seq {} and the L1 base {} could not be read "
          "from the log: the configuration may be older than the trading state",
          config_seen, trading_from));
    }
    if (out_.state.state_seq() < trading_from) {
      // Only possible for an L1 base whose whole copy is older: trading came from L1.
      out_.state.trading.state_seq = trading_from;
    }
    report_.recovered_seq = out_.state.state_seq();
    if (!report_.base && report_.recovered_seq == 0) NothingValid();
    return Status::Ok();
  }

  // No base and nothing replayed: a new directory, or everything lost.
  void NothingValid() {
    out_.found_nothing = report_.candidates.empty() && report_.wal_segments.empty();
    if (out_.found_nothing) {
      report_.source = "empty";
      return;
    }
    report_.source = "venue";
    report_.config_source = "defaults";
    report_.notes.push_back(
        "nothing valid on any level: positions, balances and open orders are rebuilt from the "
        "venue; the configuration falls back to the engine's defaults and strategy state "
        "starts empty; fills, orders and strategy history before the loss are not recovered");
  }

  Fs& fs_;
  Clock& clock_;
  const LocalRecoveryOptions& options_;
  LocalRecovery& out_;
  RecoveryReport& report_;
  ValidationOptions validation_;
  ReadCountingFs counting_{fs_};
  // Parallel to report_.candidates: the decoded state of each valid copy.
  std::vector<std::optional<EngineState>> states_;
  std::vector<std::optional<TradingState>> tradings_;
};

}  // namespace

std::string_view CopyLevelName(CopyLevel level) {
  switch (level) {
    case CopyLevel::kL1:
      return "l1";
    case CopyLevel::kL2:
      return "l2";
    case CopyLevel::kSnapshot:
      return "l3";
    case CopyLevel::kL4:
      return "l4";
    case CopyLevel::kBackup:
      return "backup";
  }
  return "invalid";
}

std::string L1Path(const std::string& state_dir) { return JoinPath(state_dir, "l1"); }
std::string L2TypeDir(const std::string& state_dir, std::string_view type_name) {
  return JoinPath(JoinPath(state_dir, "l2"), type_name);
}
std::string SnapshotDir(const std::string& state_dir) { return JoinPath(state_dir, "snapshots"); }
std::string WalDir(const std::string& state_dir) { return JoinPath(state_dir, "wal"); }
std::string QuarantineDir(const std::string& state_dir) {
  return JoinPath(state_dir, "quarantine");
}

Result<LocalRecovery> RecoverLocal(Fs& fs, Clock& clock, const LocalRecoveryOptions& options) {
  const std::string restoring = JoinPath(options.state_dir, std::string(kRestoreInProgressFile));
  CD_ASSIGN_OR_RETURN(const bool half_restored, fs.Exists(restoring));
  if (half_restored) {
    return Status::Error(StatusCode::kFailedPrecondition, "recover", restoring,
                         "a backup restore into this directory did not finish: its levels are "
                         "part restored; restore the set again into an empty directory");
  }
  LocalRecovery out;
  Discovery discovery(fs, clock, options, out);
  CD_RETURN_IF_ERROR(discovery.Run());
  out.report.bytes_read = discovery.bytes_read();
  return out;
}

Status PrepareForAppend(Fs& fs, LocalRecovery& recovery, size_t emergency_versions_kept) {
  RecoveryReport& report = recovery.report;
  // A base from outside the state directory (L4, a backup) is written here
  // too, so the directory holds a copy at the recovered state_seq — with the
  // id space RecoverEngine chose — before the log goes on after it.
  const bool from_outside = report.source == "l4" || report.source == "backup";
  if (report.wal_stop.ok() && !from_outside) return Status::Ok();
  const Seq keep_through = report.recovered_seq;
  if (from_outside) CD_RETURN_IF_ERROR(MakeDurableDir(fs, report.state_dir));  // may be gone
  // First a whole copy of the recovered state, so nothing recovered depends
  // on the segments about to move: a crash after it recovers the same state
  // from this copy and moves the same segments.
  CD_RETURN_IF_ERROR(MakeDurableDir(fs, JoinPath(report.state_dir, "l2")));
  DurableFile emergency(
      fs, {L2TypeDir(report.state_dir, CheckpointTypeName(CheckpointType::kEmergency)),
           emergency_versions_kept});
  CD_RETURN_IF_ERROR(emergency.Open());
  CD_ASSIGN_OR_RETURN(const uint64_t version, emergency.Write(recovery.state));
  report.notes.push_back(fmt::format(
      "wrote emergency L2 version {} at state_seq {} before {}", version, keep_through,
      from_outside && report.wal_stop.ok()
          ? fmt::format("going on from a {} copy", report.source)
          : std::string("moving damaged WAL segments")));
  // Every segment goes: the log restarts after the recovered state, which the
  // emergency copy now holds. Moving only the damaged segment and those after
  // it would leave an older segment as the tail, with damage replay never
  // read (it skips segments below the base) and a hole before the next record.
  std::vector<const WalSegmentCopy*> moving;
  for (const WalSegmentCopy& s : report.wal_segments) moving.push_back(&s);
  if (moving.empty()) return Status::Ok();
  // The end the replay found is in a segment about to move: the WAL must not
  // be opened there (Wal::OpenAt), but afresh after the recovered state.
  recovery.wal_read_to_end = false;
  const std::string dir =
      JoinPath(QuarantineDir(report.state_dir), fmt::format("wal-after-{}", keep_through));
  CD_RETURN_IF_ERROR(MakeDurableDir(fs, QuarantineDir(report.state_dir)));
  CD_RETURN_IF_ERROR(MakeDurableDir(fs, dir));
  // Last segment first: a crash part way leaves a log that is a prefix of this one.
  for (auto it = moving.rbegin(); it != moving.rend(); ++it) {
    const std::string name = (*it)->path.substr((*it)->path.find_last_of('/') + 1);
    CD_RETURN_IF_ERROR(fs.Rename((*it)->path, JoinPath(dir, name)));
    CD_RETURN_IF_ERROR(fs.SyncDir(dir));
    CD_RETURN_IF_ERROR(fs.SyncDir(WalDir(report.state_dir)));
    report.notes.push_back(
        fmt::format("moved {} to {}: {}", (*it)->path, dir,
                    report.wal_stop.ok()
                        ? fmt::format("its records up to state_seq {} are in the copy above, "
                                      "which came from outside the state directory",
                                      keep_through)
                        : fmt::format("the log is not trusted past state_seq {} ({})",
                                      keep_through, report.wal_stop.ToString())));
  }
  return Status::Ok();
}

}  // namespace crashdrill::system

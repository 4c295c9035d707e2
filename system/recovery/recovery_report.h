// What recovery saw, chose and did (DESIGN §5 step 7): the raw material of RTO
// and of `crashdrill inspect` / `crashdrill recover`. Every copy on every
// level is listed with its verdict, so an operator sees why a copy was not
// used, and a copy that failed validation is named, never loaded (P5).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "system/io/status.h"
#include "system/levels/wal_reader.h"
#include "system/state/vocabulary.h"

namespace crashdrill::system {

// Where a copy of the state lives. L4 and backups plug in here later.
enum class CopyLevel : uint8_t { kL1, kL2, kSnapshot, kL4, kBackup };
std::string_view CopyLevelName(CopyLevel level);  // "l1", "l2", "l3", "l4", "backup"

// One copy of the engine state found on some level.
struct CandidateCopy {
  CopyLevel level = CopyLevel::kL2;
  std::string kind;      // L2 checkpoint type, "slot 0"/"slot 1", "snapshot"
  std::string location;  // the file (and slot) it was read from
  uint64_t version = 0;  // L2 version or L1 slot index; 0 otherwise
  uint64_t bytes = 0;    // size of the copy on disk
  // state_seq and its wall-time label as the copy says; trusted only when valid.
  Seq state_seq = 0;
  TimeNs wall_ns = 0;
  bool trading_only = false;  // L1: no strategy, configuration or market data
  Status verdict;             // OK = valid (checksum, decode, migration, invariants)
  bool examined = true;       // false: skipped (recover stops at the newest valid of a sequence)
};

// One segment of the WAL directory.
struct WalSegmentCopy {
  std::string path;
  Seq first_seq = 0;
  uint64_t bytes = 0;
};

// A difference between the recovered local state and the venue, and what
// reconciliation did about it (the venue's value is adopted).
struct Discrepancy {
  std::string what;    // "position", "balance", "open_order", "pending_order", "fill"
  std::string key;     // symbol, balance key or client order id
  std::string local;   // the local value, in words
  std::string venue;   // the venue's value, in words
  std::string action;  // what was done
};

// Wall time of each phase, measured on Clock::Mono().
struct RecoveryPhases {
  int64_t discover_ns = 0;
  int64_t load_ns = 0;
  int64_t validate_ns = 0;
  int64_t replay_ns = 0;
  int64_t reconcile_ns = 0;
  int64_t total_ns() const {
    return discover_ns + load_ns + validate_ns + replay_ns + reconcile_ns;
  }
};

struct RecoveryReport {
  std::string state_dir;
  std::vector<CandidateCopy> candidates;  // every copy seen, valid or not
  std::vector<WalSegmentCopy> wal_segments;
  std::vector<Status> unreadable;  // levels or directories that could not be listed

  // The base: index into `candidates`, none when nothing valid was found.
  std::optional<size_t> base;
  std::string base_reason;  // why this one (or why none)
  // Where the recovered state came from: "l1", "l2", "l3", "l4", "backup",
  // "venue" (nothing valid locally) or "empty" (a new state directory).
  std::string source = "empty";
  Seq base_seq = 0;
  Seq recovered_seq = 0;  // after replay, before reconciliation
  size_t records_replayed = 0;
  uint64_t bytes_read = 0;
  WalEnd wal_end;                  // how the log ended when it was replayed
  Status wal_stop;                 // OK, or the corruption replay stopped at
  Seq wal_gap_seq = 0;             // a gap: the state_seq found where the next one was expected
  std::string config_source;       // where configuration and strategy state came from
  std::vector<std::string> notes;  // what could not be recovered, said plainly

  // Filled in by reconciliation.
  bool reconciled = false;
  Status reconcile_status;  // why reconciliation did not finish (e.g. venue unreachable)
  std::vector<Discrepancy> discrepancies;
  size_t reports_applied = 0;  // venue reports applied while the engine was down
  size_t pending_adopted = 0;  // pending orders the venue had
  size_t pending_never_sent = 0;
  // The venue no longer kept reports the engine had not applied (the notes say
  // which): the discrepancies may be theirs.
  bool reports_gone = false;
  Seq final_seq = 0;  // state_seq after reconciliation

  RecoveryPhases phases;

  // History after the recovered state may exist only at the venue: the
  // replay stopped at damage, nothing local was valid, or the base came from
  // outside the state directory (L4, a backup), whose log after it may be
  // gone. Then state_seq may repeat client order ids the venue has seen.
  bool HistoryMayBeLost() const {
    return !wal_stop.ok() || source == "venue" || source == "l4" || source == "backup";
  }
};

}  // namespace crashdrill::system

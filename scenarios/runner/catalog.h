// The scenario catalog: named workloads with a fault mix and targets. A case
// of a scenario is one long life of the engine in sim mode — trade, fault,
// crash, recover, reconcile, check, trade on — many crashes per case.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "faults/crash_model.h"

namespace crashdrill::scenarios {

// What a scenario does to the engine, per case. Counts are per case; the
// case's seed decides when and where each fault hits.
struct FaultMix {
  std::vector<faults::CrashKind> crash_kinds = {faults::CrashKind::kProcessCrash};
  bool crash_during_recovery = false;  // some crash points land inside recovery
  int no_space_episodes = 0;           // the disk fills for a while, then frees
  int io_errors = 0;                   // transient EIO on a level's file (read or write)
  int sync_failures = 0;               // fsync failures (Linux semantics)
  int bit_flips = 0;                   // latent corruption of a level's file while down
  int zero_sectors = 0;
  bool clock_steps = false;  // wall clock steps forward and backward
  bool clock_drift = false;
  int partitions = 0;  // engine <-> venue, some during recovery
  int wipes = 0;       // every local copy lost while down
  // Crash points aimed at each level's writes in turn (l1, l2, snapshot,
  // wal: one a life), where a power loss tears what was in flight.
  bool crash_in_levels = false;
  int no_space_in_levels = 0;   // ENOSPC during a checkpoint, a snapshot, a WAL append
  // Crash points at a level's file syncs or directory syncs (each level in
  // turn): what was written is handed to the kernel and not yet durable, or a
  // new entry is not yet in its durable directory. The next life loses power
  // early, before the levels' own syncs cover what the restart adopted.
  int crash_at_syncs = 0;
  bool schema_upgrade = false;  // the first half of the lives on schema v1, then an upgrade
  // An L4 archive (SQLite through the VFS, /archive/l4.db on the same disk,
  // which a wipe of the state directory spares) written every archive period
  // and offered to recovery: after a wipe the engine comes back from it.
  bool archive = false;
};

struct Targets {
  int64_t rto_ms = 5'000;           // simulated time from restart to ready to trade
  int64_t rpo_strategy_ms = 1'000;  // strategy state (the L2 period)
  // Critical state: RPO 0, always (P2).
};

struct Scenario {
  std::string name;
  std::string summary;  // one line for `crashdrill scenarios`
  FaultMix mix;
  int lives = 8;             // crashes (and recoveries) per case
  int steps_per_life = 600;  // engine steps of 1 ms between crashes, at most
  // Reports the venue keeps per account (0: the exchange's default, far more
  // than a case makes): a short history loses what a long outage or a lost
  // report left unapplied, and recovery resolves pending orders by query.
  size_t venue_report_history = 0;
  Targets targets;
};

const std::vector<Scenario>& Catalog();
// nullptr if there is no scenario of that name.
const Scenario* FindScenario(const std::string& name);

}  // namespace crashdrill::scenarios

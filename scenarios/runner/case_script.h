// A case script: one chaos case as data — the scenario (its targets), the
// seed (workload, market flow, network, how crash states resolve) and the
// list of operations the runner performs, in order. A planned case of the
// catalog is the script PlanCase(scenario, seed) writes; RapidCheck generates
// scripts op by op; shrinking removes and simplifies ops. Every script has a
// text form that `crashdrill replay` takes and that needs no shell quoting:
//
//   mixed@42                                  the planned case of mixed, seed 42
//   mixed@42/disk:strict,crash-at:power:900,run:600,crash:process,restart
//
// Operations (fields separated by ':'):
//   disk:strict|journaled     the crash model of the case (strict: 512-byte
//                             sectors, reordered unsynced writes, directory
//                             entries need their own sync; journaled: 4 KiB
//                             sectors, safe appends). Case setup: it applies
//                             from the start wherever it stands; the last wins.
//   drift:PPM                 the wall clock drifts by PPM (case setup, too)
//   run:N                     N engine steps of 1 ms; a crash point that
//                             fires on the way crashes the engine there
//   crash:power|process       crash now (nothing when the engine is down)
//   wait:MS                   simulated time passes, the engine not stepping
//   corrupt:bit_flip|zero_sector:PICK   while down: latent corruption of the
//                             PICK-th (modulo their count) file of the levels
//   wipe                      while down: every local copy is lost
//   restart                   recover, reconcile, check (when down)
//   crash-at:power|process:N  a crash point at the N-th disk operation from
//                             here (inside a WAL append, a checkpoint, a
//                             snapshot or recovery: wherever it lands)
//   crash-in:LEVEL:power|process:N   a crash point at the N-th write to that
//                             level's files from here (l1: its N-th msync),
//                             where a power loss tears what was in flight;
//                             LEVEL is l1, l2, snapshot or wal
//   crash-sync:LEVEL:power|process:N   a crash point at the N-th sync of that
//                             level's files or its directory from here: what
//                             was written is handed to the kernel, not yet
//                             durable (a process crash keeps it readable, a
//                             power loss may drop it); with a new file, the
//                             point between its data sync and its directory's
//   crash-dirsync:LEVEL:power|process:N   a crash point at the N-th sync of that
//                             level's directory from here (l1: the state
//                             directory): a new WAL segment, L2 version or
//                             snapshot whose entry is not yet durable, a
//                             dropped segment whose unlink is not
//   corrupt-in:LEVEL:bit_flip|zero_sector:PICK   as corrupt, in that level
//   nospace-in:LEVEL:N        the N-th write to that level's files from here
//                             and the three after it fail with ENOSPC (a disk
//                             full during a checkpoint, a snapshot, an append)
//   schema:V                  case setup: the engine's first build writes
//                             schema version V (1 or 2) in L2 and snapshots
//   upgrade                   the next restart is the current build (it
//                             migrates what the older one wrote)
//   eio-at:read|write:N       transient EIO at the N-th read or write of a
//                             level's file from here
//   fsyncfail-at:N            the N-th sync from here fails (Linux semantics)
//   full | free               the disk fills (no byte more fits) / frees; a
//                             crash frees it, as an operator would
//   partition:MS              engine and venue cannot talk for MS
//   clock:MS                  the wall clock steps by MS (negative: back)
//   submit:buy|sell:LOTS      a limit order on ACME at the market, 2 ticks through
//   cancel:PICK               cancel the PICK-th open order (modulo their count)
//   market:N                  N actions of the market, the engine not polling
//   checkpoint                a manual checkpoint (L2)
// Operations that need the engine running (run, submit, cancel, checkpoint)
// do nothing while it is down — a crash point ended its life early — until
// the next `restart`; so every sub-list of a script is a valid script (for
// shrinking). A script that ends with the engine down restarts it once more:
// every crash is checked.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "faults/crash_model.h"
#include "scenarios/runner/catalog.h"
#include "system/io/result.h"

namespace crashdrill::scenarios {

enum class OpKind : uint8_t {
  kDisk,
  kDrift,
  kRun,
  kCrash,
  kWait,
  kCorrupt,
  kWipe,
  kRestart,
  kCrashAt,
  kEioAt,
  kFsyncFailAt,
  kFull,
  kFree,
  kPartition,
  kClock,
  kSubmit,
  kCancel,
  kMarket,
  kCheckpoint,
  kCrashIn,
  kCrashSync,
  kCrashDirSync,
  kCorruptIn,
  kNoSpaceIn,
  kSchema,
  kUpgrade,
};

// The levels an op can aim at, by their files.
enum class LevelTarget : uint8_t { kL1, kL2, kSnapshot, kWal };
inline constexpr int kLevelTargetCount = 4;
std::string LevelTargetName(LevelTarget level);

struct Op {
  OpKind kind = OpKind::kRun;
  // run: steps; wait, partition, clock: ms; drift: ppm; corrupt, cancel: pick;
  // crash-at, eio-at, fsyncfail-at: operations from here; submit: lots;
  // market: actions.
  int64_t n = 0;
  // disk: strict; crash, crash-at: power loss; eio-at: a read; corrupt: a
  // bit flip (else a zeroed sector); submit: buy.
  bool flag = false;
  LevelTarget level = LevelTarget::kL1;  // crash-in, corrupt-in, nospace-in

  bool operator==(const Op&) const = default;
};

struct CaseScript {
  std::string scenario;
  uint64_t seed = 0;
  std::vector<Op> ops;
  // The ops are PlanCase(scenario, seed): the short form "scenario@seed"
  // names the case.
  bool planned = false;

  bool operator==(const CaseScript&) const = default;
};

// Case setup (disk, drift, schema): applied when the world is made, wherever
// the op stands.
bool IsSetupOp(const Op& op);

std::string FormatOp(const Op& op);
// The text form: "scenario@seed" for a planned case, else with its ops.
std::string FormatScript(const CaseScript& script);
// The long form always (a planned case's ops written out).
std::string FormatScriptOps(const CaseScript& script);
// Parses either form; a planned case is expanded with PlanCase. The error
// names the op (its index and text) that does not parse, or the scenario.
system::Result<CaseScript> ParseScript(const std::string& text);

// The planned case of a catalog scenario: its workload, fault mix and number
// of lives, drawn from the seed.
CaseScript PlanCase(const Scenario& scenario, uint64_t seed);

}  // namespace crashdrill::scenarios

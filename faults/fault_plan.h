// FaultPlan: what to inject, where and when, as data (DESIGN §6). A plan is a list of
// (trigger, fault) entries; it round-trips through JSON so a failing case can be saved and
// replayed, and Shrink proposes simpler plans for RapidCheck. Disk faults are consumed by
// SimDisk and FaultFs; clock and network faults are carried for the scenario runner.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "faults/crash_model.h"

namespace crashdrill::faults {

// The class of an Fs operation, as counted by triggers.
enum class OpClass : uint8_t {
  kRead,   // File::ReadAt
  kWrite,  // File::WriteAt, File::Append
  kSync,   // File::Sync, Fs::SyncDir, MappedRegion::Sync
  kMeta,   // everything else: open, rename, unlink, list, mkdir, truncate, map, sizes
};

enum class TriggerOn : uint8_t {
  kAnyOp,     // every operation counts
  kRead,      // only reads count
  kWrite,     // only writes count
  kSync,      // only syncs count ("crash on the N-th sync", SQLite's sweep)
  kMonoTime,  // fires once the runner's monotonic time reaches at_mono_ns (clock, network)
};

struct Trigger {
  TriggerOn on = TriggerOn::kAnyOp;
  // Fires on the nth counted operation (1-based) ...
  uint64_t nth = 1;
  // ... and the following repeat-1 ones; 0 means every counted operation from nth on
  // (a persistent fault). 1 is a transient fault.
  uint32_t repeat = 1;
  // fnmatch(3) pattern an operation's path must match to be counted; empty matches all.
  std::string path_glob;
  // Only operations overlapping [offset_begin, offset_end) are counted (reads, writes).
  uint64_t offset_begin = 0;
  uint64_t offset_end = std::numeric_limits<uint64_t>::max();
  int64_t at_mono_ns = 0;  // kMonoTime only

  friend bool operator==(const Trigger&, const Trigger&) = default;
};

enum class FaultKind : uint8_t {
  kCrash,             // halt the disk; the harness then resolves it with Crash(crash_kind)
  kNoSpace,           // the write fails with ENOSPC, nothing written
  kShortWrite,        // a prefix of the write lands, then ENOSPC
  kIoError,           // EIO on the matched read, write or other operation
  kSyncFailure,       // fsync EIO with Linux semantics: dirty data dropped, reported once
  kBitFlip,           // one bit of the file's durable data flips (latent corruption)
  kZeroSector,        // one sector of the file's durable data reads as zeros
  kMisdirectedWrite,  // the write lands at another sector-aligned offset of the same file
  kLatency,           // the operation is delayed by duration_ns (FaultFs)
  kClockStep,         // wall clock steps by clock_step_ns (runner, SkewedClock)
  kClockDrift,        // wall clock drifts by drift_ppm (runner, SkewedClock)
  kNetworkPartition,  // engine and venue cannot talk for duration_ns (runner)
  kNetworkDelay,      // messages are delayed by duration_ns (runner)
  kNetworkDrop,       // the next message is dropped (runner)
};
inline constexpr int kFaultKindCount = 14;

struct Fault {
  FaultKind kind = FaultKind::kIoError;
  CrashKind crash_kind = CrashKind::kPowerLoss;  // kCrash
  int64_t duration_ns = 0;    // kLatency, kNetworkPartition, kNetworkDelay
  int64_t clock_step_ns = 0;  // kClockStep; negative steps backwards
  int64_t drift_ppm = 0;      // kClockDrift

  friend bool operator==(const Fault&, const Fault&) = default;
};

struct FaultEntry {
  Trigger trigger;
  Fault fault;
  friend bool operator==(const FaultEntry&, const FaultEntry&) = default;
};

struct FaultPlan {
  // Seeds every random choice a fault needs (which bit flips, where a write lands).
  uint64_t seed = 0;
  std::vector<FaultEntry> entries;

  friend bool operator==(const FaultPlan&, const FaultPlan&) = default;
};

std::string FaultKindName(FaultKind kind);
std::string TriggerOnName(TriggerOn on);

// A measure that every Shrink candidate strictly decreases: entries count most, then
// trigger positions, repeats and magnitudes.
uint64_t Complexity(const FaultPlan& plan);

// Simpler candidate plans, simplest first: each entry removed, then each trigger made
// earlier (nth 1, nth/2, nth-1), persistent faults made transient, magnitudes halved.
// Never returns `plan` itself; returns nothing when no simpler plan exists.
std::vector<FaultPlan> Shrink(const FaultPlan& plan);

void to_json(nlohmann::json& json, const Trigger& trigger);
void from_json(const nlohmann::json& json, Trigger& trigger);
void to_json(nlohmann::json& json, const Fault& fault);
void from_json(const nlohmann::json& json, Fault& fault);
void to_json(nlohmann::json& json, const FaultEntry& entry);
void from_json(const nlohmann::json& json, FaultEntry& entry);
void to_json(nlohmann::json& json, const FaultPlan& plan);
void from_json(const nlohmann::json& json, FaultPlan& plan);

// Parses a plan from JSON text; a malformed plan is kInvalidArgument, never an exception.
system::Result<FaultPlan> ParseFaultPlan(const std::string& text);
std::string SerializeFaultPlan(const FaultPlan& plan);

}  // namespace crashdrill::faults

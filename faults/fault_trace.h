// FaultTrace: every fault the layer actually injected, in order (op index, path, offset,
// kind), plus coverage probes — how often each kind fired — so a suite can prove that a
// rare fault path ran at all (FoundationDB's probes). Pure data; no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace crashdrill::faults {

enum class Probe : uint8_t {
  kProcessCrash,        // a process crash was resolved
  kPowerLoss,           // a power loss was resolved
  kWriteLost,           // an unsynced write vanished on power loss
  kTornPrefix,          // a surviving write kept only a prefix of its sectors
  kTornArbitrary,       // a surviving write kept an arbitrary subset of its sectors
  kTornZeros,           // torn sectors read as zeros
  kTornGarbage,         // torn sectors read as garbage
  kGrewWithoutData,     // the size landed without the appended data (safe_append off)
  kTruncateDropped,     // an unsynced truncate was undone by power loss
  kDirOpLost,           // an unsynced create/rename/unlink/mkdir was undone
  kRenameBothNames,     // a rename left the file under both names
  kNoSpace,             // a write failed with ENOSPC
  kShortWrite,          // a write landed partially, then ENOSPC
  kReadError,           // EIO on read
  kWriteError,          // EIO on write
  kMetaError,           // EIO on another operation (open, rename, ...)
  kSyncFailure,         // fsync EIO; dirty data dropped
  kBitFlip,             // a bit of durable data flipped
  kZeroSector,          // a sector of durable data zeroed
  kMisdirectedWrite,    // a write landed at another offset
  kLatency,             // an operation was delayed
  kCrashTriggered,      // a crash trigger of the plan halted the disk
  kAppendCut,           // safe_append held a file's size back to the data that landed
};
inline constexpr int kProbeCount = 23;

std::string ProbeName(Probe probe);

struct FaultEvent {
  uint64_t op_index = 0;  // 1-based index of the operation on the injecting Fs
  std::string path;
  uint64_t offset = 0;
  uint64_t length = 0;
  Probe probe = Probe::kReadError;
  std::string detail;
  friend bool operator==(const FaultEvent&, const FaultEvent&) = default;
};

using ProbeCounts = std::array<uint64_t, kProbeCount>;

class FaultTrace {
 public:
  void Record(FaultEvent event);
  const std::vector<FaultEvent>& events() const { return events_; }
  const ProbeCounts& counts() const { return counts_; }
  uint64_t count(Probe probe) const { return counts_[static_cast<size_t>(probe)]; }

 private:
  std::vector<FaultEvent> events_;
  ProbeCounts counts_{};
};

// Adds `from` into `into`, probe by probe.
void AddProbeCounts(ProbeCounts& into, const ProbeCounts& from);
// "power_loss=12 torn_prefix=3 ..." in probe order, every probe listed.
std::string FormatProbeCounts(const ProbeCounts& counts);

void to_json(nlohmann::json& json, const FaultEvent& event);

}  // namespace crashdrill::faults

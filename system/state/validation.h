// Validation of a decoded state beyond its checksum: the invariants every
// persisted state must satisfy (DESIGN §3). A copy that fails validation is
// never used as a recovery base; the violation names the invariant.
//
// The timestamp check tolerates bounded clock skew and never rejects a copy
// whose state_seq is newer than the caller's reference: sequence numbers, not
// wall-clock times, decide which copy is newest (P6).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "system/io/status.h"
#include "system/state/engine_state.h"
#include "system/state/state_update.h"

namespace crashdrill::system {

// Names of the invariants, as they appear in Violation::invariant and in
// the Status field of Validate().
inline constexpr const char* kInvariantExposure = "exposure_matches_positions";
inline constexpr const char* kInvariantFilled = "filled_within_quantity";
inline constexpr const char* kInvariantOpenXorPending = "order_not_open_and_pending";
inline constexpr const char* kInvariantHaltReason = "halt_reason_iff_halted";
inline constexpr const char* kInvariantSequence = "sequence_monotonic";
inline constexpr const char* kInvariantTimestamp = "timestamp_within_skew_tolerance";
inline constexpr const char* kInvariantBalance = "balance_available_within_total";

struct ValidationOptions {
  // Wall-clock time of the validating process; when unset, timestamps are not checked.
  std::optional<TimeNs> now_wall_ns;
  // How far in the future a last-update time may be before it is rejected.
  int64_t future_tolerance_ns = 5LL * 60 * 1000 * 1000 * 1000;
  // Copies with a state_seq above this are exempt from the timestamp check.
  std::optional<Seq> timestamp_exempt_above_seq;
};

struct Violation {
  std::string invariant;
  std::string detail;
  bool operator==(const Violation&) const = default;
};

// Every violated invariant of `state`, in a fixed order; empty when valid.
std::vector<Violation> FindViolations(const TradingState& state, const ValidationOptions& options);
std::vector<Violation> FindViolations(const EngineState& state, const ValidationOptions& options);

// OK, or kCorruption naming the first violated invariant (field) and the
// source (path) of the copy.
Status Validate(const TradingState& state, const ValidationOptions& options,
                std::string_view source);
Status Validate(const EngineState& state, const ValidationOptions& options,
                std::string_view source);

// The violations among the entries `changes` names plus the scalar
// invariants (halt reason, the newest fills' sequence, timestamp), in
// O(changed entries): the same per-entry checks as FindViolations, in the
// same order. When `state` satisfied every invariant before the changes, this
// returns exactly what FindViolations(state, options) returns — so a commit
// that keeps the state valid validates only what it touched.
std::vector<Violation> FindViolations(const TradingState& state, const TradingChanges& changes,
                                      const ValidationOptions& options);
Status ValidateChanges(const TradingState& state, const TradingChanges& changes,
                       const ValidationOptions& options, std::string_view source);

// A later copy of the same engine's state must not move sequence numbers or the
// configuration version backwards.
Status ValidateTransition(const EngineState& previous, const EngineState& next,
                          std::string_view source);

}  // namespace crashdrill::system

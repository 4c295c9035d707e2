// SimClock: simulated time for sim mode, advanced only by the runner. Fault contract: Mono()
// never decreases; Wall() moves with Mono() unless stepped (StepWall), which models an NTP
// step or an operator changing the date — the monotonic clock is never affected.
#pragma once

#include <cstdint>

#include "system/io/clock.h"

namespace crashdrill::faults {

class SimClock final : public system::Clock {
 public:
  // 2026-01-01T00:00:00Z, a fixed and readable start for reports.
  static constexpr int64_t kDefaultWallStartNs = int64_t{1767225600} * system::kNanosPerSecond;

  explicit SimClock(int64_t wall_start_ns = kDefaultWallStartNs, int64_t mono_start_ns = 0)
      : wall_ns_(wall_start_ns), mono_ns_(mono_start_ns) {}

  int64_t Wall() override { return wall_ns_; }
  int64_t Mono() override { return mono_ns_; }

  // Advances both clocks. REQUIRES: delta_ns >= 0 (asserted: time does not run backwards).
  void Advance(int64_t delta_ns);
  // Steps only the wall clock, forwards or backwards.
  void StepWall(int64_t delta_ns) { wall_ns_ += delta_ns; }

 private:
  int64_t wall_ns_;
  int64_t mono_ns_;
};

}  // namespace crashdrill::faults

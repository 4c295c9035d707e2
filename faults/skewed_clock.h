// SkewedClock: wraps a Clock and lies about wall time the ways real clocks do — a constant
// offset, forward and backward steps at chosen monotonic times, drift in ppm, and bounded
// jitter from a seeded generator. Fault contract: Mono() is the wrapped clock's, never
// skewed; Wall() may go backwards. The skew is a value (ClockSkew) that round-trips JSON.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "system/io/clock.h"

namespace crashdrill::faults {

struct ClockStep {
  int64_t at_mono_ns = 0;  // applies once the wrapped Mono() reaches this
  int64_t step_ns = 0;     // negative steps the wall clock backwards
  friend bool operator==(const ClockStep&, const ClockStep&) = default;
};

struct ClockSkew {
  int64_t offset_ns = 0;
  int64_t drift_ppm = 0;       // wall gains drift_ppm ns per ms of monotonic time since start
  int64_t jitter_ns_max = 0;   // each Wall() reading is off by a value in [-max, +max]
  uint64_t jitter_seed = 0;
  std::vector<ClockStep> steps;
  friend bool operator==(const ClockSkew&, const ClockSkew&) = default;
};

class SkewedClock final : public system::Clock {
 public:
  // Does not own `base`. Drift accumulates from base->Mono() at construction.
  SkewedClock(system::Clock* base, ClockSkew skew);

  int64_t Wall() override;
  int64_t Mono() override { return base_->Mono(); }

  // Adds a step (the runner applying a FaultPlan kClockStep at its time).
  void AddStep(ClockStep step) { skew_.steps.push_back(step); }
  const ClockSkew& skew() const { return skew_; }
  // The wall-clock error (skewed minus true) of the last Wall() reading.
  int64_t last_error_ns() const { return last_error_ns_; }

 private:
  system::Clock* base_;
  ClockSkew skew_;
  int64_t mono_start_ns_;
  uint64_t readings_ = 0;
  int64_t last_error_ns_ = 0;
};

void to_json(nlohmann::json& json, const ClockSkew& skew);
void from_json(const nlohmann::json& json, ClockSkew& skew);

}  // namespace crashdrill::faults

#include "faults/skewed_clock.h"

#include <nlohmann/json.hpp>

#include "faults/rng.h"

namespace crashdrill::faults {
namespace {

constexpr int64_t kPpmDenominator = 1000 * 1000;

// elapsed_ns * ppm / 1e6 without overflowing for long runs.
int64_t DriftNs(int64_t elapsed_ns, int64_t drift_ppm) {
  return (elapsed_ns / kPpmDenominator) * drift_ppm +
         (elapsed_ns % kPpmDenominator) * drift_ppm / kPpmDenominator;
}

}  // namespace

SkewedClock::SkewedClock(system::Clock* base, ClockSkew skew)
    : base_(base), skew_(std::move(skew)), mono_start_ns_(base_->Mono()) {}

int64_t SkewedClock::Wall() {
  const int64_t wall_ns = base_->Wall();
  const int64_t mono_ns = base_->Mono();
  int64_t error_ns = skew_.offset_ns + DriftNs(mono_ns - mono_start_ns_, skew_.drift_ppm);
  for (const ClockStep& step : skew_.steps) {
    if (mono_ns >= step.at_mono_ns) error_ns += step.step_ns;
  }
  if (skew_.jitter_ns_max > 0) {
    const uint64_t span = static_cast<uint64_t>(skew_.jitter_ns_max) * 2 + 1;
    error_ns += static_cast<int64_t>(Mix64(skew_.jitter_seed ^ Mix64(++readings_)) % span) -
                skew_.jitter_ns_max;
  }
  last_error_ns_ = error_ns;
  return wall_ns + error_ns;
}

void to_json(nlohmann::json& json, const ClockSkew& skew) {
  nlohmann::json steps = nlohmann::json::array();
  for (const ClockStep& step : skew.steps) {
    steps.push_back({{"at_mono_ns", step.at_mono_ns}, {"step_ns", step.step_ns}});
  }
  json = nlohmann::json{{"offset_ns", skew.offset_ns},
                        {"drift_ppm", skew.drift_ppm},
                        {"jitter_ns_max", skew.jitter_ns_max},
                        {"jitter_seed", skew.jitter_seed},
                        {"steps", std::move(steps)}};
}

void from_json(const nlohmann::json& json, ClockSkew& skew) {
  skew = ClockSkew{};
  skew.offset_ns = json.value("offset_ns", int64_t{0});
  skew.drift_ppm = json.value("drift_ppm", int64_t{0});
  skew.jitter_ns_max = json.value("jitter_ns_max", int64_t{0});
  skew.jitter_seed = json.value("jitter_seed", uint64_t{0});
  for (const auto& step : json.value("steps", nlohmann::json::array())) {
    skew.steps.push_back(ClockStep{.at_mono_ns = step.at("at_mono_ns").get<int64_t>(),
                                   .step_ns = step.at("step_ns").get<int64_t>()});
  }
}

}  // namespace crashdrill::faults

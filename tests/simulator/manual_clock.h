// ManualClock: a Clock the test moves by hand (simulator tests may not use faults/).
#pragma once

#include <cstdint>

#include "system/io/clock.h"

namespace crashdrill::simulator {

class ManualClock final : public system::Clock {
 public:
  int64_t Wall() override { return wall_offset_ns_ + mono_ns_; }
  int64_t Mono() override { return mono_ns_; }
  void Advance(int64_t delta_ns) { mono_ns_ += delta_ns; }
  void SetWallOffset(int64_t offset_ns) { wall_offset_ns_ = offset_ns; }

 private:
  int64_t mono_ns_ = 0;
  int64_t wall_offset_ns_ = 1'700'000'000'000'000'000;
};

}  // namespace crashdrill::simulator

#include "faults/sim_clock.h"

#include <cassert>

namespace crashdrill::faults {

void SimClock::Advance(int64_t delta_ns) {
  assert(delta_ns >= 0 && "simulated time never runs backwards");
  if (delta_ns < 0) return;
  wall_ns_ += delta_ns;
  mono_ns_ += delta_ns;
}

}  // namespace crashdrill::faults

// The fault layer's names for the harness's one seeded generator (system/io/rng.h). Fault
// contract: the same seed and the same call sequence give the same choices on every
// platform. The free functions are kept so callers written against them compile unchanged.
#pragma once

#include <cstdint>

#include "system/io/rng.h"

namespace crashdrill::faults {

using Rng = system::Rng;
using system::Mix64;

// Uniform in [0, bound), unbiased; 0 for a bound of 0 or 1. Same as rng.Below(bound).
inline uint64_t Below(Rng& rng, uint64_t bound) { return rng.Below(bound); }

// True with probability numerator/denominator. Same as rng.Chance(numerator, denominator).
inline bool Chance(Rng& rng, uint64_t numerator, uint64_t denominator) {
  return rng.Chance(numerator, denominator);
}

}  // namespace crashdrill::faults

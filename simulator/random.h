// The simulator's name for the harness's one seeded generator (system/io/rng.h): a seeded
// std::mt19937_64 with unbiased integer mappings. Same seed, same numbers, on every platform.
#pragma once

#include <cstdint>

#include "system/io/rng.h"

namespace crashdrill::simulator {

using Random = system::Rng;

// True with probability per_million / 1e6: the simulator states its rates per million.
inline bool ChancePerMillion(Random& random, uint32_t per_million) {
  return random.Chance(per_million, 1'000'000);
}

}  // namespace crashdrill::simulator

// Rng: the one seeded generator the fault layer draws every random choice from.
// Fault contract: the same seed and the same call sequence give the same choices on
// every platform (no std:: distributions, whose output is implementation-defined).
#pragma once

#include <cstdint>
#include <random>

namespace crashdrill::faults {

using Rng = std::mt19937_64;

// Uniform-enough integer in [0, bound). REQUIRES: bound > 0.
inline uint64_t Below(Rng& rng, uint64_t bound) { return rng() % bound; }

// True with probability numerator/denominator.
inline bool Chance(Rng& rng, uint64_t numerator, uint64_t denominator) {
  return Below(rng, denominator) < numerator;
}

// A stateless 64-bit mix (SplitMix64 finaliser) for decisions keyed by (seed, counter).
inline uint64_t Mix64(uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

}  // namespace crashdrill::faults

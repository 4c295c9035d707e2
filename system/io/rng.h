// Rng: the one seeded generator of the harness (fault layer and simulator alike; the system
// itself never draws random numbers). A std::mt19937_64, whose output sequence the standard
// fixes, with the integer mappings written here because std:: distributions differ between
// standard libraries: the same seed and the same calls give the same numbers everywhere.
#pragma once

#include <cstdint>
#include <random>

namespace crashdrill::system {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  // The next 64 raw bits.
  uint64_t Next() { return engine_(); }

  // Uniform in [0, bound); a bound of 0 or 1 yields 0 without drawing. Rejection sampling,
  // so unbiased for every bound (no modulo bias).
  uint64_t Below(uint64_t bound) {
    if (bound <= 1) return 0;
    const uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
    uint64_t value = engine_();
    while (value >= limit) value = engine_();
    return value % bound;
  }

  // Uniform in [low, high]. REQUIRES: low <= high.
  int64_t Between(int64_t low, int64_t high) {
    const uint64_t span = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
    if (span == UINT64_MAX) return static_cast<int64_t>(engine_());
    return static_cast<int64_t>(static_cast<uint64_t>(low) + Below(span + 1));
  }

  // True with probability numerator / denominator (always, once numerator >= denominator).
  bool Chance(uint64_t numerator, uint64_t denominator) { return Below(denominator) < numerator; }

 private:
  std::mt19937_64 engine_;
};

// A stateless 64-bit mix (the SplitMix64 finaliser): for decisions keyed by (seed, counter)
// and for deriving independent seeds from one.
inline uint64_t Mix64(uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

}  // namespace crashdrill::system

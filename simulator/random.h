// The simulator's only source of randomness: one seeded std::mt19937_64 (whose
// output sequence the standard fixes) with integer mappings written here, because
// std::uniform_int_distribution differs between standard libraries. Same seed,
// same numbers, on every platform.
#pragma once

#include <cstdint>
#include <random>

namespace crashdrill::simulator {

class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}

  uint64_t Next() { return engine_(); }
  // Uniform in [0, bound); bound 0 yields 0. Rejection sampling, so unbiased.
  uint64_t Below(uint64_t bound) {
    if (bound <= 1) return 0;
    const uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
    uint64_t value = engine_();
    while (value >= limit) value = engine_();
    return value % bound;
  }
  // Uniform in [low, high]; REQUIRES low <= high.
  int64_t Between(int64_t low, int64_t high) {
    const uint64_t span = static_cast<uint64_t>(high - low);
    if (span == UINT64_MAX) return static_cast<int64_t>(engine_());
    return low + static_cast<int64_t>(Below(span + 1));
  }
  // True with probability per_million / 1e6.
  bool Chance(uint32_t per_million) { return Below(1'000'000) < per_million; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace crashdrill::simulator

// Clock: the only source of time in system/. Wall() is a label and may jump
// (it is CLOCK_REALTIME); Mono() orders and schedules and never goes backwards.
// Both are in nanoseconds.
#pragma once

#include <cstdint>

namespace crashdrill::system {

class Clock {
 public:
  virtual ~Clock() = default;
  // Nanoseconds since the Unix epoch; may step forwards or backwards.
  virtual int64_t Wall() = 0;
  // Nanoseconds since an arbitrary start; never decreases.
  virtual int64_t Mono() = 0;
};

// CLOCK_REALTIME and CLOCK_MONOTONIC.
class SystemClock final : public Clock {
 public:
  int64_t Wall() override;
  int64_t Mono() override;
};

inline constexpr int64_t kNanosPerMicro = 1000;
inline constexpr int64_t kNanosPerMilli = 1000 * 1000;
inline constexpr int64_t kNanosPerSecond = 1000 * 1000 * 1000;

}  // namespace crashdrill::system

#include "system/io/clock.h"

#include <time.h>

namespace crashdrill::system {
namespace {

int64_t Read(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);  // cannot fail for these clock ids
  return static_cast<int64_t>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}

}  // namespace

int64_t SystemClock::Wall() { return Read(CLOCK_REALTIME); }
int64_t SystemClock::Mono() { return Read(CLOCK_MONOTONIC); }

}  // namespace crashdrill::system

// CD_CHECK: an assertion that is never compiled out, for the invariants of
// persisted data (STYLE: "always on for invariants of persisted data"). NDEBUG
// does not touch it. When the condition is false it prints
// "file:line: CD_CHECK(condition) failed: message" to stderr and aborts, so a
// broken invariant stops the process before bad bytes reach a disk or a bad
// copy is used. An expected failure (I/O, a corrupt file) is a Status, never
// a CD_CHECK; `message` is evaluated only when the check fails.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace crashdrill::system::internal {

[[noreturn]] inline void CheckFailed(const char* file, int line, const char* condition,
                                     std::string_view message) {
  std::fprintf(stderr, "%s:%d: CD_CHECK(%s) failed: %.*s\n", file, line, condition,
               static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace crashdrill::system::internal

#define CD_CHECK(condition, message)                                                          \
  do {                                                                                        \
    if (!(condition)) [[unlikely]] {                                                          \
      ::crashdrill::system::internal::CheckFailed(__FILE__, __LINE__, #condition, (message)); \
    }                                                                                         \
  } while (0)

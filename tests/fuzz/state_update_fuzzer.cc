// libFuzzer target for WAL record payloads, decoded and applied to a base state (clang,
// -DCRASHDRILL_FUZZ=ON); the property is in state_update_check.h. Seeds are written at build time:
//   build-asan/tests/fuzz/state_update_fuzzer build-asan/tests/fuzz/seeds/state_update_fuzzer
#include "tests/fuzz/state_update_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return crashdrill::testing::RunFuzzCheck("state_update", data, size,
                                           crashdrill::testing::CheckStateUpdates);
}

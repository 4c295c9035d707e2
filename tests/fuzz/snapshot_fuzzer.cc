// libFuzzer target for L3 snapshot files, read through SnapshotStore (clang, -DCRASHDRILL_FUZZ=ON);
// the property is in snapshot_check.h. Seeds are written at build time:
//   build-asan/tests/fuzz/snapshot_fuzzer build-asan/tests/fuzz/seeds/snapshot_fuzzer
#include "tests/fuzz/snapshot_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return crashdrill::testing::RunFuzzCheck("snapshot", data, size,
                                           crashdrill::testing::CheckSnapshot);
}

// libFuzzer target for the WAL frame and segment header parsers (clang, -DCRASHDRILL_FUZZ=ON); the
// property is in wal_format_check.h. Seeds are written at build time:
//   build-asan/tests/fuzz/wal_format_fuzzer build-asan/tests/fuzz/seeds/wal_format_fuzzer
#include "tests/fuzz/wal_format_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return crashdrill::testing::RunFuzzCheck("wal_format", data, size,
                                           crashdrill::testing::CheckWalFormat);
}

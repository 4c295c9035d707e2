// libFuzzer target for WalReader and Wal::Open over a directory of fuzzed segment files (clang,
// -DCRASHDRILL_FUZZ=ON); the property is in wal_reader_check.h. Seeds are written at build time:
//   build-asan/tests/fuzz/wal_reader_fuzzer build-asan/tests/fuzz/seeds/wal_reader_fuzzer
#include "tests/fuzz/wal_reader_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return crashdrill::testing::RunFuzzCheck("wal_reader", data, size,
                                           crashdrill::testing::CheckWalReader);
}

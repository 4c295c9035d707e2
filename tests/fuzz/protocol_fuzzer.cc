// libFuzzer target for the loopback protocol's frame parser and payload decoders (clang,
// -DCRASHDRILL_FUZZ=ON); the property is in protocol_check.h. Seeds are written at build time:
//   build-asan/tests/fuzz/protocol_fuzzer build-asan/tests/fuzz/seeds/protocol_fuzzer
#include "tests/fuzz/protocol_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return crashdrill::testing::RunFuzzCheck("protocol", data, size,
                                           crashdrill::testing::CheckProtocol);
}

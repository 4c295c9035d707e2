// libFuzzer target for the state decoders (clang, -DCRASHDRILL_FUZZ=ON):
//   build-fuzz/tests/fuzz/state_decoder_fuzzer tests/fuzz/corpus/state_decoder
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/state_decoder_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string problem = crashdrill::testing::CheckStateDecoders(
      {reinterpret_cast<const std::byte*>(data), size});
  if (!problem.empty()) {
    std::fprintf(stderr, "state decoder: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}

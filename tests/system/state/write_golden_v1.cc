// Writes the schema-v1 golden file: write_golden_v1 OUT. Run once when the v1
// golden was created; kept so its provenance can be checked, never run by tests.
#include <cstdio>
#include <fstream>

#include "system/state/codec.h"
#include "tests/system/state/golden_state.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_golden_v1 OUT\n");
    return 2;
  }
  const auto bytes = crashdrill::system::EncodeEngineState(crashdrill::testing::GoldenState(), 1);
  std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return out.good() ? 0 : 3;
}

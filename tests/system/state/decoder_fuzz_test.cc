// Seeded mutation fuzzing of the state decoders, run in every suite. The seed
// is printed; CRASHDRILL_FUZZ_SEED=<seed> replays a run exactly.
#include <cstdio>
#include <cstdlib>
#include <random>

#include <gtest/gtest.h>

#include "tests/fuzz/state_decoder_check.h"
#include "tests/system/state/golden_state.h"

namespace crashdrill::system {
namespace {

constexpr int kMutationsPerSeedInput = 4000;

uint64_t FuzzSeed() {
  if (const char* text = std::getenv("CRASHDRILL_FUZZ_SEED")) return std::strtoull(text, nullptr, 10);
  return std::random_device{}() * 0x100000001ull + std::random_device{}();
}

// One mutation: flip bits, overwrite bytes with boundary values, cut, or
// duplicate a range; then, half the time, reseal so the checksum matches.
std::vector<std::byte> Mutate(std::vector<std::byte> bytes, std::mt19937_64& rng) {
  const auto pick = [&rng](uint64_t n) { return n == 0 ? 0 : rng() % n; };
  const int edits = 1 + static_cast<int>(pick(4));
  for (int e = 0; e < edits && !bytes.empty(); ++e) {
    const size_t at = pick(bytes.size());
    switch (pick(4)) {
      case 0: bytes[at] ^= std::byte(1u << pick(8)); break;
      case 1: {
        static constexpr uint8_t kBoundary[] = {0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff};
        bytes[at] = std::byte(kBoundary[pick(std::size(kBoundary))]);
        break;
      }
      case 2: bytes.resize(at); break;
      default: {
        const size_t length = pick(std::min<size_t>(16, bytes.size() - at)) + 1;
        std::vector<std::byte> copy(bytes.begin() + at, bytes.begin() + at + length);
        bytes.insert(bytes.begin() + pick(bytes.size()), copy.begin(), copy.end());
      }
    }
  }
  if (bytes.size() >= kDocumentHeaderBytes && pick(2) == 0) {
    const uint64_t payload = bytes.size() - kDocumentHeaderBytes;
    for (int i = 0; i < 8; ++i) bytes[8 + static_cast<size_t>(i)] = std::byte(payload >> (8 * i));
    testing::Reseal(bytes);
  }
  return bytes;
}

TEST(DecoderFuzzTest, MutatedDocumentsDecodeOrAreCorruption) {
  const uint64_t seed = FuzzSeed();
  std::printf("[ replay ] CRASHDRILL_FUZZ_SEED=%llu\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  const EngineState golden = testing::GoldenState();
  const EngineState empty;
  const std::vector<std::vector<std::byte>> inputs = {
      EncodeEngineState(golden, 1), EncodeEngineState(golden, 2),
      EncodeTradingState(golden.trading), EncodeEngineState(empty)};
  size_t decoded_ok = 0;
  size_t total = 0;
  for (const auto& input : inputs) {
    for (int i = 0; i < kMutationsPerSeedInput; ++i) {
      const auto mutated = Mutate(input, rng);
      const std::string problem = testing::CheckStateDecoders(mutated);
      ASSERT_TRUE(problem.empty()) << problem << " (CRASHDRILL_FUZZ_SEED=" << seed << ")";
      decoded_ok += DecodeEngineState(mutated, "m").ok() || DecodeTradingState(mutated, "m").ok();
      ++total;
    }
  }
  std::printf("[ coverage ] %zu mutated documents, %zu still decoded (resealed, benign edits)\n",
              total, decoded_ok);
  EXPECT_GT(decoded_ok, 0u) << "no mutation reached a successful decode: resealing is broken";
  EXPECT_LT(decoded_ok, total) << "no mutation was rejected";
}

}  // namespace
}  // namespace crashdrill::system

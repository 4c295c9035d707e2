// What every input to the state decoders must satisfy: decoding returns a
// state or a corruption status (never crashes, never reads out of bounds —
// the sanitizers watch that), and a state it returns re-encodes to bytes that
// decode to the same state. Shared by the libFuzzer target and the seeded
// mutation test that runs in the suite.
#pragma once

#include <string>

#include "system/state/codec.h"
#include "system/state/trading_image.h"
#include "system/state/validation.h"
#include "tests/system/state/codec_test_util.h"

namespace crashdrill::testing {

// Empty when the decoders behaved; otherwise what went wrong.
template <typename Decode, typename Encode>
std::string CheckOneDecoder(system::ByteSpan input, const char* name, Decode decode,
                            Encode encode) {
  auto decoded = decode(input, "fuzz-input");
  if (!decoded.ok()) {
    if (decoded.status().code() != system::StatusCode::kCorruption) {
      return std::string(name) + " failed without a corruption status: " +
             decoded.status().ToString();
    }
    return {};
  }
  (void)system::FindViolations(*decoded, {});  // must not crash on any decodable state
  auto again = decode(encode(*decoded), "re-encoded");
  if (!again.ok()) return std::string(name) + " re-encoding did not decode: " + again.status().ToString();
  if (!(*again == *decoded)) return std::string(name) + " re-encoding changed the state";
  return {};
}

inline std::string CheckStateDecoders(system::ByteSpan input) {
  using namespace crashdrill::system;
  const auto encode_engine = [](const EngineState& s) { return EncodeEngineState(s); };
  const auto encode_trading = [](const TradingState& s) { return EncodeTradingState(s); };
  std::string problem = CheckOneDecoder(input, "DecodeEngineState", DecodeEngineState,
                                        encode_engine);
  if (problem.empty()) {
    problem = CheckOneDecoder(input, "DecodeTradingState", DecodeTradingState, encode_trading);
  }
  if (!problem.empty() || input.empty()) return problem;
  // Reach the payload decoder past the checksum: treat the rest of the input as
  // the payload of a sealed document whose version and kind come from byte 0.
  const uint8_t selector = static_cast<uint8_t>(input[0]);
  std::vector<std::byte> doc(kDocumentHeaderBytes);
  PutU32(doc, 0, kDocumentMagic);
  doc[4] = std::byte((selector & 1) != 0 ? 1 : 2);
  doc[6] = std::byte((selector & 2) != 0 ? 2 : 1);
  const uint64_t payload_bytes = input.size() - 1;
  for (int i = 0; i < 8; ++i) doc[8 + static_cast<size_t>(i)] = std::byte(payload_bytes >> (8 * i));
  doc.insert(doc.end(), input.begin() + 1, input.end());
  Reseal(doc);
  problem = CheckOneDecoder(doc, "DecodeEngineState(sealed)", DecodeEngineState, encode_engine);
  if (problem.empty()) {
    problem = CheckOneDecoder(doc, "DecodeTradingState(sealed)", DecodeTradingState,
                              encode_trading);
  }
  if (!problem.empty()) return problem;
  // The L1 image decoder, on the input as it is and behind a valid image
  // header (the image has no checksum of its own: the L1 slot holds it).
  const auto decode_image = [](ByteSpan bytes, std::string_view source) {
    return DecodeTradingImage(bytes, source, 0);
  };
  const auto encode_image = [](const TradingState& s) {
    TradingImage image;
    image.Reset(s);
    return std::vector<std::byte>(image.bytes().begin(), image.bytes().end());
  };
  problem = CheckOneDecoder(input, "DecodeTradingImage", decode_image, encode_image);
  if (problem.empty()) {
    std::vector<std::byte> image = encode_image(TradingState{});
    image.resize(8);
    image.insert(image.end(), input.begin() + 1, input.end());
    problem = CheckOneDecoder(image, "DecodeTradingImage(headed)", decode_image, encode_image);
  }
  return problem;
}

}  // namespace crashdrill::testing

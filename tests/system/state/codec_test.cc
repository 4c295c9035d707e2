#include "system/state/codec.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdio>

#include "tests/support/state_generators.h"
#include "tests/system/state/codec_test_util.h"
#include "tests/system/state/golden_state.h"

namespace crashdrill::system {
namespace {

using testing::GenAnyEngineState;
using testing::GenAnyTradingState;
using testing::GoldenState;

RC_GTEST_PROP(CodecProperty, DecodeOfEncodeIsIdentity, ()) {
  const EngineState state = *GenAnyEngineState();
  const auto bytes = EncodeEngineState(state);
  auto decoded = DecodeEngineState(bytes, "roundtrip");
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == state);
  RC_TAG(bytes.size() / 1024 == 0 ? "under 1 KiB" : "1 KiB or more");
}

RC_GTEST_PROP(CodecProperty, TradingStateDocumentRoundTrips, ()) {
  const TradingState state = *GenAnyTradingState();
  auto decoded = DecodeTradingState(EncodeTradingState(state), "roundtrip");
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == state);
}

RC_GTEST_PROP(CodecProperty, AnySingleBitFlipIsCorruption, ()) {
  auto bytes = EncodeEngineState(*GenAnyEngineState());
  const size_t bit = *rc::gen::inRange<size_t>(0, bytes.size() * 8);
  bytes[bit / 8] ^= std::byte(1u << (bit % 8));
  auto decoded = DecodeEngineState(bytes, "flipped");
  RC_ASSERT(!decoded.ok());
  RC_ASSERT(decoded.status().code() == StatusCode::kCorruption);
  RC_TAG(bit / 8 < kDocumentHeaderBytes ? "flip in header" : "flip in payload");
}

RC_GTEST_PROP(CodecProperty, AnyTruncationIsCorruption, ()) {
  const auto bytes = EncodeEngineState(*GenAnyEngineState());
  const size_t length = *rc::gen::inRange<size_t>(0, bytes.size());
  auto decoded = DecodeEngineState(ByteSpan(bytes).first(length), "truncated");
  RC_ASSERT(!decoded.ok());
  RC_ASSERT(decoded.status().code() == StatusCode::kCorruption);
  RC_TAG(length < kDocumentHeaderBytes ? "inside header" : "inside payload");
}

// The exhaustive companion of the two properties above, on one fixed state.
TEST(CodecTest, EverySingleBitFlipOfTheGoldenStateIsCorruption) {
  const auto original = EncodeEngineState(GoldenState());
  size_t detected = 0;
  for (size_t bit = 0; bit < original.size() * 8; ++bit) {
    auto bytes = original;
    bytes[bit / 8] ^= std::byte(1u << (bit % 8));
    auto decoded = DecodeEngineState(bytes, "flipped");
    ASSERT_FALSE(decoded.ok()) << "bit " << bit << " flipped and still decoded";
    ASSERT_EQ(decoded.status().code(), StatusCode::kCorruption) << decoded.status().ToString();
    ++detected;
  }
  std::printf("[ coverage ] %zu single-bit flips of a %zu-byte document, all detected\n",
              detected, original.size());
}

TEST(CodecTest, EveryTruncationOfTheGoldenStateIsCorruption) {
  const auto bytes = EncodeEngineState(GoldenState());
  for (size_t length = 0; length < bytes.size(); ++length) {
    auto decoded = DecodeEngineState(ByteSpan(bytes).first(length), "truncated");
    ASSERT_FALSE(decoded.ok()) << "length " << length;
    ASSERT_TRUE(decoded.status().IsCorruption()) << decoded.status().ToString();
  }
}

TEST(CodecTest, TrailingBytesAreCorruption) {
  auto bytes = EncodeEngineState(GoldenState());
  bytes.push_back(std::byte{0});
  auto decoded = DecodeEngineState(bytes, "padded");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().field(), "end");
}

TEST(CodecTest, WrongMagicNamesTheSourceAndField) {
  auto bytes = EncodeEngineState(GoldenState());
  bytes[0] = std::byte{'X'};
  auto decoded = DecodeEngineState(bytes, "/state/l2/checkpoint_9");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().path(), "/state/l2/checkpoint_9");
  EXPECT_EQ(decoded.status().field(), "header.magic");
  EXPECT_EQ(decoded.status().offset(), 0);
}

TEST(CodecTest, UnknownSchemaVersionIsRejected) {
  auto bytes = EncodeEngineState(GoldenState());
  bytes[4] = std::byte{kSchemaVersionCurrent + 1};
  testing::Reseal(bytes);
  auto decoded = DecodeEngineState(bytes, "future");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().field(), "header.schema_version");
}

TEST(CodecTest, TradingDocumentIsNotAnEngineDocument) {
  auto decoded = DecodeEngineState(EncodeTradingState(GoldenState().trading), "l1-slot-0");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().field(), "header.kind");
}

// Past the checksum, the payload decoder still bounds every count: a count
// that cannot fit in the remaining bytes is corruption at its own offset.
TEST(CodecTest, ImpossibleCountIsCorruptionNamingFieldAndOffset) {
  EngineState state;
  state.trading.account_id = "a";
  auto bytes = EncodeEngineState(state);
  const size_t count_offset = kDocumentHeaderBytes + 4 + 1;  // after account_id "a"
  testing::PutU32(bytes, count_offset, 0xFFFFFFFFu);
  testing::Reseal(bytes);
  auto decoded = DecodeEngineState(bytes, "crafted");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().field(), "trading.positions.count");
  EXPECT_EQ(decoded.status().offset(), static_cast<int64_t>(count_offset));
  EXPECT_NE(decoded.status().ToString().find("cannot fit"), std::string::npos);
}

TEST(CodecTest, OutOfRangeEnumIsCorruptionNamingTheElement) {
  EngineState state;
  state.trading.recent_fills.push_back(Fill{.exchange_seq = 1, .side = Side::kSell});
  auto bytes = EncodeEngineState(state);
  // Fill layout: exchange_seq, trade_id, client_order_id (4+0), exchange_order_id,
  // symbol (4+0), then the side byte.
  const size_t fills_offset = kDocumentHeaderBytes + 4 + 4 + 4 + 4;  // account, 3 empty maps
  const size_t side_offset = fills_offset + 4 + 8 + 8 + 4 + 8 + 4;
  ASSERT_EQ(bytes[side_offset], std::byte{2});
  bytes[side_offset] = std::byte{9};
  testing::Reseal(bytes);
  auto decoded = DecodeEngineState(bytes, "crafted");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().field(), "trading.recent_fills.item[0].side");
  EXPECT_EQ(decoded.status().offset(), static_cast<int64_t>(side_offset));
}

TEST(CodecTest, DuplicateOrderIdIsCorruption) {
  EngineState state;
  state.trading.open_orders["a"] = Order{.client_order_id = "x", .quantity_lots = 1};
  state.trading.open_orders["b"] = Order{.client_order_id = "x", .quantity_lots = 1};
  auto decoded = DecodeEngineState(EncodeEngineState(state), "dup");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().field(), "trading.open_orders.item[1].key");
}

}  // namespace
}  // namespace crashdrill::system

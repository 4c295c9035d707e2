// The record payload decoder refuses every malformed input with a corruption
// naming the field and the byte offset where the bad value starts. The error
// paths are out of line (the hot path only counts bytes), so each kind of
// failure is pinned here: field path, offset and message.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "system/state/state_update.h"

namespace crashdrill::system {
namespace {

// FillReceived layout: exchange_seq u64, trade_id u64, client_order_id (u32 + bytes),
// exchange_order_id u64, symbol (u32 + bytes), side u8, price_ticks i64,
// quantity_lots i64, fee_minor i64, maker u8, exchange_time_ns i64, currency (u32 + bytes).
constexpr size_t kIdLengthAt = 16;
constexpr size_t kSymbolLengthAt = kIdLengthAt + 4 + 8 + 8;  // id "c-100001"
constexpr size_t kSideAt = kSymbolLengthAt + 4 + 4;          // symbol "SYM1"
constexpr size_t kMakerAt = kSideAt + 1 + 3 * 8;
constexpr size_t kCurrencyLengthAt = kMakerAt + 1 + 8;

std::string FillPayload() {
  return EncodeStateUpdate(FillReceived{Fill{.exchange_seq = 7,
                                             .trade_id = 8,
                                             .client_order_id = "c-100001",
                                             .exchange_order_id = 9,
                                             .symbol = "SYM1",
                                             .side = Side::kSell,
                                             .price_ticks = 4'800,
                                             .quantity_lots = 3,
                                             .fee_minor = -1,
                                             .maker = true,
                                             .exchange_time_ns = 11},
                                        "USD"});
}

void PutU32(std::string& bytes, size_t at, uint32_t value) {
  std::memcpy(bytes.data() + at, &value, 4);  // little-endian machines only, as the goldens
}

Status Decode(const std::string& payload) {
  return DecodeStateUpdate(RecordType::kFillReceived, payload, "rec").status();
}

void ExpectCorruption(const Status& status, const std::string& field, size_t offset,
                      const std::string& message) {
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_EQ(status.path(), "rec");
  EXPECT_EQ(status.field(), field);
  EXPECT_EQ(status.offset(), static_cast<int64_t>(offset));
  EXPECT_EQ(status.message(), message);
}

TEST(StateUpdateCodecTest, LayoutOfTheFillPayloadIsTheOneTheseTestsAssume) {
  const std::string payload = FillPayload();
  ASSERT_EQ(payload.size(), kCurrencyLengthAt + 4 + 3);
  auto decoded = DecodeStateUpdate(RecordType::kFillReceived, payload, "rec");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const auto& fill = std::get<FillReceived>(*decoded);
  EXPECT_EQ(fill.fill.client_order_id, "c-100001");
  EXPECT_EQ(fill.fill.symbol, "SYM1");
  EXPECT_EQ(fill.fill.side, Side::kSell);
  EXPECT_TRUE(fill.fill.maker);
  EXPECT_EQ(fill.fill.fee_minor, -1);
  EXPECT_EQ(fill.currency, "USD");
  EXPECT_EQ(EncodeStateUpdate(*decoded), payload);
}

TEST(StateUpdateCodecTest, TruncatedFixedFieldNamesItAndWhatRemains) {
  ExpectCorruption(Decode(FillPayload().substr(0, 12)), "fill_received.trade_id", 8,
                   "truncated: needs 8 bytes, 4 remain");
}

TEST(StateUpdateCodecTest, EveryTruncationIsRefusedAtOrBeforeItsEnd) {
  const std::string payload = FillPayload();
  for (size_t size = 0; size < payload.size(); ++size) {
    const Status status = Decode(payload.substr(0, size));
    ASSERT_FALSE(status.ok()) << "prefix of " << size << " bytes";
    EXPECT_TRUE(status.IsCorruption());
    EXPECT_LE(status.offset(), static_cast<int64_t>(size));
    EXPECT_EQ(status.field().rfind("fill_received.", 0), 0u) << status.field();
  }
}

TEST(StateUpdateCodecTest, StringLongerThanWhatRemainsIsRefusedAtItsLength) {
  std::string payload = FillPayload();
  PutU32(payload, kSymbolLengthAt, 1000);
  ExpectCorruption(Decode(payload), "fill_received.symbol", kSymbolLengthAt,
                   "string length 1000 exceeds the " +
                       std::to_string(payload.size() - kSymbolLengthAt - 4) + " bytes that remain");
}

TEST(StateUpdateCodecTest, StringAboveTheCodecLimitIsRefusedEvenWhenBytesRemain) {
  std::string payload = FillPayload();
  PutU32(payload, kCurrencyLengthAt, 0xFFFFFFFFu);
  ExpectCorruption(Decode(payload), "fill_received.currency", kCurrencyLengthAt,
                   "string length 4294967295 exceeds the 3 bytes that remain");
}

TEST(StateUpdateCodecTest, BooleanOtherThanZeroOrOneIsRefused) {
  std::string payload = FillPayload();
  payload[kMakerAt] = 2;
  ExpectCorruption(Decode(payload), "fill_received.maker", kMakerAt,
                   "boolean byte is 2, not 0 or 1");
}

TEST(StateUpdateCodecTest, EnumOutsideItsRangeIsRefused) {
  std::string payload = FillPayload();
  payload[kSideAt] = 3;
  ExpectCorruption(Decode(payload), "fill_received.side", kSideAt,
                   "value 3 is outside the enumeration [1, 2]");
}

TEST(StateUpdateCodecTest, TrailingBytesAreRefused) {
  std::string payload = FillPayload() + "x";
  ExpectCorruption(Decode(payload), "fill_received.end", payload.size() - 1,
                   "1 unexpected bytes after the last field");
}

// The first problem stands: a later one does not replace it.
TEST(StateUpdateCodecTest, FirstErrorWins) {
  std::string payload = FillPayload();
  payload[kSideAt] = 0;
  payload[kMakerAt] = 5;
  ExpectCorruption(Decode(payload + "zz"), "fill_received.side", kSideAt,
                   "value 0 is outside the enumeration [1, 2]");
}

TEST(StateUpdateCodecTest, ImpossibleCountIsRefusedAtTheCount) {
  std::string payload = EncodeStateUpdate(
      StrategyUpdated{StrategyState{.strategy_id = "s", .name = "n", .parameters = {{"k", 1}}}});
  const size_t count_at = 4 + 1 + 4 + 1;  // after strategy_id "s" and name "n"
  PutU32(payload, count_at, 0xFFFFFFFFu);
  ExpectCorruption(DecodeStateUpdate(RecordType::kStrategyUpdate, payload, "rec").status(),
                   "strategy_update.parameters.count", count_at,
                   "count 4294967295 cannot fit in the " +
                       std::to_string(payload.size() - count_at) + " bytes that remain");
}

TEST(StateUpdateCodecTest, UnknownTypeIsRefused) {
  const Status status =
      DecodeStateUpdate(static_cast<RecordType>(0), FillPayload(), "rec").status();
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(status.IsCorruption());
  EXPECT_EQ(status.message(), "unknown record type 0");
}

}  // namespace
}  // namespace crashdrill::system

// The wire codec: round trips, and decoders that survive any bytes.
#include "simulator/protocol.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "simulator/exchange.h"
#include "tests/simulator/exchange_helpers.h"

namespace crashdrill::simulator {
namespace {

TEST(Protocol, ReportsOfARealFlowRoundTrip) {
  Exchange exchange(testing::SmallConfig());
  const AccountId a = exchange.OpenAccount("a", 0);
  const AccountId b = exchange.OpenAccount("b", 0);
  exchange.Submit(a, testing::Limit("a1", "ACME", system::Side::kSell, 100, 5), 1);
  exchange.Submit(b, testing::Limit("b1", "ACME", system::Side::kBuy, 100, 2), 2);
  std::vector<system::ExecutionReport> reports = *exchange.ReportsSince(a, 0, 100);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(DecodeList<system::ExecutionReport>(EncodeList(reports)), reports);
  const auto orders = exchange.OpenOrders(a);
  EXPECT_EQ(DecodeList<system::Order>(EncodeList(orders)), orders);
  const auto positions = exchange.Positions(b);
  EXPECT_EQ(DecodeList<system::Position>(EncodeList(positions)), positions);
}

TEST(Protocol, CountLargerThanThePayloadIsRefused) {
  Writer writer;
  writer.U32(1000);
  EXPECT_FALSE(DecodeList<system::Position>(writer.Take()).has_value());
}

std::optional<system::BookSnapshot> DecodeBook(std::string_view payload) {
  Reader reader(payload);
  system::BookSnapshot book;
  if (!Decode(reader, book) || !reader.AtEnd()) return std::nullopt;
  return book;
}

std::string EncodeBook(const system::BookSnapshot& book) {
  Writer writer;
  Encode(writer, book);
  return writer.Take();
}

TEST(Protocol, BookOfARealExchangeRoundTrips) {
  Exchange exchange(testing::SmallConfig());
  const AccountId a = exchange.OpenAccount("a", 1'000'000);
  exchange.Submit(a, testing::Limit("a1", "ACME", system::Side::kBuy, 99, 5), 1);
  exchange.Submit(a, testing::Limit("a2", "ACME", system::Side::kBuy, 98, 1), 2);
  exchange.Submit(a, testing::Limit("a3", "ACME", system::Side::kSell, 101, 2), 3);
  const system::BookSnapshot book = *exchange.BookOf("ACME", 10);
  ASSERT_EQ(book.bids.size(), 2u);
  EXPECT_EQ(DecodeBook(EncodeBook(book)), book);
}

TEST(Protocol, BookWithMoreLevelsThanTheCapIsRefused) {
  system::BookSnapshot book{.symbol = "ACME", .exchange_seq = 9};
  for (system::Ticks i = 0; i < kMaxBookLevels; ++i) book.asks.push_back({100 + i, 1});
  EXPECT_TRUE(DecodeBook(EncodeBook(book)).has_value());
  book.asks.push_back({100 + system::Ticks{kMaxBookLevels}, 1});
  EXPECT_FALSE(DecodeBook(EncodeBook(book)).has_value());
}

TEST(Protocol, BookLevelsOutOfOrderAreRefused) {
  const system::BookSnapshot good{
      .symbol = "ACME", .bids = {{99, 1}, {98, 1}}, .asks = {{101, 1}, {102, 1}}};
  EXPECT_TRUE(DecodeBook(EncodeBook(good)).has_value());
  system::BookSnapshot bids_ascending = good;
  std::swap(bids_ascending.bids[0], bids_ascending.bids[1]);
  EXPECT_FALSE(DecodeBook(EncodeBook(bids_ascending)).has_value());
  system::BookSnapshot asks_descending = good;
  std::swap(asks_descending.asks[0], asks_descending.asks[1]);
  EXPECT_FALSE(DecodeBook(EncodeBook(asks_descending)).has_value());
  system::BookSnapshot repeated_price = good;
  repeated_price.asks[1].price_ticks = 101;
  EXPECT_FALSE(DecodeBook(EncodeBook(repeated_price)).has_value());
}

TEST(Protocol, BookLevelWithoutPriceOrQuantityIsRefused) {
  EXPECT_FALSE(DecodeBook(EncodeBook({.symbol = "ACME", .bids = {{99, 0}}})).has_value());
  EXPECT_FALSE(DecodeBook(EncodeBook({.symbol = "ACME", .asks = {{0, 1}}})).has_value());
  EXPECT_FALSE(DecodeBook(EncodeBook({.symbol = "ACME", .asks = {{-5, 1}}})).has_value());
}

RC_GTEST_PROP(ProtocolProperty, DecodersRefuseOrAcceptAnyBytesWithoutOverreading,
              (const std::string& bytes)) {
  const auto reports = DecodeList<system::ExecutionReport>(bytes);
  const auto fills = DecodeList<system::Fill>(bytes);
  const auto orders = DecodeList<system::Order>(bytes);
  if (reports) RC_ASSERT(DecodeList<system::ExecutionReport>(EncodeList(*reports)) == reports);
  if (fills) RC_ASSERT(DecodeList<system::Fill>(EncodeList(*fills)) == fills);
  if (orders) RC_ASSERT(orders->size() <= bytes.size());
  const auto book = DecodeBook(bytes);
  if (book) RC_ASSERT(DecodeBook(EncodeBook(*book)) == book);
  Frame frame;
  size_t consumed = 0;
  std::string error;
  if (ParseFrame(bytes, frame, consumed, error) == FrameParse::kFrame) {
    RC_ASSERT(consumed <= bytes.size());
  }
}

}  // namespace
}  // namespace crashdrill::simulator

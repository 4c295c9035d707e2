// The wire codec: round trips, and decoders that survive any bytes.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "simulator/exchange.h"
#include "simulator/protocol.h"
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

RC_GTEST_PROP(ProtocolProperty, DecodersRefuseOrAcceptAnyBytesWithoutOverreading,
              (const std::string& bytes)) {
  const auto reports = DecodeList<system::ExecutionReport>(bytes);
  const auto fills = DecodeList<system::Fill>(bytes);
  const auto orders = DecodeList<system::Order>(bytes);
  if (reports) RC_ASSERT(DecodeList<system::ExecutionReport>(EncodeList(*reports)) == reports);
  if (fills) RC_ASSERT(DecodeList<system::Fill>(EncodeList(*fills)) == fills);
  if (orders) RC_ASSERT(orders->size() <= bytes.size());
  Frame frame;
  size_t consumed = 0;
  std::string error;
  if (ParseFrame(bytes, frame, consumed, error) == FrameParse::kFrame) {
    RC_ASSERT(consumed <= bytes.size());
  }
}

}  // namespace
}  // namespace crashdrill::simulator

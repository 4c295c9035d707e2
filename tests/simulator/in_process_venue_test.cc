// The in-process venue: latency on the simulated clock, network faults in each
// direction, and the ambiguous submit that recovery resolves by client order id.
#include "simulator/in_process_venue.h"

#include <gtest/gtest.h>

#include "tests/simulator/exchange_helpers.h"
#include "tests/simulator/manual_clock.h"

namespace crashdrill::simulator {
namespace {

using system::ExecType;
using system::Side;
using system::StatusCode;
using testing::Limit;

class InProcessVenueTest : public ::testing::Test {
 protected:
  InProcessVenueTest()
      : exchange_(testing::SmallConfig()),
        engine_account_(exchange_.OpenAccount("engine", 1'000'000)),
        other_(exchange_.OpenAccount("other", 1'000'000)),
        venue_(exchange_, nullptr, clock_, engine_account_, LinkConfig{1000, 2000, 1 << 10}, 7) {}

  ManualClock clock_;
  Exchange exchange_;
  AccountId engine_account_;
  AccountId other_;
  InProcessVenue venue_;
};

TEST_F(InProcessVenueTest, OrderReachesTheExchangeAfterTheLinkLatency) {
  ASSERT_TRUE(venue_.Submit(Limit("e1", "ACME", Side::kBuy, 99, 1)).ok());
  venue_.Pump();
  EXPECT_TRUE(exchange_.OpenOrders(engine_account_).empty());
  clock_.Advance(1000);
  venue_.Pump();
  EXPECT_EQ(exchange_.OpenOrders(engine_account_).size(), 1u);
  EXPECT_TRUE(venue_.Poll(10)->empty());  // the ack needs 2000 ns to come back
  clock_.Advance(2000);
  const auto reports = venue_.Poll(10);
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_EQ((*reports)[0].type, ExecType::kNewAck);
  EXPECT_EQ((*reports)[0].account_report_seq, 1u);
}

TEST_F(InProcessVenueTest, PartitionTowardsTheExchangeLosesTheOrder) {
  venue_.SetNetworkFaults({.partition_to_exchange = true});
  const auto status = venue_.Submit(Limit("e1", "ACME", Side::kBuy, 99, 1));
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(status.injected());
  venue_.ClearNetworkFaults();
  clock_.Advance(10'000);
  EXPECT_EQ(venue_.QueryOrder("e1").status().code(), StatusCode::kNotFound);
}

TEST_F(InProcessVenueTest, UnavailableSubmitThatReachedTheExchangeIsFoundByClientOrderId) {
  venue_.SetNetworkFaults({.partition_to_engine = true});
  EXPECT_EQ(venue_.Submit(Limit("e1", "ACME", Side::kBuy, 99, 1)).code(), StatusCode::kUnavailable);
  clock_.Advance(10'000);
  EXPECT_EQ(venue_.QueryOrder("e1").status().code(), StatusCode::kUnavailable);  // mid-recovery
  venue_.ClearNetworkFaults();
  const auto order = venue_.QueryOrder("e1");
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(order->state, system::OrderState::kOpen);
}

TEST_F(InProcessVenueTest, PartitionTowardsTheEngineHoldsReportsUntilItHeals) {
  ASSERT_TRUE(venue_.Submit(Limit("e1", "ACME", Side::kBuy, 99, 1)).ok());
  venue_.SetNetworkFaults({.partition_to_engine = true});
  clock_.Advance(10'000);
  EXPECT_EQ(venue_.Poll(10).status().code(), StatusCode::kUnavailable);
  venue_.ClearNetworkFaults();
  EXPECT_EQ(venue_.Poll(10)->size(), 1u);
}

TEST_F(InProcessVenueTest, DroppedReportsLeaveAGapThatQueriesFill) {
  exchange_.Submit(other_, Limit("o1", "ACME", Side::kSell, 100, 5), 0);
  exchange_.Submit(engine_account_, Limit("e1", "ACME", Side::kBuy, 100, 2), 0);
  venue_.SetNetworkFaults({.drop_to_engine_per_million = 1'000'000});
  venue_.Pump();  // the new-ack and the fill of e1 are lost on the link
  venue_.ClearNetworkFaults();
  exchange_.Submit(engine_account_, Limit("e2", "ACME", Side::kBuy, 90, 2), 0);
  clock_.Advance(10'000);
  const auto polled = venue_.Poll(10);
  ASSERT_TRUE(polled.ok());
  ASSERT_EQ(polled->size(), 1u);
  EXPECT_EQ((*polled)[0].account_report_seq, 3u);  // 1 and 2 were dropped: a visible gap
  EXPECT_EQ(venue_.counters().reports_dropped, 2u);
  const auto fills = venue_.QueryFillsSince(0, 100);
  ASSERT_TRUE(fills.ok());
  ASSERT_EQ(fills->size(), 1u);
  EXPECT_EQ((*fills)[0].quantity_lots, 2);
}

TEST_F(InProcessVenueTest, DelayAddsToTheLatencyAndKeepsOrder) {
  venue_.SetNetworkFaults({.delay_to_exchange_ns = 50'000});
  ASSERT_TRUE(venue_.Submit(Limit("e1", "ACME", Side::kBuy, 99, 1)).ok());
  venue_.ClearNetworkFaults();
  ASSERT_TRUE(venue_.Submit(Limit("e2", "ACME", Side::kBuy, 98, 1)).ok());
  clock_.Advance(10'000);
  venue_.Pump();
  EXPECT_TRUE(exchange_.OpenOrders(engine_account_).empty());  // e2 queues behind e1
  clock_.Advance(50'000);
  venue_.Pump();
  const auto open = exchange_.OpenOrders(engine_account_);
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].client_order_id, "e1");
}

TEST_F(InProcessVenueTest, BookQueryFailsLikeTheOtherQueriesWhenPartitioned) {
  exchange_.Submit(other_, Limit("o1", "ACME", Side::kSell, 101, 5), 0);
  for (const NetworkFaults& faults :
       {NetworkFaults{.partition_to_exchange = true}, NetworkFaults{.partition_to_engine = true}}) {
    venue_.SetNetworkFaults(faults);
    const auto book = venue_.QueryBook("ACME", 10);
    EXPECT_EQ(book.status().code(), StatusCode::kUnavailable);
    EXPECT_TRUE(book.status().injected());
    EXPECT_EQ(venue_.QueryPositions().status().code(), StatusCode::kUnavailable);
  }
  venue_.ClearNetworkFaults();
  const auto book = venue_.QueryBook("ACME", 10);
  ASSERT_TRUE(book.ok()) << book.status().ToString();
  EXPECT_EQ(*book, *exchange_.BookOf("ACME", 10));
  EXPECT_EQ(book->asks, (std::vector<system::BookLevel>{{101, 5}}));
}

TEST_F(InProcessVenueTest, BookShowsAnOrderOnceItHasCrossedTheLink) {
  ASSERT_TRUE(venue_.Submit(Limit("e1", "ACME", Side::kBuy, 99, 3)).ok());
  EXPECT_TRUE(venue_.QueryBook("ACME", 10)->bids.empty());  // still on the way
  clock_.Advance(1000);
  EXPECT_EQ(venue_.QueryBook("ACME", 10)->bids, (std::vector<system::BookLevel>{{99, 3}}));
  EXPECT_EQ(venue_.QueryBook("NOPE", 10).status().code(), StatusCode::kNotFound);
}

TEST(InProcessVenueMarket, RestingOrderIsFilledByTheMovingMarketWhileNobodyPolls) {
  ManualClock clock;
  Exchange exchange(testing::SmallConfig());
  Market market(exchange, MarketConfig{.actions_per_second = 100'000}, 42);
  const AccountId engine = exchange.OpenAccount("engine", 0);
  InProcessVenue venue(exchange, &market, clock, engine, LinkConfig{}, 1);
  ASSERT_TRUE(venue.Submit(Limit("e1", "ACME", Side::kBuy, 100, 1)).ok());
  ASSERT_TRUE(venue.Submit(Limit("e2", "ACME", Side::kSell, 101, 1)).ok());
  clock.Advance(100 * system::kNanosPerMilli);  // the engine is "down" for 100 ms
  const auto fills = venue.QueryFillsSince(0, 100);
  ASSERT_TRUE(fills.ok());
  EXPECT_FALSE(fills->empty());
  EXPECT_GT(market.actions(), 9'000u);
}

}  // namespace
}  // namespace crashdrill::simulator

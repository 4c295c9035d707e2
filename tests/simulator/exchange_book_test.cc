// The market-data query of the exchange (Exchange::BookOf): resting orders summed
// per price, best level first on each side, cut at the depth asked.
#include <gtest/gtest.h>

#include "simulator/exchange.h"
#include "tests/simulator/exchange_helpers.h"

namespace crashdrill::simulator {
namespace {

using system::BookLevel;
using system::Side;
using system::StatusCode;
using testing::Limit;

class ExchangeBookTest : public ::testing::Test {
 protected:
  ExchangeBookTest()
      : exchange_(testing::SmallConfig()),
        alice_(exchange_.OpenAccount("alice", 1'000'000)),
        bob_(exchange_.OpenAccount("bob", 1'000'000)) {}

  void Rest(AccountId account, std::string id, Side side, system::Ticks price, system::Lots lots) {
    exchange_.Submit(account, Limit(std::move(id), "ACME", side, price, lots), ++now_ns_);
  }

  Exchange exchange_;
  AccountId alice_;
  AccountId bob_;
  system::TimeNs now_ns_ = 0;
};

TEST_F(ExchangeBookTest, OrdersAtOnePriceAggregateIntoOneLevel) {
  Rest(alice_, "a1", Side::kBuy, 99, 5);
  Rest(bob_, "b1", Side::kBuy, 99, 3);
  Rest(alice_, "a2", Side::kSell, 101, 2);
  Rest(alice_, "a3", Side::kSell, 101, 4);
  const auto book = exchange_.BookOf("ACME", 10);
  ASSERT_TRUE(book.ok()) << book.status().ToString();
  EXPECT_EQ(book->bids, (std::vector<BookLevel>{{99, 8}}));
  EXPECT_EQ(book->asks, (std::vector<BookLevel>{{101, 6}}));
}

TEST_F(ExchangeBookTest, BidsAreHighestFirstAndAsksLowestFirst) {
  Rest(alice_, "a1", Side::kBuy, 97, 1);
  Rest(alice_, "a2", Side::kBuy, 99, 2);
  Rest(alice_, "a3", Side::kBuy, 98, 3);
  Rest(bob_, "b1", Side::kSell, 103, 4);
  Rest(bob_, "b2", Side::kSell, 101, 5);
  Rest(bob_, "b3", Side::kSell, 102, 6);
  const auto book = exchange_.BookOf("ACME", 10);
  ASSERT_TRUE(book.ok());
  EXPECT_EQ(book->bids, (std::vector<BookLevel>{{99, 2}, {98, 3}, {97, 1}}));
  EXPECT_EQ(book->asks, (std::vector<BookLevel>{{101, 5}, {102, 6}, {103, 4}}));
}

TEST_F(ExchangeBookTest, LevelsPastTheDepthAreCutAndTheBestAreKept) {
  for (int i = 0; i < 5; ++i) {
    Rest(alice_, "a" + std::to_string(i), Side::kBuy, 90 + i, 1);
    Rest(bob_, "b" + std::to_string(i), Side::kSell, 110 - i, 1);
  }
  const auto book = exchange_.BookOf("ACME", 2);
  ASSERT_TRUE(book.ok());
  EXPECT_EQ(book->bids, (std::vector<BookLevel>{{94, 1}, {93, 1}}));
  EXPECT_EQ(book->asks, (std::vector<BookLevel>{{106, 1}, {107, 1}}));
  const auto empty = exchange_.BookOf("ACME", 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->bids.empty());
  EXPECT_TRUE(empty->asks.empty());
}

TEST_F(ExchangeBookTest, PartlyFilledOrderCountsOnlyItsLeaves) {
  Rest(alice_, "a1", Side::kSell, 101, 5);
  Rest(bob_, "b1", Side::kBuy, 101, 2);  // trades 2 of a1 and is done
  const auto book = exchange_.BookOf("ACME", 10);
  ASSERT_TRUE(book.ok());
  EXPECT_TRUE(book->bids.empty());
  EXPECT_EQ(book->asks, (std::vector<BookLevel>{{101, 3}}));
}

TEST_F(ExchangeBookTest, SnapshotNamesItsSymbolAndTheLastExchangeSeq) {
  Rest(alice_, "a1", Side::kBuy, 99, 5);
  exchange_.Submit(bob_, Limit("bolt", "BOLT", Side::kSell, 505, 10), ++now_ns_);
  const auto book = exchange_.BookOf("ACME", 10);
  ASSERT_TRUE(book.ok());
  EXPECT_EQ(book->symbol, "ACME");
  EXPECT_EQ(book->exchange_seq, exchange_.last_exchange_seq());
  EXPECT_GT(book->exchange_seq, 0u);
  EXPECT_TRUE(book->asks.empty());  // BOLT's order is in BOLT's book only
  EXPECT_EQ(exchange_.BookOf("BOLT", 10)->asks, (std::vector<BookLevel>{{505, 10}}));
}

TEST_F(ExchangeBookTest, UnknownSymbolIsNotFound) {
  EXPECT_EQ(exchange_.BookOf("NOPE", 10).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(exchange_.BookOf("", 10).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace crashdrill::simulator

// Pins the exchange's output for one fixed seeded workload: the EventLogHash, the
// last exchange_seq and the counters were computed once and must never change
// unless the exchange's behaviour is meant to change. The workload covers what the
// matching benchmark and the harness drive: accounts with and without history,
// short and heap-sized client order ids, limits, IOCs, market orders, self-trade
// prevention, cancels (open, closed, unknown) and rejects of every kind, with the
// event log and the account histories both kept and trimmed. Also checks that the
// events kept are exactly the events hashed.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstdint>
#include <string>
#include <vector>

#include "simulator/exchange.h"
#include "simulator/random.h"
#include "tests/simulator/exchange_helpers.h"

namespace crashdrill::simulator {
namespace {

using system::OrderType;
using system::Side;

constexpr int kOps = 60'000;
constexpr uint64_t kSeed = 20240611;

struct Accounts {
  std::vector<AccountId> ids;
  std::vector<std::string> prefixes;  // "b3-" (short ids) or a long prefix (heap ids)
};

Accounts OpenAccounts(Exchange& exchange) {
  Accounts accounts;
  for (int a = 0; a < 4; ++a) {
    accounts.ids.push_back(exchange.OpenAccount("background-" + std::to_string(a), 0,
                                                /*keep_history=*/false));
    accounts.prefixes.push_back("b" + std::to_string(a) + "-");
  }
  for (int a = 0; a < 2; ++a) {
    accounts.ids.push_back(exchange.OpenAccount("engine-" + std::to_string(a), 1'000'000'000));
    accounts.prefixes.push_back("engine-" + std::to_string(a) + "-state-seq-0000000000-");
  }
  return accounts;
}

// One seeded flow; every choice comes from `random`, never from the exchange's state,
// so the same seed gives the same calls whatever the exchange does with them.
void RunWorkload(Exchange& exchange, uint64_t seed) {
  const Accounts accounts = OpenAccounts(exchange);
  Random random(seed);
  for (int i = 0; i < kOps; ++i) {
    const size_t a = random.Below(accounts.ids.size());
    const AccountId account = accounts.ids[a];
    const uint64_t kind = random.Below(100);
    if (kind < 18) {
      // A recent id of this account (open, filled or cancelled), now and then one
      // never used.
      const int64_t back = random.Between(1, 200);
      const std::string id = accounts.prefixes[a] + std::to_string(i - back);
      exchange.Cancel(account, id, i);
      continue;
    }
    const SymbolId symbol = static_cast<SymbolId>(random.Below(2));
    const SymbolSpec& spec = exchange.symbols()[symbol];
    system::NewOrder order;
    order.client_order_id = accounts.prefixes[a] + std::to_string(i);
    order.symbol = spec.name;
    order.side = random.Below(2) == 0 ? Side::kBuy : Side::kSell;
    const bool buy = order.side == Side::kBuy;
    const bool cross = kind < 40;
    const int64_t offset = random.Between(0, 8);
    order.price_ticks =
        spec.initial_fair_ticks + ((buy != cross) ? -offset : offset) * spec.price_increment_ticks;
    order.quantity_lots = random.Between(1, cross ? 30 : 8) * spec.lot_increment_lots;
    if (kind < 26) {
      order.type = OrderType::kImmediateOrCancel;
    } else if (kind < 30) {
      order.type = OrderType::kMarket;
      order.price_ticks = 0;
    }
    if (kind >= 96) {
      switch (random.Below(5)) {
        case 0:
          order.client_order_id = accounts.prefixes[a] + std::to_string(i - 1);
          break;
        case 1:
          order.symbol = "NOPE";
          break;
        case 2:
          order.price_ticks += 1;
          break;  // off tick for BOLT
        case 3:
          order.quantity_lots = 0;
          break;
        default:
          order.client_order_id.clear();
          break;
      }
    }
    exchange.Submit(account, order, i);
  }
}

ExchangeConfig KeepEverything() {
  ExchangeConfig config = testing::SmallConfig();
  config.event_log_retained = 1 << 20;
  config.report_history_per_account = 1 << 20;
  return config;
}

ExchangeConfig KeepLittle() {
  ExchangeConfig config = testing::SmallConfig();
  config.event_log_retained = 100;
  config.report_history_per_account = 50;
  return config;
}

// Computed once from this workload; see the file comment.
constexpr uint64_t kPinnedHash = 2814401113265684845ULL;
constexpr system::Seq kPinnedLastSeq = 135359;

TEST(ExchangeGolden, SeededWorkloadGivesThePinnedEventLog) {
  Exchange exchange(KeepEverything());
  RunWorkload(exchange, kSeed);
  EXPECT_EQ(exchange.EventLogHash(), kPinnedHash);
  EXPECT_EQ(exchange.last_exchange_seq(), kPinnedLastSeq);
  const ExchangeCounters& counters = exchange.counters();
  EXPECT_EQ(counters.orders_submitted, 49153u);
  EXPECT_EQ(counters.orders_rejected, 1752u);
  EXPECT_EQ(counters.duplicate_client_order_ids, 44u);
  EXPECT_EQ(counters.cancels_acked, 483u);
  EXPECT_EQ(counters.cancels_rejected, 10364u);
  EXPECT_EQ(counters.trades, 33144u);
  EXPECT_EQ(counters.self_trades_prevented, 6566u);
  EXPECT_EQ(exchange.book(0).OrderCount() + exchange.book(1).OrderCount(), 2991u);
}

TEST(ExchangeGolden, TrimmingTheLogAndHistoriesDoesNotChangeTheHash) {
  Exchange exchange(KeepLittle());
  RunWorkload(exchange, kSeed);
  EXPECT_EQ(exchange.EventLogHash(), kPinnedHash);
  EXPECT_EQ(exchange.last_exchange_seq(), kPinnedLastSeq);
  EXPECT_EQ(exchange.event_log().size(), 100u);
}

TEST(ExchangeGolden, KeptEventsAreTheEventsHashed) {
  Exchange exchange(KeepEverything());
  RunWorkload(exchange, kSeed);
  ASSERT_EQ(exchange.events_trimmed(), 0u);
  ASSERT_EQ(exchange.event_log().size(), exchange.last_exchange_seq());
  std::string bytes;
  for (const Event& event : exchange.event_log()) EncodeCanonical(event, bytes);
  EXPECT_EQ(XXH3_64bits(bytes.data(), bytes.size()), exchange.EventLogHash());

  // Each account's history is its events of the log, in order.
  for (AccountId id = 0; id < exchange.AccountCount(); ++id) {
    const Account& account = exchange.account(id);
    if (!account.keep_history) continue;
    size_t kept = 0;
    for (const Event& event : exchange.event_log()) {
      if (event.account != id) continue;
      ASSERT_LT(kept, account.history.size());
      EXPECT_EQ(account.history[kept], event);
      ++kept;
    }
    EXPECT_EQ(kept, account.history.size());
  }
}

}  // namespace
}  // namespace crashdrill::simulator

// Exchange simulator throughput: matching orders/s in-process on one core (target
// >= 1M/s) and request round trips/s over loopback TCP. Figures, not assertions.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "simulator/exchange.h"
#include "simulator/loopback_venue.h"
#include "simulator/random.h"
#include "simulator/server.h"

namespace crashdrill::simulator {
namespace {

struct BenchOp {
  AccountId account = 0;
  bool cancel = false;
  system::NewOrder order;
};

constexpr size_t kOps = 1 << 20;
constexpr uint32_t kAccounts = 8;

// A seeded flow around a fixed fair price: 60% passive limits, 25% crossing
// limits/IOCs (larger, so liquidity is consumed about as fast as it is added and
// the book stays a realistic depth), 15% cancels of a recent order.
std::vector<BenchOp> MakeFlow(uint64_t seed) {
  Random random(seed);
  std::vector<BenchOp> ops(kOps);
  for (size_t i = 0; i < kOps; ++i) {
    BenchOp& op = ops[i];
    op.account = static_cast<AccountId>(1 + random.Below(kAccounts));
    const uint64_t roll = random.Below(100);
    if (roll < 15 && i > 64) {
      op.cancel = true;
      op.order.client_order_id = ops[i - 1 - random.Below(64)].order.client_order_id;
      continue;
    }
    op.order.client_order_id = "o" + std::to_string(i);
    op.order.symbol = "ACME";
    op.order.side = random.Below(2) == 0 ? system::Side::kBuy : system::Side::kSell;
    const bool buy = op.order.side == system::Side::kBuy;
    const int64_t offset = random.Between(1, 10);
    const bool cross = roll >= 75;
    op.order.type = cross && random.Below(2) == 0 ? system::OrderType::kImmediateOrCancel
                                                 : system::OrderType::kLimit;
    op.order.price_ticks = 10'000 + ((buy != cross) ? -offset : offset);
    op.order.quantity_lots = random.Between(1, cross ? 40 : 10);  // keeps the book shallow
  }
  return ops;
}

std::unique_ptr<Exchange> MakeExchange() {
  ExchangeConfig config;
  config.symbols = {{"ACME", 1, 1, 10'000}};
  config.event_log_retained = 1024;
  auto exchange = std::make_unique<Exchange>(config);
  for (uint32_t a = 0; a < kAccounts; ++a) {
    exchange->OpenAccount("bench-" + std::to_string(a), 0, /*keep_history=*/false);
  }
  return exchange;
}

void BM_MatchingInProcess(benchmark::State& state) {
  static const std::vector<BenchOp> flow = MakeFlow(1);
  auto exchange = MakeExchange();
  size_t next = 0;
  for (auto _ : state) {
    if (next == flow.size()) {
      state.PauseTiming();
      exchange = MakeExchange();
      next = 0;
      state.ResumeTiming();
    }
    const BenchOp& op = flow[next];
    if (op.cancel) {
      exchange->Cancel(op.account, op.order.client_order_id, static_cast<int64_t>(next));
    } else {
      exchange->Submit(op.account, op.order, static_cast<int64_t>(next));
    }
    ++next;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["trades"] = static_cast<double>(exchange->counters().trades);
  state.counters["resting"] = static_cast<double>(exchange->book(0).OrderCount());
}
BENCHMARK(BM_MatchingInProcess)->Unit(benchmark::kNanosecond);

void BM_LoopbackRoundTrips(benchmark::State& state) {
  ServerConfig config;
  config.market.actions_per_second = 0;
  ExchangeServer server(config);
  if (!server.Start().ok()) {
    state.SkipWithError("the loopback server did not start");
    return;
  }
  LoopbackVenueConfig client;
  client.port = server.port();
  client.account = "bench";
  LoopbackVenue venue(client);
  for (auto _ : state) {
    auto positions = venue.QueryPositions();
    if (!positions.ok()) {
      state.SkipWithError("round trip failed");
      break;
    }
    benchmark::DoNotOptimize(positions);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LoopbackRoundTrips)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace crashdrill::simulator

// Exchange simulator throughput: matching orders/s in-process on one core at
// steady state (target >= 1M/s, reported as min and median over repetitions)
// and request round trips/s over loopback TCP. Figures, not assertions.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "simulator/exchange.h"
#include "simulator/loopback_venue.h"
#include "simulator/random.h"
#include "simulator/server.h"
#include "tests/bench/bench_support.h"

namespace crashdrill::simulator {
namespace {

struct BenchOp {
  AccountId account = 0;
  bool cancel = false;
  system::NewOrder order;
};

constexpr uint32_t kAccounts = 8;
constexpr size_t kWarmupOps = 100'000;      // untimed: the book fills to its working depth
constexpr size_t kMeasuredOps = 1'000'000;  // timed, one repetition each
constexpr size_t kRestingTarget = 1'000;    // resting orders the flow steers towards

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

void Apply(Exchange& exchange, const BenchOp& op, size_t index) {
  if (op.cancel) {
    exchange.Cancel(op.account, op.order.client_order_id, static_cast<int64_t>(index));
  } else {
    exchange.Submit(op.account, op.order, static_cast<int64_t>(index));
  }
}

// A seeded flow around a fixed fair price: passive limits, crossing limits and
// IOCs (larger, so they consume liquidity), and 15% cancels of a recent order.
// It is generated against a scratch exchange so it can steer the book: above
// kRestingTarget resting orders half the new orders cross, below it a fifth.
// The exchange is deterministic, so replaying the flow on a fresh exchange
// gives the same books: the depth stays bounded in the timed run too (the
// benchmark reports the range it saw).
std::vector<BenchOp> MakeSteadyFlow(uint64_t seed) {
  Random random(seed);
  auto exchange = MakeExchange();
  std::vector<BenchOp> ops(kWarmupOps + kMeasuredOps);
  for (size_t i = 0; i < ops.size(); ++i) {
    BenchOp& op = ops[i];
    op.account = static_cast<AccountId>(1 + random.Below(kAccounts));
    if (random.Below(100) < 15 && i > 64) {
      op.cancel = true;
      op.order.client_order_id = ops[i - 1 - random.Below(64)].order.client_order_id;
    } else {
      const bool deep = exchange->book(0).OrderCount() > kRestingTarget;
      const bool cross = random.Below(100) < (deep ? 50u : 20u);
      op.order.client_order_id = "o" + std::to_string(i);
      op.order.symbol = "ACME";
      op.order.side = random.Below(2) == 0 ? system::Side::kBuy : system::Side::kSell;
      const bool buy = op.order.side == system::Side::kBuy;
      const int64_t offset = random.Between(1, 10);
      op.order.type = cross && random.Below(2) == 0 ? system::OrderType::kImmediateOrCancel
                                                   : system::OrderType::kLimit;
      op.order.price_ticks = 10'000 + ((buy != cross) ? -offset : offset);
      op.order.quantity_lots = random.Between(1, cross ? 40 : 10);
    }
    Apply(*exchange, op, i);
  }
  return ops;
}

// Each repetition: a fresh exchange, the warm-up untimed, then kMeasuredOps
// orders and cancels timed one after another at the depth the warm-up reached.
void BM_MatchingSteadyState(benchmark::State& state) {
  static const std::vector<BenchOp> flow = MakeSteadyFlow(1);
  auto exchange = MakeExchange();
  for (size_t i = 0; i < kWarmupOps; ++i) Apply(*exchange, flow[i], i);
  const uint64_t trades_before = exchange->counters().trades;
  size_t next = kWarmupOps;
  size_t resting_min = std::numeric_limits<size_t>::max(), resting_max = 0;
  for (auto _ : state) {
    Apply(*exchange, flow[next], next);
    ++next;
    const size_t resting = exchange->book(0).OrderCount();
    resting_min = std::min(resting_min, resting);
    resting_max = std::max(resting_max, resting);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["trades"] = static_cast<double>(exchange->counters().trades - trades_before);
  state.counters["resting_min"] = static_cast<double>(resting_min);
  state.counters["resting_max"] = static_cast<double>(resting_max);
}
BENCHMARK(BM_MatchingSteadyState)->Iterations(kMeasuredOps)->Repetitions(5)
    ->Unit(benchmark::kNanosecond)->Apply(bench::AddMinMax);

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

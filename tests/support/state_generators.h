// RapidCheck generators for every state type, reused by every test area.
// `rc::Arbitrary<T>` yields any encodable value (for codec properties);
// GenValid*() yield states that satisfy every invariant of validation.h.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <string>
#include <vector>

#include "system/state/engine_state.h"

namespace crashdrill::testing {

using namespace crashdrill::system;

inline const std::vector<std::string>& Symbols() {
  static const std::vector<std::string> kSymbols = {"ESZ6", "NQZ6", "CLF7", "GCG7", "BTC-PERP"};
  return kSymbols;
}

inline rc::Gen<std::string> GenSymbol() { return rc::gen::elementOf(Symbols()); }

// Short arbitrary text: any bytes, including NUL and high bytes.
inline rc::Gen<std::string> GenText() {
  return rc::gen::resize(12, rc::gen::container<std::string>(rc::gen::arbitrary<char>()));
}

inline rc::Gen<Side> GenSide() { return rc::gen::element(Side::kBuy, Side::kSell); }

inline rc::Gen<Order> GenOrder(std::string client_order_id, bool acknowledged) {
  return rc::gen::exec([id = std::move(client_order_id), acknowledged] {
    Order o;
    o.client_order_id = id;
    o.exchange_order_id = acknowledged ? *rc::gen::inRange<uint64_t>(1, 1'000'000'000) : 0;
    o.symbol = *GenSymbol();
    o.venue = *rc::gen::element<std::string>("SIMX", "SIMY");
    o.strategy_id = *rc::gen::element<std::string>("mm-1", "trend-2");
    o.side = *GenSide();
    o.type = *rc::gen::element(OrderType::kLimit, OrderType::kMarket, OrderType::kImmediateOrCancel);
    o.price_ticks = o.type == OrderType::kMarket ? 0 : *rc::gen::inRange<Ticks>(1, 1'000'000);
    o.quantity_lots = *rc::gen::inRange<Lots>(1, 10'000);
    o.filled_lots = *rc::gen::inRange<Lots>(0, o.quantity_lots + 1);
    o.cancel_requested = *rc::gen::arbitrary<bool>();
    o.created_ns = *rc::gen::inRange<TimeNs>(0, 4'000'000'000'000'000'000);
    o.updated_ns = o.created_ns + *rc::gen::inRange<TimeNs>(0, 1'000'000'000'000);
    return o;
  });
}

inline rc::Gen<Fill> GenFill(Seq exchange_seq) {
  return rc::gen::exec([exchange_seq] {
    Fill f;
    f.exchange_seq = exchange_seq;
    f.trade_id = *rc::gen::arbitrary<uint64_t>();
    f.client_order_id = "o-" + std::to_string(*rc::gen::inRange(0, 50));
    f.exchange_order_id = *rc::gen::arbitrary<uint64_t>();
    f.symbol = *GenSymbol();
    f.side = *GenSide();
    f.price_ticks = *rc::gen::inRange<Ticks>(1, 1'000'000);
    f.quantity_lots = *rc::gen::inRange<Lots>(1, 1'000);
    f.fee_minor = *rc::gen::inRange<Minor>(-100, 10'000);
    f.maker = *rc::gen::arbitrary<bool>();
    f.exchange_time_ns = *rc::gen::inRange<TimeNs>(0, 4'000'000'000'000'000'000);
    return f;
  });
}

// A trading state that satisfies every invariant of validation.h (given a
// validation time at or after 2096, or no time check).
inline rc::Gen<TradingState> GenValidTradingState() {
  return rc::gen::exec([] {
    TradingState s;
    s.account_id = *rc::gen::element<std::string>("acct-1", "acct-2");
    for (const std::string& symbol : Symbols()) {
      if (!*rc::gen::arbitrary<bool>()) continue;
      Position& p = s.positions[symbol];
      p.symbol = symbol;
      p.quantity_lots = *rc::gen::inRange<Lots>(-5'000, 5'001);
      p.cost_minor = p.quantity_lots * *rc::gen::inRange<Minor>(1, 100'000);
      p.realized_pnl_minor = *rc::gen::inRange<Minor>(-1'000'000, 1'000'000);
      if (p.quantity_lots != 0) s.risk.exposure_lots[symbol] = p.quantity_lots;
      s.risk.limit_usage_bp[symbol] = *rc::gen::inRange<int64_t>(0, 12'000);
    }
    const int open = *rc::gen::inRange(0, 12);
    for (int i = 0; i < open; ++i) {
      const std::string id = "o-" + std::to_string(i);
      s.open_orders.emplace(id, *GenOrder(id, true));
    }
    const int pending = *rc::gen::inRange(0, 4);
    for (int i = 0; i < pending; ++i) {
      const std::string id = "p-" + std::to_string(i);
      Order order = *GenOrder(id, false);
      order.filled_lots = 0;
      s.pending_orders.emplace(id, order);
    }
    Seq exchange_seq = *rc::gen::inRange<Seq>(0, 1'000'000);
    const int fills = *rc::gen::inRange(0, 20);
    for (int i = 0; i < fills; ++i) {
      exchange_seq += *rc::gen::inRange<Seq>(1, 1'000);
      s.recent_fills.push_back(*GenFill(exchange_seq));
    }
    s.last_exchange_seq = exchange_seq + *rc::gen::inRange<Seq>(0, 100);
    for (const char* venue : {"SIMX", "SIMY"}) {
      Balance b{venue, "USD", *rc::gen::inRange<Minor>(0, 1'000'000'000), 0};
      b.available_minor = b.total_minor - *rc::gen::inRange<Minor>(0, b.total_minor + 1);
      s.balances.emplace(BalanceKey(b.venue, b.currency), b);
    }
    s.risk.daily_pnl_minor = *rc::gen::inRange<Minor>(-1'000'000, 1'000'000);
    s.risk.peak_pnl_minor = std::max<Minor>(s.risk.daily_pnl_minor, 0);
    s.risk.max_drawdown_minor = s.risk.peak_pnl_minor - s.risk.daily_pnl_minor;
    s.risk.halted = *rc::gen::inRange(0, 4) == 0;
    if (s.risk.halted) {
      s.risk.halt_reason = *rc::gen::element<std::string>("max daily loss", "operator halt");
      s.risk.halted_at_ns = *rc::gen::inRange<TimeNs>(1, 4'000'000'000'000'000'000);
    }
    s.realized_pnl_minor = *rc::gen::inRange<Minor>(-1'000'000, 1'000'000);
    s.unrealized_pnl_minor = *rc::gen::inRange<Minor>(-1'000'000, 1'000'000);
    s.last_update_ns = *rc::gen::inRange<TimeNs>(1, 4'000'000'000'000'000'000);
    s.state_seq = *rc::gen::inRange<Seq>(1, 1'000'000'000);
    s.trading_day = *rc::gen::inRange<uint32_t>(20000101, 21001231);
    return s;
  });
}

inline rc::Gen<StrategyState> GenStrategyState(std::string strategy_id) {
  return rc::gen::exec([id = std::move(strategy_id)] {
    StrategyState s;
    s.strategy_id = id;
    s.name = *GenText();
    for (const char* key : {"spread_ticks", "max_inventory_lots", "alpha_bp"}) {
      if (*rc::gen::arbitrary<bool>()) s.parameters[key] = *rc::gen::arbitrary<int64_t>();
    }
    s.custom_state = *rc::gen::resize(64, rc::gen::container<std::string>(rc::gen::arbitrary<char>()));
    s.active = *rc::gen::arbitrary<bool>();
    s.last_signal_ns = *rc::gen::arbitrary<TimeNs>();
    s.pnl_minor = *rc::gen::arbitrary<Minor>();
    return s;
  });
}

inline rc::Gen<ConfigurationState> GenConfigurationState() {
  return rc::gen::exec([] {
    ConfigurationState c;
    c.system.instance_id = *GenText();
    c.system.l1_period_ms = *rc::gen::inRange<int64_t>(1, 1'000);
    c.system.l2_period_ms = *rc::gen::inRange<int64_t>(100, 10'000);
    c.system.snapshot_period_ms = *rc::gen::inRange<int64_t>(1'000, 600'000);
    c.system.archive_period_ms = *rc::gen::inRange<int64_t>(60'000, 7'200'000);
    c.system.clock_skew_tolerance_ms = *rc::gen::inRange<int64_t>(0, 600'000);
    for (const char* venue : {"SIMX", "SIMY"}) {
      if (*rc::gen::arbitrary<bool>()) {
        c.venues[venue] = {venue, "127.0.0.1:" + std::to_string(*rc::gen::inRange(1024, 65535)),
                           "acct-1", *rc::gen::arbitrary<bool>()};
      }
    }
    c.risk_limits.max_order_lots = *rc::gen::inRange<Lots>(1, 10'000);
    c.risk_limits.max_position_lots = *rc::gen::inRange<Lots>(1, 100'000);
    c.risk_limits.max_daily_loss_minor = *rc::gen::inRange<Minor>(0, 1'000'000'000);
    c.risk_limits.max_drawdown_minor = *rc::gen::inRange<Minor>(0, 1'000'000'000);
    for (const std::string& symbol : Symbols()) {
      if (*rc::gen::arbitrary<bool>()) {
        c.risk_limits.position_limit_lots[symbol] = *rc::gen::inRange<Lots>(0, 50'000);
      }
    }
    for (const char* id : {"mm-1", "trend-2"}) {
      if (*rc::gen::arbitrary<bool>()) {
        StrategyConfig& strategy = c.strategies[id];
        strategy.strategy_id = id;
        strategy.enabled = *rc::gen::arbitrary<bool>();
        strategy.parameters["spread_ticks"] = *rc::gen::inRange<int64_t>(1, 100);
      }
    }
    c.version = *rc::gen::arbitrary<uint64_t>();
    return c;
  });
}

inline rc::Gen<MarketDataState> GenMarketDataState() {
  return rc::gen::exec([] {
    MarketDataState m;
    for (const std::string& symbol : Symbols()) {
      if (!*rc::gen::arbitrary<bool>()) continue;
      BookSnapshot& book = m.books[symbol];
      book.symbol = symbol;
      const Ticks mid = *rc::gen::inRange<Ticks>(100, 1'000'000);
      const int depth = *rc::gen::inRange(0, 6);
      for (int i = 1; i <= depth; ++i) {
        book.bids.push_back({mid - i, *rc::gen::inRange<Lots>(1, 500)});
        book.asks.push_back({mid + i, *rc::gen::inRange<Lots>(1, 500)});
      }
      book.exchange_seq = *rc::gen::arbitrary<Seq>();
    }
    const int trades = *rc::gen::inRange(0, 10);
    for (int i = 0; i < trades; ++i) {
      m.recent_trades.push_back({static_cast<Seq>(i + 1), *GenSymbol(),
                                 *rc::gen::inRange<Ticks>(1, 1'000'000),
                                 *rc::gen::inRange<Lots>(1, 100), *GenSide()});
    }
    m.status = *rc::gen::element(FeedStatus::kDisconnected, FeedStatus::kRecovering,
                                 FeedStatus::kLive, FeedStatus::kStale);
    m.last_update_ns = *rc::gen::arbitrary<TimeNs>();
    return m;
  });
}

// An engine state whose trading part satisfies every invariant.
inline rc::Gen<EngineState> GenValidEngineState() {
  return rc::gen::exec([] {
    EngineState e;
    e.trading = *GenValidTradingState();
    for (const char* id : {"mm-1", "trend-2"}) {
      if (*rc::gen::arbitrary<bool>()) e.strategies.emplace(id, *GenStrategyState(id));
    }
    e.config = *GenConfigurationState();
    e.market_data = *GenMarketDataState();
    return e;
  });
}

// An arbitrary trading state: any field values, invariants not guaranteed.
inline rc::Gen<TradingState> GenAnyTradingState() {
  return rc::gen::exec([] {
    TradingState s = *GenValidTradingState();
    // Break the structure the valid generator guarantees, in generated ways.
    s.account_id = *GenText();
    s.state_seq = *rc::gen::arbitrary<Seq>();
    s.last_exchange_seq = *rc::gen::arbitrary<Seq>();
    s.last_update_ns = *rc::gen::arbitrary<TimeNs>();
    s.realized_pnl_minor = *rc::gen::arbitrary<Minor>();
    s.trading_day = *rc::gen::arbitrary<uint32_t>();
    if (*rc::gen::arbitrary<bool>()) s.risk.exposure_lots["X"] = *rc::gen::arbitrary<Lots>();
    s.risk.halt_reason = *GenText();
    s.risk.halted = *rc::gen::arbitrary<bool>();
    return s;
  });
}

inline rc::Gen<EngineState> GenAnyEngineState() {
  return rc::gen::exec([] {
    EngineState e = *GenValidEngineState();
    e.trading = *GenAnyTradingState();
    return e;
  });
}

}  // namespace crashdrill::testing

// The fixed state stored, encoded with schema v1, in golden/engine_state_v1.bin.
// Changing this function does not change the stored file: the test compares
// the two, so an edit here must be a deliberate, reviewed change of the golden.
#pragma once

#include "system/state/engine_state.h"

namespace crashdrill::testing {

inline system::EngineState GoldenState() {
  using namespace system;
  EngineState e;
  TradingState& t = e.trading;
  t.account_id = "acct-golden";
  t.positions["ESZ6"] = {"ESZ6", 3, 3 * 480'025, -1'250};
  t.positions["CLF7"] = {"CLF7", -2, -2 * 7'130, 400};
  t.risk.exposure_lots = {{"ESZ6", 3}, {"CLF7", -2}};
  t.risk.limit_usage_bp = {{"ESZ6", 3'000}, {"CLF7", 2'000}};
  t.open_orders["o-17"] = {"o-17", 9'001, "ESZ6", "SIMX", "mm-1", Side::kSell,
                           OrderType::kLimit, 480'100, 5, 2, false,
                           1'763'900'000'000'000'000, 1'763'900'000'500'000'000};
  t.pending_orders["p-18"] = {"p-18", 0, "CLF7", "SIMX", "trend-2", Side::kBuy,
                              OrderType::kImmediateOrCancel, 7'100, 1, 0, false,
                              1'763'900'001'000'000'000, 1'763'900'001'000'000'000};
  t.recent_fills.push_back({41, 7'001, "o-16", 9'000, "ESZ6", Side::kBuy, 480'025, 3, 12, true,
                            1'763'899'999'000'000'000});
  t.recent_fills.push_back({44, 7'002, "o-17", 9'001, "ESZ6", Side::kSell, 480'100, 2, 8, true,
                            1'763'900'000'400'000'000});
  t.balances[BalanceKey("SIMX", "USD")] = {"SIMX", "USD", 10'000'000, 9'500'000};
  t.risk.daily_pnl_minor = -850;
  t.risk.peak_pnl_minor = 200;
  t.risk.max_drawdown_minor = 1'050;
  t.realized_pnl_minor = -850;
  t.unrealized_pnl_minor = 75;
  t.last_update_ns = 1'763'900'001'000'000'000;  // 2025-11-23 UTC
  t.state_seq = 1'234;
  t.last_exchange_seq = 45;
  StrategyState& mm = e.strategies["mm-1"];
  mm = {"mm-1", "market maker", {{"spread_ticks", 2}, {"max_inventory_lots", 10}},
        std::string("\x01\x00\x02opaque", 9), true, 1'763'900'000'900'000'000, 325};
  e.config.system.instance_id = "engine-a";
  e.config.venues["SIMX"] = {"SIMX", "127.0.0.1:9400", "acct-golden", true};
  e.config.risk_limits = {100, 1'000, 50'000, 80'000, {{"ESZ6", 20}}};
  e.config.strategies["mm-1"] = {"mm-1", true, {{"spread_ticks", 2}}};
  e.config.version = 7;
  BookSnapshot& book = e.market_data.books["ESZ6"];
  book = {"ESZ6", {{480'050, 12}, {480'025, 30}}, {{480'075, 9}}, 45};
  e.market_data.recent_trades.push_back({45, "ESZ6", 480'075, 1, Side::kBuy});
  e.market_data.status = FeedStatus::kLive;
  e.market_data.last_update_ns = 1'763'900'001'000'000'000;
  return e;
}

}  // namespace crashdrill::testing

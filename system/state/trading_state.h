// TradingState: the engine's critical state (DESIGN §3). Every change to it is
// critical: never acknowledged before it is durable (RPO 0).
#pragma once

#include <deque>
#include <map>
#include <string>

#include "system/state/vocabulary.h"

namespace crashdrill::system {

struct RiskState {
  // Net exposure in lots per symbol; must equal the position's quantity
  // (absent or zero where the position is flat). Checked by validation.
  std::map<std::string, Lots> exposure_lots;
  // Share of each symbol's position limit in use, in basis points (0..10000+).
  std::map<std::string, int64_t> limit_usage_bp;
  Minor daily_pnl_minor = 0;
  Minor peak_pnl_minor = 0;
  Minor max_drawdown_minor = 0;  // >= 0
  // Circuit breaker: a reason is present iff halted.
  bool halted = false;
  std::string halt_reason;
  TimeNs halted_at_ns = 0;

  bool operator==(const RiskState&) const = default;
};

struct TradingState {
  // Fills kept in `recent_fills`; older ones live in the WAL and the archive.
  static constexpr size_t kRecentFillsMax = 256;

  std::string account_id;
  std::map<std::string, Position> positions;       // by symbol
  std::map<std::string, Order> open_orders;        // by client_order_id; acknowledged
  std::map<std::string, Order> pending_orders;     // by client_order_id; sent, not acknowledged
  std::deque<Fill> recent_fills;                   // ascending exchange_seq, bounded
  std::map<std::string, Balance> balances;         // by "venue/currency" (BalanceKey)
  RiskState risk;
  Minor realized_pnl_minor = 0;
  Minor unrealized_pnl_minor = 0;
  TimeNs last_update_ns = 0;
  Seq state_seq = 0;          // of the last change applied
  Seq last_exchange_seq = 0;  // of the last venue event applied
  // Schema v2: the trading day (YYYYMMDD, UTC) the daily P&L and limits belong
  // to, so a recovered engine knows whether to roll them. v1 files get it from
  // last_update_ns in the v1->v2 migration.
  uint32_t trading_day = 0;

  bool operator==(const TradingState&) const = default;
};

std::string BalanceKey(std::string_view venue, std::string_view currency);

}  // namespace crashdrill::system

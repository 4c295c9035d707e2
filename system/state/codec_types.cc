#include "system/state/codec_types.h"

#include <fmt/format.h>

namespace crashdrill::system::codec {
namespace {

// Smallest encodings, used to bound element counts before looping.
constexpr size_t kStringBytesMin = 4;
constexpr size_t kOrderBytesMin = 4 * kStringBytesMin + 8 + 2 + 3 * 8 + 1 + 2 * 8;
constexpr size_t kFillBytesMin = 8 + 8 + kStringBytesMin + 8 + kStringBytesMin + 1 + 3 * 8 + 1 + 8;
constexpr size_t kPositionBytesMin = kStringBytesMin + 3 * 8;
constexpr size_t kBalanceBytesMin = 2 * kStringBytesMin + 2 * 8;
constexpr size_t kMapEntryBytesMin = kStringBytesMin + 8;

void PutIntMap(ByteWriter& w, const std::map<std::string, int64_t>& map) {
  w.Count(map.size());
  for (const auto& [key, value] : map) {
    w.String(key);
    w.I64(value);
  }
}

void GetIntMap(ByteReader& r, const char* field, std::map<std::string, int64_t>& map) {
  ByteReader::Scope scope(r, field);
  const uint32_t count = r.Count("count", kMapEntryBytesMin);
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    ByteReader::Scope element(r, "entry", i);
    std::string key = r.String("key");
    const int64_t value = r.I64("value");
    if (r.ok() && !map.emplace(std::move(key), value).second) r.Fail("key", "duplicate key");
  }
}

// Decodes `count` values of a map whose key is a field of the value.
template <typename Value, typename KeyOf, typename GetValue>
void GetKeyedValues(ByteReader& r, const char* field, size_t bytes_min,
                    std::map<std::string, Value>& map, KeyOf key_of, GetValue get_value) {
  ByteReader::Scope scope(r, field);
  const uint32_t count = r.Count("count", bytes_min);
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    ByteReader::Scope element(r, "item", i);
    Value value;
    get_value(value);
    if (r.ok() && !map.emplace(key_of(value), std::move(value)).second) {
      r.Fail("key", "duplicate key");
    }
  }
}

void PutOrders(ByteWriter& w, const std::map<std::string, Order>& orders) {
  w.Count(orders.size());
  for (const auto& [id, order] : orders) PutOrder(w, order);
}

void GetOrders(ByteReader& r, const char* field, std::map<std::string, Order>& orders) {
  GetKeyedValues(
      r, field, kOrderBytesMin, orders, [](const Order& o) { return o.client_order_id; },
      [&r](Order& o) { GetOrder(r, o); });
}

}  // namespace

void PutOrder(ByteWriter& w, const Order& o) {
  w.String(o.client_order_id);
  w.U64(o.exchange_order_id);
  w.String(o.symbol);
  w.String(o.venue);
  w.String(o.strategy_id);
  w.U8(static_cast<uint8_t>(o.side));
  w.U8(static_cast<uint8_t>(o.type));
  w.I64(o.price_ticks);
  w.I64(o.quantity_lots);
  w.I64(o.filled_lots);
  w.Bool(o.cancel_requested);
  w.I64(o.created_ns);
  w.I64(o.updated_ns);
}

void GetOrder(ByteReader& r, Order& o) {
  r.StringInto("client_order_id", o.client_order_id);
  o.exchange_order_id = r.U64("exchange_order_id");
  r.StringInto("symbol", o.symbol);
  r.StringInto("venue", o.venue);
  r.StringInto("strategy_id", o.strategy_id);
  o.side = static_cast<Side>(r.Enum("side", 1, 2));
  o.type = static_cast<OrderType>(r.Enum("type", 1, 3));
  o.price_ticks = r.I64("price_ticks");
  o.quantity_lots = r.I64("quantity_lots");
  o.filled_lots = r.I64("filled_lots");
  o.cancel_requested = r.Bool("cancel_requested");
  o.created_ns = r.I64("created_ns");
  o.updated_ns = r.I64("updated_ns");
}

void PutFill(ByteWriter& w, const Fill& f) {
  w.U64(f.exchange_seq);
  w.U64(f.trade_id);
  w.String(f.client_order_id);
  w.U64(f.exchange_order_id);
  w.String(f.symbol);
  w.U8(static_cast<uint8_t>(f.side));
  w.I64(f.price_ticks);
  w.I64(f.quantity_lots);
  w.I64(f.fee_minor);
  w.Bool(f.maker);
  w.I64(f.exchange_time_ns);
}

void GetFill(ByteReader& r, Fill& f) {
  f.exchange_seq = r.U64("exchange_seq");
  f.trade_id = r.U64("trade_id");
  r.StringInto("client_order_id", f.client_order_id);
  f.exchange_order_id = r.U64("exchange_order_id");
  r.StringInto("symbol", f.symbol);
  f.side = static_cast<Side>(r.Enum("side", 1, 2));
  f.price_ticks = r.I64("price_ticks");
  f.quantity_lots = r.I64("quantity_lots");
  f.fee_minor = r.I64("fee_minor");
  f.maker = r.Bool("maker");
  f.exchange_time_ns = r.I64("exchange_time_ns");
}

void PutPosition(ByteWriter& w, const Position& p) {
  w.String(p.symbol);
  w.I64(p.quantity_lots);
  w.I64(p.cost_minor);
  w.I64(p.realized_pnl_minor);
}

void GetPosition(ByteReader& r, Position& p) {
  r.StringInto("symbol", p.symbol);
  p.quantity_lots = r.I64("quantity_lots");
  p.cost_minor = r.I64("cost_minor");
  p.realized_pnl_minor = r.I64("realized_pnl_minor");
}

void PutBalance(ByteWriter& w, const Balance& b) {
  w.String(b.venue);
  w.String(b.currency);
  w.I64(b.total_minor);
  w.I64(b.available_minor);
}

void GetBalance(ByteReader& r, Balance& b) {
  r.StringInto("venue", b.venue);
  r.StringInto("currency", b.currency);
  b.total_minor = r.I64("total_minor");
  b.available_minor = r.I64("available_minor");
}

void PutRisk(ByteWriter& w, const RiskState& risk) {
  PutIntMap(w, risk.exposure_lots);
  PutIntMap(w, risk.limit_usage_bp);
  w.I64(risk.daily_pnl_minor);
  w.I64(risk.peak_pnl_minor);
  w.I64(risk.max_drawdown_minor);
  w.Bool(risk.halted);
  w.String(risk.halt_reason);
  w.I64(risk.halted_at_ns);
}

void GetRisk(ByteReader& r, RiskState& risk) {
  ByteReader::Scope scope(r, "risk");
  GetIntMap(r, "exposure_lots", risk.exposure_lots);
  GetIntMap(r, "limit_usage_bp", risk.limit_usage_bp);
  risk.daily_pnl_minor = r.I64("daily_pnl_minor");
  risk.peak_pnl_minor = r.I64("peak_pnl_minor");
  risk.max_drawdown_minor = r.I64("max_drawdown_minor");
  risk.halted = r.Bool("halted");
  r.StringInto("halt_reason", risk.halt_reason);
  risk.halted_at_ns = r.I64("halted_at_ns");
}

void Put(ByteWriter& w, const TradingState& s, uint16_t version) {
  w.String(s.account_id);
  w.Count(s.positions.size());
  for (const auto& [symbol, p] : s.positions) PutPosition(w, p);
  PutOrders(w, s.open_orders);
  PutOrders(w, s.pending_orders);
  w.Count(s.recent_fills.size());
  for (const Fill& fill : s.recent_fills) PutFill(w, fill);
  w.Count(s.balances.size());
  for (const auto& [key, b] : s.balances) PutBalance(w, b);
  PutRisk(w, s.risk);
  w.I64(s.realized_pnl_minor);
  w.I64(s.unrealized_pnl_minor);
  w.I64(s.last_update_ns);
  w.U64(s.state_seq);
  w.U64(s.last_exchange_seq);
  if (version >= 2) w.U32(s.trading_day);
}

void Get(ByteReader& r, TradingState& s, uint16_t version) {
  ByteReader::Scope scope(r, "trading");
  r.StringInto("account_id", s.account_id);
  GetKeyedValues(
      r, "positions", kPositionBytesMin, s.positions, [](const Position& p) { return p.symbol; },
      [&r](Position& p) { GetPosition(r, p); });
  GetOrders(r, "open_orders", s.open_orders);
  GetOrders(r, "pending_orders", s.pending_orders);
  {
    ByteReader::Scope fills(r, "recent_fills");
    const uint32_t count = r.Count("count", kFillBytesMin);
    if (count > TradingState::kRecentFillsMax) {
      r.Fail("count",
             fmt::format("{} fills exceed the window of {}", count, TradingState::kRecentFillsMax));
    }
    for (uint32_t i = 0; i < count && r.ok(); ++i) {
      ByteReader::Scope element(r, "item", i);
      GetFill(r, s.recent_fills.emplace_back());
    }
  }
  GetKeyedValues(
      r, "balances", kBalanceBytesMin, s.balances,
      [](const Balance& b) { return BalanceKey(b.venue, b.currency); },
      [&r](Balance& b) { GetBalance(r, b); });
  GetRisk(r, s.risk);
  s.realized_pnl_minor = r.I64("realized_pnl_minor");
  s.unrealized_pnl_minor = r.I64("unrealized_pnl_minor");
  s.last_update_ns = r.I64("last_update_ns");
  s.state_seq = r.U64("state_seq");
  s.last_exchange_seq = r.U64("last_exchange_seq");
  if (version >= 2) s.trading_day = r.U32("trading_day");
}

void Put(ByteWriter& w, const StrategyState& s, uint16_t /*version*/) {
  w.String(s.strategy_id);
  w.String(s.name);
  PutIntMap(w, s.parameters);
  w.String(s.custom_state);
  w.Bool(s.active);
  w.I64(s.last_signal_ns);
  w.I64(s.pnl_minor);
}

void Get(ByteReader& r, StrategyState& s, uint16_t /*version*/) {
  r.StringInto("strategy_id", s.strategy_id);
  r.StringInto("name", s.name);
  GetIntMap(r, "parameters", s.parameters);
  r.StringInto("custom_state", s.custom_state);
  s.active = r.Bool("active");
  s.last_signal_ns = r.I64("last_signal_ns");
  s.pnl_minor = r.I64("pnl_minor");
}

void Put(ByteWriter& w, const ConfigurationState& s, uint16_t /*version*/) {
  w.String(s.system.instance_id);
  w.I64(s.system.l1_period_ms);
  w.I64(s.system.l2_period_ms);
  w.I64(s.system.snapshot_period_ms);
  w.I64(s.system.archive_period_ms);
  w.I64(s.system.clock_skew_tolerance_ms);
  w.Count(s.venues.size());
  for (const auto& [name, v] : s.venues) {
    w.String(v.name);
    w.String(v.address);
    w.String(v.account_id);
    w.Bool(v.enabled);
  }
  w.I64(s.risk_limits.max_order_lots);
  w.I64(s.risk_limits.max_position_lots);
  w.I64(s.risk_limits.max_daily_loss_minor);
  w.I64(s.risk_limits.max_drawdown_minor);
  PutIntMap(w, s.risk_limits.position_limit_lots);
  w.Count(s.strategies.size());
  for (const auto& [id, c] : s.strategies) {
    w.String(c.strategy_id);
    w.Bool(c.enabled);
    PutIntMap(w, c.parameters);
  }
  w.U64(s.version);
}

void Get(ByteReader& r, ConfigurationState& s, uint16_t /*version*/) {
  ByteReader::Scope scope(r, "config");
  r.StringInto("system.instance_id", s.system.instance_id);
  s.system.l1_period_ms = r.I64("system.l1_period_ms");
  s.system.l2_period_ms = r.I64("system.l2_period_ms");
  s.system.snapshot_period_ms = r.I64("system.snapshot_period_ms");
  s.system.archive_period_ms = r.I64("system.archive_period_ms");
  s.system.clock_skew_tolerance_ms = r.I64("system.clock_skew_tolerance_ms");
  GetKeyedValues(
      r, "venues", 3 * kStringBytesMin + 1, s.venues, [](const VenueConfig& v) { return v.name; },
      [&r](VenueConfig& v) {
        r.StringInto("name", v.name);
        r.StringInto("address", v.address);
        r.StringInto("account_id", v.account_id);
        v.enabled = r.Bool("enabled");
      });
  s.risk_limits.max_order_lots = r.I64("risk_limits.max_order_lots");
  s.risk_limits.max_position_lots = r.I64("risk_limits.max_position_lots");
  s.risk_limits.max_daily_loss_minor = r.I64("risk_limits.max_daily_loss_minor");
  s.risk_limits.max_drawdown_minor = r.I64("risk_limits.max_drawdown_minor");
  GetIntMap(r, "risk_limits.position_limit_lots", s.risk_limits.position_limit_lots);
  GetKeyedValues(
      r, "strategies", kStringBytesMin + 1 + 4, s.strategies,
      [](const StrategyConfig& c) { return c.strategy_id; },
      [&r](StrategyConfig& c) {
        r.StringInto("strategy_id", c.strategy_id);
        c.enabled = r.Bool("enabled");
        GetIntMap(r, "parameters", c.parameters);
      });
  s.version = r.U64("version");
}

void Put(ByteWriter& w, const MarketDataState& s, uint16_t /*version*/) {
  w.Count(s.books.size());
  for (const auto& [symbol, book] : s.books) {
    w.String(book.symbol);
    for (const auto* side : {&book.bids, &book.asks}) {
      w.Count(side->size());
      for (const BookLevel& level : *side) {
        w.I64(level.price_ticks);
        w.I64(level.quantity_lots);
      }
    }
    w.U64(book.exchange_seq);
  }
  w.Count(s.recent_trades.size());
  for (const PublicTrade& t : s.recent_trades) {
    w.U64(t.exchange_seq);
    w.String(t.symbol);
    w.I64(t.price_ticks);
    w.I64(t.quantity_lots);
    w.U8(static_cast<uint8_t>(t.aggressor));
  }
  w.U8(static_cast<uint8_t>(s.status));
  w.I64(s.last_update_ns);
}

void Get(ByteReader& r, MarketDataState& s, uint16_t /*version*/) {
  ByteReader::Scope scope(r, "market_data");
  GetKeyedValues(
      r, "books", kStringBytesMin + 4 + 4 + 8, s.books,
      [](const BookSnapshot& b) { return b.symbol; },
      [&r](BookSnapshot& book) {
        r.StringInto("symbol", book.symbol);
        for (auto [name, side] : {std::pair{"bids", &book.bids}, {"asks", &book.asks}}) {
          const uint32_t count = r.Count(name, 16);
          for (uint32_t i = 0; i < count && r.ok(); ++i) {
            ByteReader::Scope level(r, name, i);
            BookLevel& l = side->emplace_back();
            l.price_ticks = r.I64("price_ticks");
            l.quantity_lots = r.I64("quantity_lots");
          }
        }
        book.exchange_seq = r.U64("exchange_seq");
      });
  {
    ByteReader::Scope trades(r, "recent_trades");
    const uint32_t count = r.Count("count", 8 + kStringBytesMin + 16 + 1);
    if (count > MarketDataState::kRecentTradesMax) {
      r.Fail("count", fmt::format("{} trades exceed the window of {}", count,
                                  MarketDataState::kRecentTradesMax));
    }
    for (uint32_t i = 0; i < count && r.ok(); ++i) {
      ByteReader::Scope element(r, "item", i);
      PublicTrade& t = s.recent_trades.emplace_back();
      t.exchange_seq = r.U64("exchange_seq");
      r.StringInto("symbol", t.symbol);
      t.price_ticks = r.I64("price_ticks");
      t.quantity_lots = r.I64("quantity_lots");
      t.aggressor = static_cast<Side>(r.Enum("aggressor", 1, 2));
    }
  }
  s.status = static_cast<FeedStatus>(r.Enum("status", 0, 3));
  s.last_update_ns = r.I64("last_update_ns");
}

}  // namespace crashdrill::system::codec

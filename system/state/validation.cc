#include "system/state/validation.h"

#include <algorithm>

#include <fmt/format.h>

namespace crashdrill::system {
namespace {

// Each check comes in two parts: one entry (or one key's entries) at a time,
// and the loop over the whole state. The full validation runs the loops; the
// validation of changed entries runs the same per-entry checks over the keys
// that changed, in the same order, so it finds the same violations.

void CheckPosition(const TradingState& s, const std::string& symbol, const Position& position,
                   std::vector<Violation>& out) {
  const auto it = s.risk.exposure_lots.find(symbol);
  const Lots exposure = it == s.risk.exposure_lots.end() ? 0 : it->second;
  if (exposure != position.quantity_lots) {
    out.push_back({kInvariantExposure, fmt::format("{}: exposure {} lots, position {} lots", symbol,
                                                   exposure, position.quantity_lots)});
  }
}

void CheckExposureHasPosition(const TradingState& s, const std::string& symbol, Lots exposure,
                              std::vector<Violation>& out) {
  if (exposure != 0 && !s.positions.contains(symbol)) {
    out.push_back({kInvariantExposure,
                   fmt::format("{}: exposure {} lots without a position", symbol, exposure)});
  }
}

void CheckExposure(const TradingState& s, std::vector<Violation>& out) {
  for (const auto& [symbol, position] : s.positions) CheckPosition(s, symbol, position, out);
  for (const auto& [symbol, exposure] : s.risk.exposure_lots) {
    CheckExposureHasPosition(s, symbol, exposure, out);
  }
}

void CheckOrder(const std::string& id, const Order& order, const char* which,
                std::vector<Violation>& out) {
  if (order.quantity_lots <= 0 || order.filled_lots < 0 ||
      order.filled_lots > order.quantity_lots) {
    out.push_back({kInvariantFilled, fmt::format("{} order {}: filled {} of quantity {}", which, id,
                                                 order.filled_lots, order.quantity_lots)});
  }
}

void CheckOrders(const std::map<std::string, Order>& orders, const char* which,
                 std::vector<Violation>& out) {
  for (const auto& [id, order] : orders) CheckOrder(id, order, which, out);
}

void CheckNotOpenAndPending(const TradingState& s, const std::string& id,
                            std::vector<Violation>& out) {
  if (s.pending_orders.contains(id) && s.open_orders.contains(id)) {
    out.push_back({kInvariantOpenXorPending, fmt::format("order {} is both open and pending", id)});
  }
}

void CheckOpenXorPending(const TradingState& s, std::vector<Violation>& out) {
  for (const auto& [id, order] : s.pending_orders) CheckNotOpenAndPending(s, id, out);
}

void CheckHalt(const RiskState& risk, std::vector<Violation>& out) {
  if (risk.halted && risk.halt_reason.empty()) {
    out.push_back({kInvariantHaltReason, "halted without a reason"});
  } else if (!risk.halted && !risk.halt_reason.empty()) {
    out.push_back({kInvariantHaltReason,
                   fmt::format("not halted but has halt reason '{}'", risk.halt_reason)});
  }
}

// Fills from index `first` on, each against the one before it, then the
// newest against last_exchange_seq.
void CheckSequences(const TradingState& s, size_t first, std::vector<Violation>& out) {
  Seq previous = first == 0 ? 0 : s.recent_fills[first - 1].exchange_seq;
  for (size_t i = first; i < s.recent_fills.size(); ++i) {
    const Seq seq = s.recent_fills[i].exchange_seq;
    if (seq <= previous) {
      out.push_back(
          {kInvariantSequence,
           fmt::format("recent_fills[{}] has exchange_seq {} after {}", i, seq, previous)});
      return;
    }
    previous = seq;
  }
  if (previous > s.last_exchange_seq) {
    out.push_back({kInvariantSequence,
                   fmt::format("newest fill exchange_seq {} is ahead of last_exchange_seq {}",
                               previous, s.last_exchange_seq)});
  }
}

void CheckTimestamp(const TradingState& s, const ValidationOptions& options,
                    std::vector<Violation>& out) {
  if (!options.now_wall_ns) return;
  if (options.timestamp_exempt_above_seq && s.state_seq > *options.timestamp_exempt_above_seq) {
    return;
  }
  const int64_t ahead_ns = s.last_update_ns - *options.now_wall_ns;
  if (ahead_ns > options.future_tolerance_ns) {
    out.push_back({kInvariantTimestamp,
                   fmt::format("last update is {} ms in the future (tolerance {} ms)",
                               ahead_ns / 1000000, options.future_tolerance_ns / 1000000)});
  }
}

void CheckBalance(const std::string& key, const Balance& balance, std::vector<Violation>& out) {
  if (balance.available_minor > balance.total_minor) {
    out.push_back({kInvariantBalance, fmt::format("{}: available {} exceeds total {}", key,
                                                  balance.available_minor, balance.total_minor)});
  }
}

void CheckBalances(const TradingState& s, std::vector<Violation>& out) {
  for (const auto& [key, balance] : s.balances) CheckBalance(key, balance, out);
}

Status InvariantViolated(std::string_view source, std::string_view invariant,
                         std::string_view detail) {
  Status status = Status::Corruption(source, 0, invariant,
                                     fmt::format("invariant {} violated: {}", invariant, detail));
  status.SetOffset(-1);  // a violation is of the whole state, not of a byte
  return status;
}

Status ToStatus(const std::vector<Violation>& violations, std::string_view source) {
  if (violations.empty()) return Status::Ok();
  const Violation& first = violations.front();
  return InvariantViolated(
      source, first.invariant,
      fmt::format("{}{}", first.detail,
                  violations.size() > 1
                      ? fmt::format(" (and {} more violations)", violations.size() - 1)
                      : ""));
}

}  // namespace

std::vector<Violation> FindViolations(const TradingState& state, const ValidationOptions& options) {
  std::vector<Violation> out;
  CheckExposure(state, out);
  CheckOrders(state.open_orders, "open", out);
  CheckOrders(state.pending_orders, "pending", out);
  CheckOpenXorPending(state, out);
  CheckHalt(state.risk, out);
  CheckSequences(state, 0, out);
  CheckTimestamp(state, options, out);
  CheckBalances(state, out);
  return out;
}

std::vector<Violation> FindViolations(const TradingState& state, const TradingChanges& changes,
                                      const ValidationOptions& options) {
  // Calls `check(key, entry)` for each key of `keys` present in `entries`.
  const auto each = [](const std::set<std::string>& keys, const auto& entries, auto check) {
    for (const std::string& key : keys) {
      if (const auto it = entries.find(key); it != entries.end()) check(key, it->second);
    }
  };
  std::vector<Violation> out;
  each(changes.symbols, state.positions,
       [&](const std::string& symbol, const Position& p) { CheckPosition(state, symbol, p, out); });
  each(changes.symbols, state.risk.exposure_lots, [&](const std::string& symbol, Lots exposure) {
    CheckExposureHasPosition(state, symbol, exposure, out);
  });
  each(changes.orders, state.open_orders,
       [&](const std::string& id, const Order& order) { CheckOrder(id, order, "open", out); });
  each(changes.orders, state.pending_orders,
       [&](const std::string& id, const Order& order) { CheckOrder(id, order, "pending", out); });
  for (const std::string& id : changes.orders) CheckNotOpenAndPending(state, id, out);
  CheckHalt(state.risk, out);
  const size_t appended = std::min(changes.fills_appended, state.recent_fills.size());
  CheckSequences(state, state.recent_fills.size() - appended, out);
  CheckTimestamp(state, options, out);
  each(changes.balances, state.balances,
       [&](const std::string& key, const Balance& b) { CheckBalance(key, b, out); });
  return out;
}

std::vector<Violation> FindViolations(const EngineState& state, const ValidationOptions& options) {
  return FindViolations(state.trading, options);
}

Status Validate(const TradingState& state, const ValidationOptions& options,
                std::string_view source) {
  return ToStatus(FindViolations(state, options), source);
}

Status Validate(const EngineState& state, const ValidationOptions& options,
                std::string_view source) {
  return ToStatus(FindViolations(state, options), source);
}

Status ValidateChanges(const TradingState& state, const TradingChanges& changes,
                       const ValidationOptions& options, std::string_view source) {
  return ToStatus(FindViolations(state, changes, options), source);
}

Status ValidateTransition(const EngineState& previous, const EngineState& next,
                          std::string_view source) {
  const TradingState& a = previous.trading;
  const TradingState& b = next.trading;
  std::string problem;
  if (b.state_seq < a.state_seq) {
    problem = fmt::format("state_seq went back from {} to {}", a.state_seq, b.state_seq);
  } else if (b.last_exchange_seq < a.last_exchange_seq) {
    problem = fmt::format("last_exchange_seq went back from {} to {}", a.last_exchange_seq,
                          b.last_exchange_seq);
  } else if (next.config.version < previous.config.version) {
    problem = fmt::format("config version went back from {} to {}", previous.config.version,
                          next.config.version);
  }
  if (problem.empty()) return Status::Ok();
  return InvariantViolated(source, kInvariantSequence, problem);
}

}  // namespace crashdrill::system

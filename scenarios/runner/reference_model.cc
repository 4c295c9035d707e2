// The reference model's rules, written from the semantics state_update.h
// documents (and the engine's accounting as the simulator's exchange does it),
// then its comparison with a recovered state. Each rule checks that the update
// fits before it changes anything, so a misfit leaves the model as it was.
#include "scenarios/runner/reference_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "simulator/account.h"

namespace crashdrill::scenarios {
namespace {

using system::Balance;
using system::Fill;
using system::Lots;
using system::Minor;
using system::Order;
using system::Position;
using system::Seq;
using system::Side;

// What the engine records for a halt whose reason is empty (a reason is
// present iff halted, DESIGN §3 validation).
constexpr std::string_view kHaltWithoutReason = "halted without a stated reason";

// Exposure mirrors the position's quantity; a flat position has no entry.
void SetExposure(ModelState& s, const std::string& symbol, Lots quantity_lots) {
  if (quantity_lots == 0) {
    s.exposure_lots.erase(symbol);
  } else {
    s.exposure_lots[symbol] = quantity_lots;
  }
}

// YYYYMMDD of a wall-clock time, 0 for none; the model's own arithmetic.
uint32_t UtcDate(int64_t wall_ns) {
  if (wall_ns <= 0) return 0;
  const std::chrono::sys_days day = std::chrono::floor<std::chrono::days>(
      std::chrono::sys_time<std::chrono::nanoseconds>(std::chrono::nanoseconds(wall_ns)));
  const std::chrono::year_month_day date(day);
  return static_cast<uint32_t>(static_cast<int>(date.year()) * 10'000 +
                               static_cast<int>(static_cast<unsigned>(date.month())) * 100 +
                               static_cast<int>(static_cast<unsigned>(date.day())));
}

void SeeExchangeSeq(ModelState& s, Seq exchange_seq) {
  s.last_exchange_seq = std::max(s.last_exchange_seq, exchange_seq);
}

// One rule per update type; returns why an update does not fit, or nullopt.
struct Rules {
  ModelState& s;
  using Outcome = std::optional<std::string>;

  static Outcome Unknown(std::string_view what, const std::string& id) {
    return fmt::format("{} of '{}': the model holds no such order", what, id);
  }

  Outcome operator()(const system::OrderSubmitted& u) {
    const std::string& id = u.order.client_order_id;
    if (s.open_orders.contains(id) || s.pending_orders.contains(id)) {
      return fmt::format("submit of '{}': the id is already in use", id);
    }
    s.pending_orders.emplace(id, u.order);
    return std::nullopt;
  }
  Outcome operator()(const system::OrderAcknowledged& u) {
    auto node = s.pending_orders.extract(u.client_order_id);
    if (node.empty()) return Unknown("ack", u.client_order_id);
    node.mapped().exchange_order_id = u.exchange_order_id;
    s.open_orders.insert(std::move(node));
    SeeExchangeSeq(s, u.exchange_seq);
    return std::nullopt;
  }
  Outcome operator()(const system::OrderRejected& u) {
    if (s.pending_orders.erase(u.client_order_id) == 0) {
      return Unknown("reject", u.client_order_id);
    }
    SeeExchangeSeq(s, u.exchange_seq);
    return std::nullopt;
  }
  Outcome operator()(const system::CancelRequested& u) {
    const auto it = s.open_orders.find(u.client_order_id);
    if (it == s.open_orders.end()) return Unknown("cancel request", u.client_order_id);
    it->second.cancel_requested = true;
    return std::nullopt;
  }
  Outcome operator()(const system::CancelAcknowledged& u) {
    if (s.open_orders.erase(u.client_order_id) == 0) {
      return Unknown("cancel ack", u.client_order_id);
    }
    SeeExchangeSeq(s, u.exchange_seq);
    return std::nullopt;
  }
  Outcome operator()(const system::FillReceived& u);
  Outcome operator()(const system::PositionSet& u) {
    // Adopted as given (reconciliation): no P&L flows from it.
    s.positions[u.position.symbol] = u.position;
    SetExposure(s, u.position.symbol, u.position.quantity_lots);
    return std::nullopt;
  }
  Outcome operator()(const system::BalanceSet& u) {
    s.balances[system::BalanceKey(u.balance.venue, u.balance.currency)] = u.balance;
    return std::nullopt;
  }
  Outcome operator()(const system::RiskHalted& u) {
    s.halted = true;
    s.halt_reason = u.reason.empty() ? std::string(kHaltWithoutReason) : u.reason;
    s.halted_at_ns.reset();  // the commit's wall time: not in the update
    return std::nullopt;
  }
  Outcome operator()(const system::RiskResumed&) {
    s.halted = false;
    s.halt_reason.clear();
    s.halted_at_ns = 0;
    return std::nullopt;
  }
  Outcome operator()(const system::ConfigChanged& u) {
    s.config = u.config;
    return std::nullopt;
  }
  Outcome operator()(const system::StrategyUpdated&) { return std::nullopt; }  // not critical
  Outcome operator()(const system::ReportsSeen& u) {
    SeeExchangeSeq(s, u.exchange_seq);
    return std::nullopt;
  }
};

Rules::Outcome Rules::operator()(const system::FillReceived& u) {
  const Fill& fill = u.fill;
  const std::string& id = fill.client_order_id;
  auto open = s.open_orders.find(id);
  auto pending = s.pending_orders.find(id);
  const Order* order = open != s.open_orders.end()         ? &open->second
                       : pending != s.pending_orders.end() ? &pending->second
                                                           : nullptr;
  if (order == nullptr) return Unknown("fill", id);
  if (fill.symbol != order->symbol || fill.side != order->side) {
    return fmt::format("fill of '{}': {} {} does not match the order's {} {}", id,
                       system::SideName(fill.side), fill.symbol, system::SideName(order->side),
                       order->symbol);
  }
  if (fill.quantity_lots <= 0 || fill.quantity_lots > order->remaining_lots()) {
    return fmt::format("fill of '{}': {} lots, {} of {} already filled", id, fill.quantity_lots,
                       order->filled_lots, order->quantity_lots);
  }
  const std::string balance_key = system::BalanceKey(order->venue, u.currency);
  const std::string venue = order->venue;

  // The order: one that fills before its ack was accepted by the venue, so it is open.
  if (open == s.open_orders.end()) {
    auto node = s.pending_orders.extract(pending);
    node.mapped().exchange_order_id = fill.exchange_order_id;
    open = s.open_orders.insert(std::move(node)).position;
  }
  open->second.filled_lots += fill.quantity_lots;
  if (open->second.remaining_lots() == 0) s.open_orders.erase(open);

  // The position, by the exchange's own arithmetic.
  const Lots signed_lots = fill.side == Side::kBuy ? fill.quantity_lots : -fill.quantity_lots;
  Position& position = s.positions[fill.symbol];
  simulator::PositionRecord record{position.quantity_lots, position.cost_minor,
                                   position.realized_pnl_minor};
  simulator::ApplyToPosition(record, signed_lots, fill.price_ticks);
  const Minor realized = record.realized_pnl_minor - position.realized_pnl_minor;
  position =
      Position{fill.symbol, record.quantity_lots, record.cost_minor, record.realized_pnl_minor};
  SetExposure(s, fill.symbol, record.quantity_lots);

  // P&L: realized excludes fees; the day's P&L is net of them.
  s.realized_pnl_minor += realized;
  s.daily_pnl_minor += realized - fill.fee_minor;
  s.peak_pnl_minor = std::max(s.peak_pnl_minor, s.daily_pnl_minor);
  s.max_drawdown_minor = std::max(s.max_drawdown_minor, s.peak_pnl_minor - s.daily_pnl_minor);

  // Cash: buying pays the notional, selling receives it; the fee is paid either way.
  const Minor paid = signed_lots * fill.price_ticks + fill.fee_minor;
  Balance& balance = s.balances[balance_key];
  balance.venue = venue;
  balance.currency = u.currency;
  balance.total_minor -= paid;
  balance.available_minor -= paid;

  s.recent_fills.push_back(fill);
  while (s.recent_fills.size() > system::TradingState::kRecentFillsMax) {
    s.recent_fills.pop_front();
  }
  SeeExchangeSeq(s, fill.exchange_seq);
  return std::nullopt;
}

std::string Describe(const system::StateUpdate& update) {
  return std::string(system::RecordTypeName(system::TypeOf(update)));
}

}  // namespace

std::optional<std::string> ReferenceModel::Apply(ModelState& state, Seq seq,
                                                 const system::StateUpdate& update) {
  std::optional<std::string> misfit = std::visit(Rules{state}, update);
  state.state_seq = seq;
  return misfit;
}

void ReferenceModel::NoteProblem(Seq seq, const system::StateUpdate& update, std::string why) {
  if (problem_) return;  // the first one explains the rest
  problem_ = fmt::format("attempt at state_seq {} ({}) does not fit the model: {}", seq,
                         Describe(update), why);
}

void ReferenceModel::Attempt(Seq seq, const system::StateUpdate& update) {
  if (!system::IsCritical(update)) return;
  if (seq <= baseline_.state_seq) {
    NoteProblem(seq, update,
                fmt::format("state_seq {} is acknowledged already", baseline_.state_seq));
    return;
  }
  if (seq <= latest_.state_seq) {
    // The commit of the earlier attempt at `seq` failed and was undone: it never happened.
    while (!attempts_.empty() && attempts_.back().first >= seq) attempts_.pop_back();
    latest_ = baseline_;
    for (const auto& [earlier_seq, earlier] : attempts_) Apply(latest_, earlier_seq, earlier);
  } else if (seq != latest_.state_seq + 1) {
    NoteProblem(seq, update, fmt::format("the last attempt was state_seq {}", latest_.state_seq));
  }
  attempts_.emplace_back(seq, update);
  if (auto misfit = Apply(latest_, seq, update)) NoteProblem(seq, update, std::move(*misfit));
}

void ReferenceModel::Acknowledge(Seq seq) {
  if (seq > latest_.state_seq) {
    if (!problem_) {
      problem_ = fmt::format("state_seq {} acknowledged but never attempted (last attempt {})", seq,
                             latest_.state_seq);
    }
    return;
  }
  while (!attempts_.empty() && attempts_.front().first <= seq) {
    Apply(baseline_, attempts_.front().first, attempts_.front().second);
    attempts_.pop_front();
  }
}

void ReferenceModel::Rebase(const system::TradingState& t) {
  ModelState s;
  s.account_id = t.account_id;
  s.open_orders = t.open_orders;
  s.pending_orders = t.pending_orders;
  s.positions = t.positions;
  s.balances = t.balances;
  s.recent_fills = t.recent_fills;
  s.exposure_lots = t.risk.exposure_lots;
  s.limit_usage_bp = t.risk.limit_usage_bp;
  s.daily_pnl_minor = t.risk.daily_pnl_minor;
  s.peak_pnl_minor = t.risk.peak_pnl_minor;
  s.max_drawdown_minor = t.risk.max_drawdown_minor;
  s.halted = t.risk.halted;
  s.halt_reason = t.risk.halt_reason;
  s.halted_at_ns = t.risk.halted_at_ns;
  s.realized_pnl_minor = t.realized_pnl_minor;
  s.unrealized_pnl_minor = t.unrealized_pnl_minor;
  s.trading_day = t.trading_day;
  s.state_seq = t.state_seq;
  s.last_exchange_seq = t.last_exchange_seq;
  baseline_ = std::move(s);
  attempts_.clear();
  latest_ = baseline_;
  problem_.reset();
}

void ReferenceModel::Rebase(const system::EngineState& recovered) {
  Rebase(recovered.trading);
  baseline_.config = recovered.config;
  latest_.config = recovered.config;
}

namespace {

// The differences between the model and a recovered state, the first
// kDifferencesMax of them spelled out as "name: model X vs recovered Y".
class Differences {
 public:
  size_t count() const { return count_; }

  template <typename T>
  void Field(std::string_view name, const T& model, const T& recovered) {
    if (model == recovered) return;
    Add(name, fmt::format("model {} vs recovered {}", Show(model), Show(recovered)));
  }
  void Add(std::string_view name, std::string_view what) {
    if (count_++ < ReferenceModel::kDifferencesMax) {
      lines_.push_back(fmt::format("{}: {}", name, what));
    }
  }
  std::string Join() const {
    std::string text;
    for (const std::string& line : lines_) text += (text.empty() ? "" : "; ") + line;
    if (count_ > lines_.size()) text += fmt::format("; and {} more", count_ - lines_.size());
    return text;
  }

 private:
  template <typename T>
  static std::string Show(const T& value) {
    return fmt::format("{}", value);
  }
  static std::string Show(const std::string& value) { return fmt::format("'{}'", value); }
  static std::string Show(Side value) { return std::string(system::SideName(value)); }
  static std::string Show(system::OrderType value) {
    return std::string(system::OrderTypeName(value));
  }

  size_t count_ = 0;
  std::vector<std::string> lines_;
};

// Names the members of one map entry: "open_orders[o1].filled_lots".
struct Entry {
  std::string_view field;
  std::string_view key;
  std::string operator()(std::string_view member) const {
    return fmt::format("{}[{}].{}", field, key, member);
  }
};

void CompareOrder(Differences& d, const Entry& e, const Order& m, const Order& r) {
  d.Field(e("client_order_id"), m.client_order_id, r.client_order_id);
  d.Field(e("exchange_order_id"), m.exchange_order_id, r.exchange_order_id);
  d.Field(e("filled_lots"), m.filled_lots, r.filled_lots);
  d.Field(e("cancel_requested"), m.cancel_requested, r.cancel_requested);
  d.Field(e("quantity_lots"), m.quantity_lots, r.quantity_lots);
  d.Field(e("price_ticks"), m.price_ticks, r.price_ticks);
  d.Field(e("symbol"), m.symbol, r.symbol);
  d.Field(e("side"), m.side, r.side);
  d.Field(e("type"), m.type, r.type);
  d.Field(e("venue"), m.venue, r.venue);
  d.Field(e("strategy_id"), m.strategy_id, r.strategy_id);
  d.Field(e("created_ns"), m.created_ns, r.created_ns);
  d.Field(e("updated_ns"), m.updated_ns, r.updated_ns);
}

void ComparePosition(Differences& d, const Entry& e, const Position& m, const Position& r) {
  d.Field(e("symbol"), m.symbol, r.symbol);
  d.Field(e("quantity_lots"), m.quantity_lots, r.quantity_lots);
  d.Field(e("cost_minor"), m.cost_minor, r.cost_minor);
  d.Field(e("realized_pnl_minor"), m.realized_pnl_minor, r.realized_pnl_minor);
}

void CompareBalance(Differences& d, const Entry& e, const Balance& m, const Balance& r) {
  d.Field(e("venue"), m.venue, r.venue);
  d.Field(e("currency"), m.currency, r.currency);
  d.Field(e("total_minor"), m.total_minor, r.total_minor);
  d.Field(e("available_minor"), m.available_minor, r.available_minor);
}

template <typename V>
void CompareValue(Differences& d, const Entry& e, const V& m, const V& r) {
  d.Field(fmt::format("{}[{}]", e.field, e.key), m, r);
}

// Entry by entry, in key order: missing on either side, then differing fields.
template <typename V, typename CompareEntry>
void CompareMaps(Differences& d, std::string_view field, const std::map<std::string, V>& model,
                 const std::map<std::string, V>& recovered, CompareEntry compare_entry) {
  if (model == recovered) return;
  auto m = model.begin();
  auto r = recovered.begin();
  while (m != model.end() || r != recovered.end()) {
    if (r == recovered.end() || (m != model.end() && m->first < r->first)) {
      d.Add(fmt::format("{}[{}]", field, m->first), "in the model, missing from recovered");
      ++m;
    } else if (m == model.end() || r->first < m->first) {
      d.Add(fmt::format("{}[{}]", field, r->first), "recovered, not in the model");
      ++r;
    } else {
      if (!(m->second == r->second)) compare_entry(d, Entry{field, m->first}, m->second, r->second);
      ++m;
      ++r;
    }
  }
}

std::string FillName(const Fill& fill) {
  return fmt::format("exchange_seq {} trade {} of '{}'", fill.exchange_seq, fill.trade_id,
                     fill.client_order_id);
}

void CompareFills(Differences& d, const std::deque<Fill>& model,
                  const std::deque<Fill>& recovered) {
  if (model == recovered) return;
  if (model.size() != recovered.size()) {
    d.Add("recent_fills",
          fmt::format("model {} fills (last {}) vs recovered {} (last {})", model.size(),
                      model.empty() ? "none" : FillName(model.back()), recovered.size(),
                      recovered.empty() ? "none" : FillName(recovered.back())));
    return;
  }
  for (size_t i = 0; i < model.size(); ++i) {
    if (model[i] == recovered[i]) continue;
    d.Add(fmt::format("recent_fills[{}]", i),
          fmt::format("model {} vs recovered {}", FillName(model[i]), FillName(recovered[i])));
  }
}

void CompareConfig(Differences& d, const system::ConfigurationState& m,
                   const system::ConfigurationState& r) {
  if (m == r) return;
  if (m.version != r.version) {
    d.Field("config.version", m.version, r.version);
  } else {
    d.Add("config", fmt::format("differs at the same version {}", m.version));
  }
}

Differences Compare(const ModelState& m, const system::TradingState& r,
                    const system::ConfigurationState* config) {
  Differences d;
  d.Field("state_seq", m.state_seq, r.state_seq);
  d.Field("last_exchange_seq", m.last_exchange_seq, r.last_exchange_seq);
  CompareMaps(d, "pending_orders", m.pending_orders, r.pending_orders, CompareOrder);
  CompareMaps(d, "open_orders", m.open_orders, r.open_orders, CompareOrder);
  CompareMaps(d, "positions", m.positions, r.positions, ComparePosition);
  CompareMaps(d, "balances", m.balances, r.balances, CompareBalance);
  CompareFills(d, m.recent_fills, r.recent_fills);
  d.Field("realized_pnl_minor", m.realized_pnl_minor, r.realized_pnl_minor);
  const system::RiskState& risk = r.risk;
  CompareMaps(d, "risk.exposure_lots", m.exposure_lots, risk.exposure_lots, CompareValue<Lots>);
  CompareMaps(d, "risk.limit_usage_bp", m.limit_usage_bp, risk.limit_usage_bp,
              CompareValue<int64_t>);
  d.Field("risk.daily_pnl_minor", m.daily_pnl_minor, risk.daily_pnl_minor);
  d.Field("risk.peak_pnl_minor", m.peak_pnl_minor, risk.peak_pnl_minor);
  d.Field("risk.max_drawdown_minor", m.max_drawdown_minor, risk.max_drawdown_minor);
  d.Field("risk.halted", m.halted, risk.halted);
  d.Field("risk.halt_reason", m.halt_reason, risk.halt_reason);
  if (m.halted_at_ns) d.Field("risk.halted_at_ns", *m.halted_at_ns, risk.halted_at_ns);
  d.Field("unrealized_pnl_minor", m.unrealized_pnl_minor, r.unrealized_pnl_minor);
  // The UTC date of the last update (the commit's wall time is not in the
  // updates the model sees): checked against the recovered state's own time.
  d.Field("trading_day", UtcDate(r.last_update_ns), r.trading_day);
  d.Field("account_id", m.account_id, r.account_id);
  if (config != nullptr && m.config) CompareConfig(d, *m.config, *config);
  return d;
}

}  // namespace

std::optional<std::string> ReferenceModel::Check(const system::TradingState& recovered,
                                                 const system::ConfigurationState* config) const {
  const Seq seq = recovered.state_seq;
  if (seq < baseline_.state_seq) {
    return fmt::format("P2: acknowledged state_seq {} lost: recovered {}", baseline_.state_seq,
                       seq);
  }
  if (seq > latest_.state_seq) {
    return fmt::format(
        "P3: recovered state_seq {} is beyond the last attempt {}: a state that never existed", seq,
        latest_.state_seq);
  }
  if (problem_) return fmt::format("P3: the model could not follow the engine: {}", *problem_);
  ModelState prefix;
  const ModelState* model = &latest_;
  if (seq != latest_.state_seq) {
    prefix = baseline_;
    for (const auto& [attempt_seq, update] : attempts_) {
      if (attempt_seq > seq) break;
      Apply(prefix, attempt_seq, update);
    }
    model = &prefix;
  }
  const Differences differences = Compare(*model, recovered, config);
  if (differences.count() == 0) return std::nullopt;
  return fmt::format(
      "P3: recovered state at state_seq {} is not the model after the attempts up to it "
      "({} differences): {}",
      seq, differences.count(), differences.Join());
}

std::optional<std::string> ReferenceModel::CheckRecovered(
    const system::TradingState& recovered) const {
  return Check(recovered, nullptr);
}

std::optional<std::string> ReferenceModel::CheckRecovered(
    const system::EngineState& recovered) const {
  return Check(recovered.trading, &recovered.config);
}

}  // namespace crashdrill::scenarios

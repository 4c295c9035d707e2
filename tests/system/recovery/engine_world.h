// A simulated world for engine and recovery tests: the engine on a SimDisk
// with a SimClock, an in-process exchange with background market flow, and
// the checks DESIGN §8 asks after every recovery (P1 agreement, P2 nothing
// acknowledged lost, P4 no duplicate or orphan order).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "faults/sim_clock.h"
#include "faults/sim_disk.h"
#include "simulator/exchange.h"
#include "simulator/in_process_venue.h"
#include "simulator/market.h"
#include "system/recovery/reconcile.h"
#include "system/recovery/recover.h"

namespace crashdrill::system::testing {

inline RecoverOptions WorldOptions(uint64_t seed) {
  RecoverOptions options;
  options.checkpointer.state_dir = "/state";
  options.checkpointer.l1_period_ns = 50 * kNanosPerMilli;
  options.checkpointer.l2_period_ns = 200 * kNanosPerMilli;
  options.checkpointer.snapshot_period_ns = 500 * kNanosPerMilli;
  options.checkpointer.l1_slot_bytes = 256 << 10;
  options.checkpointer.wal_segment_bytes = 64 << 10;
  options.checkpointer.versions_kept = {2, 2, 2, 2, 2};
  options.engine = DefaultEngineOptions(seed);
  options.engine.pending_timeout_ns = 200 * kNanosPerMilli;
  return options;
}

class EngineWorld {
 public:
  EngineWorld(uint64_t seed, faults::SimDiskOptions disk_options,
              int64_t market_actions_per_second = 2'000,
              simulator::ExchangeConfig exchange_config = {})
      : disk_(std::move(disk_options)),
        exchange_(std::move(exchange_config)),
        market_(exchange_, MarketConfigFor(market_actions_per_second), Mix64(seed), 0),
        account_(exchange_.OpenAccount("engine", 0)),
        venue_(exchange_, &market_, clock_, account_, simulator::LinkConfig{}, Mix64(seed + 1)),
        options_(WorldOptions(seed)) {}

  static simulator::MarketConfig MarketConfigFor(int64_t actions_per_second) {
    simulator::MarketConfig config;
    config.actions_per_second = actions_per_second;
    return config;
  }

  // Recovers and reconciles. Returns the recovery's status (a halted disk
  // makes it fail: the caller crashes the disk and calls Start again).
  Status Start() {
    auto recovered = RecoverEngine(disk_, clock_, venue_, options_);
    if (!recovered.ok()) return recovered.status();
    live_.emplace(std::move(recovered).value());
    InstallObserver();
    shadow_ = engine().state();
    acked_since_shadow_.clear();
    return Reconcile(engine(), clock_, live_->report);
  }

  void InstallObserver() {
    engine().SetAckObserver([this](Seq seq, const StateUpdate& update) {
      acked_.emplace_back(seq, update);
      acked_since_shadow_.emplace_back(seq, update);
      if (const auto* submit = std::get_if<OrderSubmitted>(&update)) {
        intents_.insert(submit->order.client_order_id);
      }
    });
  }

  // The recovered local state, before reconciliation, is checked against
  // what was acknowledged (P2, and P3 where the two end at the same seq).
  void CheckAcknowledgedSurvived(const std::string& context) {
    ASSERT_TRUE(live_.has_value());
    const RecoveryReport& r = live_->report;
    const Seq last_acked = acked_.empty() ? 0 : acked_.back().first;
    EXPECT_GE(r.recovered_seq, last_acked) << context << ": acknowledged records were lost (P2)\n"
                                           << Describe(r);
    if (r.recovered_seq == last_acked && shadow_.has_value()) {
      // No record beyond the last acknowledgement: the recovered critical state
      // is exactly the acknowledged history applied in order (P3).
      EngineState expected = *shadow_;
      for (const auto& [seq, update] : acked_since_shadow_) {
        ASSERT_TRUE(ApplyStateUpdate(expected, update, seq, 0).ok()) << context;
      }
      const TradingState& got = recovered_local_.trading;
      EXPECT_EQ(got.open_orders, expected.trading.open_orders) << context;
      EXPECT_EQ(got.pending_orders, expected.trading.pending_orders) << context;
      EXPECT_EQ(got.positions, expected.trading.positions) << context;
      EXPECT_EQ(got.balances, expected.trading.balances) << context;
      EXPECT_EQ(got.recent_fills, expected.trading.recent_fills) << context;
      EXPECT_EQ(got.last_exchange_seq, expected.trading.last_exchange_seq) << context;
    }
  }

  // P1 and P4 after reconciliation.
  void CheckAgreesWithVenue(const std::string& context) {
    ASSERT_TRUE(live_.has_value());
    ASSERT_TRUE(live_->report.reconciled)
        << context << ": " << live_->report.reconcile_status.ToString();
    const TradingState& t = engine().state().trading;
    std::map<std::string, Position> venue_positions;
    for (const Position& p : exchange_.Positions(account_)) venue_positions[p.symbol] = p;
    for (const auto& [symbol, p] : t.positions) {
      const Position venue =
          venue_positions.contains(symbol) ? venue_positions[symbol] : Position{symbol};
      EXPECT_EQ(p.quantity_lots, venue.quantity_lots) << context << " position " << symbol;
      EXPECT_EQ(p.cost_minor, venue.cost_minor) << context << " position " << symbol;
      EXPECT_EQ(p.realized_pnl_minor, venue.realized_pnl_minor) << context << " " << symbol;
    }
    for (const auto& [symbol, p] : venue_positions) {
      EXPECT_TRUE(t.positions.contains(symbol)) << context << " venue position " << symbol;
    }
    std::set<std::string> venue_open;
    for (const Order& o : exchange_.OpenOrders(account_)) {
      venue_open.insert(o.client_order_id);
      const auto local = t.open_orders.find(o.client_order_id);
      if (local == t.open_orders.end()) {
        ADD_FAILURE() << context << ": venue order " << o.client_order_id << " not open locally";
        continue;
      }
      EXPECT_EQ(local->second.filled_lots, o.filled_lots) << context << " " << o.client_order_id;
    }
    for (const auto& [id, order] : t.open_orders) {
      EXPECT_TRUE(venue_open.contains(id)) << context << ": " << id << " open only locally";
    }
    const Balance venue_balance = exchange_.BalanceOf(account_);
    const auto local_balance =
        t.balances.find(BalanceKey(venue_balance.venue, venue_balance.currency));
    ASSERT_NE(local_balance, t.balances.end()) << context;
    EXPECT_EQ(local_balance->second.total_minor, venue_balance.total_minor) << context;
    // P4: every order the venue ever had of this account was an intent of this
    // engine, logged before it was sent; nothing was sent twice.
    const simulator::Account& account = exchange_.account(account_);
    EXPECT_EQ(account.duplicate_client_order_ids, 0u) << context;
    for (const auto& [id, exchange_order_id] : account.client_order_ids) {
      EXPECT_TRUE(intents_.contains(id))
          << context << ": venue order " << id << " has no acknowledged intent (orphan)";
    }
  }

  // Steps the engine `steps` times, `dt_ns` apart, or until the disk halts.
  void Run(int steps, int64_t dt_ns = kNanosPerMilli) {
    for (int i = 0; i < steps && !disk_.halted(); ++i) {
      clock_.Advance(dt_ns);
      (void)engine().Step();
    }
  }

  // Kills the engine (nothing of it runs again) and resolves the disk's crash.
  void Crash(faults::CrashKind kind, faults::Rng& rng) {
    live_.reset();
    disk_.Crash(kind, rng);
  }

  // Recovers after a crash: local recovery, the P2/P3 check, then
  // reconciliation and the P1/P4 check. A crash during recovery (the disk's
  // plan) is resolved and recovery runs again.
  // `history_lost`: the test destroyed acknowledged records on purpose, so P2 is not asked.
  void Recover(const std::string& context, faults::Rng& rng, bool history_lost = false) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      auto recovered = RecoverEngine(disk_, clock_, venue_, options_);
      if (!recovered.ok()) {
        ASSERT_TRUE(disk_.halted()) << context << ": " << recovered.status().ToString();
        disk_.Crash(disk_.halted_crash_kind(), rng);
        ++crashes_during_recovery_;
        continue;
      }
      live_.emplace(std::move(recovered).value());
      recovered_local_ = engine().state();
      if (!history_lost) CheckAcknowledgedSurvived(context);
      InstallObserver();
      shadow_ = engine().state();
      acked_since_shadow_.clear();
      const Status reconciled = Reconcile(engine(), clock_, live_->report);
      if (!reconciled.ok() && disk_.halted()) {
        live_.reset();
        disk_.Crash(disk_.halted_crash_kind(), rng);
        ++crashes_during_recovery_;
        continue;
      }
      ASSERT_TRUE(reconciled.ok()) << context << ": " << reconciled.ToString();
      CheckAgreesWithVenue(context);
      return;
    }
    FAIL() << context << ": recovery did not finish in 20 attempts";
  }

  // The first life: a new state directory.
  void StartFresh() {
    Status status = Start();
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  static std::string Describe(const RecoveryReport& r) {
    std::string out = "base: " + r.base_reason + ", source " + r.source + ", recovered seq " +
                      std::to_string(r.recovered_seq) + "\n";
    for (const auto& c : r.candidates) {
      out += "  " + std::string(CopyLevelName(c.level)) + " " + c.location + " seq " +
             std::to_string(c.state_seq) + " " + c.verdict.ToString() + "\n";
    }
    if (!r.wal_stop.ok()) out += "  wal stop: " + r.wal_stop.ToString() + "\n";
    return out;
  }

  Engine& engine() { return *live_->engine; }
  bool running() const { return live_.has_value(); }
  RecoveryReport& report() { return live_->report; }
  faults::SimDisk& disk() { return disk_; }
  faults::SimClock& clock() { return clock_; }
  simulator::Exchange& exchange() { return exchange_; }
  simulator::InProcessVenue& venue() { return venue_; }
  simulator::AccountId account() const { return account_; }
  RecoverOptions& options() { return options_; }
  const std::vector<std::pair<Seq, StateUpdate>>& acked() const { return acked_; }
  int crashes_during_recovery() const { return crashes_during_recovery_; }

 private:
  faults::SimClock clock_;
  faults::SimDisk disk_;
  simulator::Exchange exchange_;
  simulator::Market market_;
  simulator::AccountId account_;
  simulator::InProcessVenue venue_;
  RecoverOptions options_;
  std::optional<RecoveredEngine> live_;
  std::vector<std::pair<Seq, StateUpdate>> acked_;
  std::vector<std::pair<Seq, StateUpdate>> acked_since_shadow_;
  std::optional<EngineState> shadow_;
  EngineState recovered_local_;
  std::set<std::string> intents_;
  int crashes_during_recovery_ = 0;
};

}  // namespace crashdrill::system::testing

// Engine: the order-management core whose state crashdrill protects. It takes
// the strategy's intents, checks them against the risk limits, and sends them
// to the Venue — write-ahead: an order intent is durable in the WAL before it
// is sent, and every venue report (ack, reject, fill, cancel), risk halt and
// configuration change is logged before the state changes (the checkpointer's
// Commit contract). Nothing is acknowledged to the caller (the AckObserver)
// before it is durable.
//
// Single-threaded and deterministic: Step() is one turn of the loop (venue
// reports, periodic checkpoints, the circuit breaker, the strategy), run on
// the caller's thread with time from the Clock; the same seed, clock and venue
// give the same orders.
//
// Client order ids are "<prefix>-<state_seq>": the state_seq the order's intent
// was logged at. The prefix is the configured instance id ("cd1"), or after a
// recovery that lost history (damage in the log, or a rebuild from the venue)
// a new id space "cd1.<n>" that reconciliation logs as a configuration change:
// a recovered engine then never reuses an id even where its state_seq went
// back. IsOwnOrder tells the engine's orders (every id space of the instance)
// from anyone else's on the account.
//
// Full disk: when a commit fails with kNoSpace the engine halts new risk (no
// new order is sent), keeps every venue report it could not persist in order
// and retries it each step, says so in stats(), and resumes when a commit
// succeeds again. It acknowledges nothing it could not persist.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <string>

#include "system/engine/risk.h"
#include "system/engine/strategy.h"
#include "system/engine/venue.h"
#include "system/io/clock.h"
#include "system/levels/checkpointer.h"

namespace crashdrill::system {

struct EngineOptions {
  std::string instance_id = "cd1";
  std::string venue_name = "crashdrill-sim";
  std::string currency = "USD";
  std::string account_id = "engine";
  StrategyOptions strategy;
  RiskLimits limits;  // the configuration a new engine starts with
  uint64_t seed = 1;
  int64_t decision_period_ns = 20 * kNanosPerMilli;
  int64_t strategy_save_period_ns = 200 * kNanosPerMilli;  // StrategyUpdated commits
  int64_t pending_timeout_ns = 2 * kNanosPerSecond;        // then a silent order is queried
  size_t poll_batch = 512;
  size_t book_depth = 5;
  // Circuit breaker: this many rejects within the window halt trading.
  size_t rejects_to_halt = 50;
  int64_t reject_window_ns = 1 * kNanosPerSecond;
};

// The default options of the engine against the simulator's default exchange.
EngineOptions DefaultEngineOptions(uint64_t seed);

struct EngineStats {
  uint64_t steps = 0;
  uint64_t intents_logged = 0;
  uint64_t orders_sent = 0;
  uint64_t sends_unavailable = 0;  // outcome unknown: resolved later by query
  uint64_t risk_refused = 0;
  uint64_t decisions_halted = 0;  // strategy turns skipped: halted (risk or persistence)
  uint64_t cancels_requested = 0;
  uint64_t reports_applied = 0;
  uint64_t reports_duplicate = 0;   // at or below the last exchange_seq applied
  uint64_t reports_foreign = 0;     // of orders this engine does not know
  uint64_t reports_refused = 0;     // did not fit the state (listed in last_error)
  uint64_t report_gaps = 0;         // account_report_seq gaps filled by query
  uint64_t history_lost = 0;        // gaps the venue no longer kept: resynchronised
  uint64_t pending_adopted = 0;     // resolved by query: the venue had it
  uint64_t pending_never_sent = 0;  // resolved by query: the venue never got it
  uint64_t commit_failures = 0;
  uint64_t no_space = 0;             // commits refused for a full disk
  uint64_t checkpoint_failures = 0;  // periodic levels (L1, L2, snapshots)
  uint64_t halts = 0;
  bool space_halted = false;
  Status last_error;
};

// Told of every critical update once it is durable, with its state_seq.
using AckObserver = std::function<void(Seq, const StateUpdate&)>;
// Told of every critical update right before it is logged (applied and
// validated, not yet durable), with its state_seq: what a crash may have made
// durable without an acknowledgement (a harness's reference model).
using AttemptObserver = MultiLevelCheckpointer::BeforeLog;

// The halt reason of the engine's own halt while its state cannot be
// persisted ("persistence failed: <the error>"); lifted by the engine itself
// once a commit succeeds again, also after a restart.
inline constexpr std::string_view kPersistenceHaltPrefix = "persistence failed: ";

class Engine {
 public:
  // Nothing is owned. `checkpointer` is open on the recovered state.
  Engine(MultiLevelCheckpointer& checkpointer, Venue& venue, Clock& clock, EngineOptions options);

  // A new engine logs its configuration, its client order ids in `id_space`
  // ("<instance>.<id_space>-<seq>"; 0: "<instance>-<seq>"); a recovered one
  // restores its strategy.
  Status Start(uint64_t id_space = 0);
  // One turn of the loop; returns the first failure (the engine goes on).
  Status Step();

  // Applies one venue report, exactly once (a report at or below the last
  // exchange_seq applied is a duplicate); kNoSpace leaves it for the caller.
  Status ApplyReport(const ExecutionReport& report);
  // Resolves pending orders (intent logged, no report) by client order id:
  // adopted when the venue has the order, marked never sent when it does not;
  // never sent again. `force`: all of them, not only those past the timeout.
  Status ResolvePending(bool force);
  // Risk check, write-ahead intent, send.
  Status Submit(const OrderIntent& intent);
  Status RequestCancel(const std::string& client_order_id);
  // Commits `update` (critical) and tells the observer once it is durable.
  Status CommitCritical(const StateUpdate& update);

  void SetAckObserver(AckObserver observer) { observer_ = std::move(observer); }
  void SetAttemptObserver(AttemptObserver observer) {
    checkpointer_.SetBeforeLog(std::move(observer));
  }
  const EngineState& state() const { return checkpointer_.state(); }
  MultiLevelCheckpointer& checkpointer() { return checkpointer_; }
  Venue& venue() { return venue_; }
  const EngineStats& stats() const { return stats_; }
  const EngineOptions& options() const { return options_; }
  std::string ClientOrderId(Seq state_seq) const;
  // The prefix of new client order ids (the id space in use).
  std::string IdPrefix() const;
  bool IsOwnOrder(std::string_view client_order_id) const;
  // The highest exchange_seq applied or seen as a duplicate.
  Seq exchange_seq() const;
  // Reports at or below `exchange_seq` are gone from the venue: they count as
  // seen (what they did is taken from the venue's positions, balances and
  // orders by reconciliation).
  void SkipReportsThrough(Seq exchange_seq);
  // Reports were lost on the way and the venue no longer keeps them: the
  // engine sends nothing (Step polls and applies no more) until its owner
  // reconciles it (system/recovery/reconcile.h), which clears this.
  bool resync_needed() const { return resync_needed_; }
  void Resynchronised() { resync_needed_ = false; }

 private:
  Status Fail(Status status);
  Status PollVenue();
  Status DrainBacklog();
  Status CheckCircuitBreaker();
  Status TrySpaceResume();
  Status Decide();
  Status RetryCancels();
  Status SaveStrategy();
  Result<std::map<std::string, BookSnapshot>> ReadBooks();

  MultiLevelCheckpointer& checkpointer_;
  Venue& venue_;
  Clock& clock_;
  EngineOptions options_;
  MarketMakingStrategy strategy_;
  AckObserver observer_;
  EngineStats stats_;
  std::deque<ExecutionReport> backlog_;  // polled, not yet applied (in order)
  Seq seen_exchange_seq_ = 0;            // highest applied or skipped
  Seq last_account_report_seq_ = 0;
  bool resync_needed_ = false;
  std::map<std::string, int64_t> pending_since_ns_;  // mono time each pending was sent
  std::map<std::string, int64_t> cancel_sent_ns_;
  std::deque<int64_t> reject_times_ns_;
  int64_t next_decision_ns_ = 0;
  int64_t next_strategy_save_ns_ = 0;
};

}  // namespace crashdrill::system

#include "system/engine/engine.h"

#include <fmt/format.h>

#include <algorithm>

#include "system/io/broken_variant.h"

namespace crashdrill::system {

EngineOptions DefaultEngineOptions(uint64_t seed) {
  EngineOptions options;
  options.seed = seed;
  // The simulator's default symbols (simulator/exchange.h ExchangeConfig).
  options.strategy.instruments = {{"ACME", 1, 1, 10'000}, {"BOLT", 5, 10, 50'000}};
  options.strategy.levels_per_side = 8;
  options.limits.max_order_lots = 200;
  options.limits.max_position_lots = 400;
  options.limits.position_limit_lots = {{"BOLT", 2'000}};
  options.limits.max_daily_loss_minor = 50'000'000;
  options.limits.max_drawdown_minor = 100'000'000;
  return options;
}

Engine::Engine(MultiLevelCheckpointer& checkpointer, Venue& venue, Clock& clock,
               EngineOptions options)
    : checkpointer_(checkpointer),
      venue_(venue),
      clock_(clock),
      options_(std::move(options)),
      // Seeded by the recovered state too, so every life of the engine draws anew.
      strategy_(options_.strategy, Mix64(options_.seed ^ Mix64(checkpointer.state().state_seq()))) {
  seen_exchange_seq_ = checkpointer_.state().trading.last_exchange_seq;
}

std::string Engine::IdPrefix() const {
  const std::string& configured = state().config.system.instance_id;
  return configured.empty() ? options_.instance_id : configured;
}

std::string Engine::ClientOrderId(Seq state_seq) const {
  return fmt::format("{}-{}", IdPrefix(), state_seq);
}

bool Engine::IsOwnOrder(std::string_view client_order_id) const {
  const std::string& base = options_.instance_id;
  return client_order_id.size() > base.size() + 1 && client_order_id.starts_with(base) &&
         (client_order_id[base.size()] == '-' || client_order_id[base.size()] == '.');
}

Seq Engine::exchange_seq() const {
  return std::max(seen_exchange_seq_, state().trading.last_exchange_seq);
}

void Engine::SkipReportsThrough(Seq exchange_seq) {
  seen_exchange_seq_ = std::max(seen_exchange_seq_, exchange_seq);
}

Status Engine::Fail(Status status) {
  stats_.last_error = status;
  return status;
}

Status Engine::CommitCritical(const StateUpdate& update) {
  const Status status = checkpointer_.Commit(update);
  if (!status.ok()) {
    ++stats_.commit_failures;
    if (status.code() != StatusCode::kFailedPrecondition &&
        status.code() != StatusCode::kInvalidArgument) {
      // The state could not be persisted (full disk, I/O error, a failed
      // sync): no new risk until a commit succeeds again.
      if (status.code() == StatusCode::kNoSpace) ++stats_.no_space;
      stats_.space_halted = true;
    }
    return Fail(status);
  }
  if (observer_) observer_(state().state_seq(), update);
  return Status::Ok();
}

Status Engine::Start(uint64_t id_space) {
  const EngineState& s = state();
  if (s.config.version == 0) {
    ConfigurationState config;
    config.system.instance_id =
        id_space == 0 ? options_.instance_id : fmt::format("{}.{}", options_.instance_id, id_space);
    config.venues[options_.venue_name] = {options_.venue_name, "", options_.account_id, true};
    config.risk_limits = options_.limits;
    StrategyConfig strategy{options_.strategy.strategy_id, true, {}};
    strategy.parameters["levels_per_side"] = options_.strategy.levels_per_side;
    strategy.parameters["spacing_increments"] = options_.strategy.spacing_increments;
    config.strategies[strategy.strategy_id] = strategy;
    config.version = 1;
    CD_RETURN_IF_ERROR(CommitCritical(ConfigChanged{config}));
  }
  if (s.trading.risk.halted && s.trading.risk.halt_reason.starts_with(kPersistenceHaltPrefix)) {
    // The engine's own halt for a failed write, and the process died before
    // the resume that follows it (TrySpaceResume): this commit succeeding is
    // the proof that halt waits for, so resume now. A circuit breaker's halt
    // is the operator's to lift and stays.
    CD_RETURN_IF_ERROR(CommitCritical(RiskResumed{}));
  }
  if (auto it = s.strategies.find(options_.strategy.strategy_id); it != s.strategies.end()) {
    strategy_.Restore(it->second);
  }
  const int64_t now = clock_.Mono();
  next_decision_ns_ = now;
  next_strategy_save_ns_ = now + options_.strategy_save_period_ns;
  return Status::Ok();
}

Status Engine::ApplyReport(const ExecutionReport& r) {
  if (r.exchange_seq <= exchange_seq()) {
    ++stats_.reports_duplicate;
    return Status::Ok();
  }
  const TradingState& t = state().trading;
  const std::string& id = r.client_order_id;
  const bool pending = t.pending_orders.contains(id);
  const bool open = t.open_orders.contains(id);
  std::vector<StateUpdate> updates;
  switch (r.type) {
    case ExecType::kNewAck:
      if (pending) updates.push_back(OrderAcknowledged{id, r.exchange_order_id, r.exchange_seq});
      break;
    case ExecType::kReject:
      if (pending) {
        updates.push_back(
            OrderRejected{id, std::string(RejectReasonName(r.reason)), r.exchange_seq});
        reject_times_ns_.push_back(clock_.Mono());
      }
      break;
    case ExecType::kPartialFill:
    case ExecType::kFill:
      if (pending || open) updates.push_back(FillReceived{r.fill, options_.currency});
      break;
    case ExecType::kCancelAck:
      // The ack takes no exchange_seq: were the engine to stop between the two
      // commits, the cancel would still be applied after recovery.
      if (pending) updates.push_back(OrderAcknowledged{id, r.exchange_order_id, 0});
      if (pending || open) updates.push_back(CancelAcknowledged{id, r.exchange_seq});
      break;
    case ExecType::kCancelReject:
      cancel_sent_ns_.erase(id);  // the order closed on its own; its report says how
      break;
  }
  if (updates.empty()) {
    if (!pending && !open) ++stats_.reports_foreign;
    seen_exchange_seq_ = std::max(seen_exchange_seq_, r.exchange_seq);
    return Status::Ok();
  }
  for (const StateUpdate& update : updates) {
    const Status status = CommitCritical(update);
    if (status.code() == StatusCode::kFailedPrecondition ||
        status.code() == StatusCode::kInvalidArgument) {
      // It does not fit the state (e.g. a fill beyond the order): listed, not applied.
      ++stats_.reports_refused;
      seen_exchange_seq_ = std::max(seen_exchange_seq_, r.exchange_seq);
      return Status::Ok();
    }
    CD_RETURN_IF_ERROR(status);
  }
  ++stats_.reports_applied;
  pending_since_ns_.erase(id);
  if (!state().trading.open_orders.contains(id)) cancel_sent_ns_.erase(id);
  seen_exchange_seq_ = std::max(seen_exchange_seq_, r.exchange_seq);
  return Status::Ok();
}

Status Engine::PollVenue() {
  auto reports = venue_.Poll(options_.poll_batch);
  if (!reports.ok()) return reports.status();  // the link is down; try again next step
  for (ExecutionReport& r : *reports) {
    if (last_account_report_seq_ != 0 && r.account_report_seq > last_account_report_seq_ + 1) {
      // Reports were lost on the way: fetch them by exchange_seq.
      ++stats_.report_gaps;
      Seq after = exchange_seq();
      if (!backlog_.empty()) after = std::max(after, backlog_.back().exchange_seq);
      auto missed = venue_.QueryReportsSince(after, options_.poll_batch);
      if (!missed.ok() && missed.status().code() == StatusCode::kFailedPrecondition) {
        // What was missed is gone: the reports after it cannot be applied as
        // if it was not. Reconciliation fetches what the venue still keeps.
        ++stats_.history_lost;
        resync_needed_ = true;
        backlog_.clear();
        last_account_report_seq_ = reports->back().account_report_seq;
        Status lost = missed.status();
        lost.Annotate(
            "reports were lost on the way and the venue no longer keeps them: nothing is "
            "sent until the engine is reconciled");
        return Fail(std::move(lost));
      }
      if (!missed.ok()) return missed.status();
      for (ExecutionReport& m : *missed) {
        if (m.exchange_seq < r.exchange_seq) backlog_.push_back(std::move(m));
      }
    }
    last_account_report_seq_ = std::max(last_account_report_seq_, r.account_report_seq);
    backlog_.push_back(std::move(r));
  }
  return Status::Ok();
}

Status Engine::DrainBacklog() {
  while (!backlog_.empty()) {
    CD_RETURN_IF_ERROR(ApplyReport(backlog_.front()));
    backlog_.pop_front();
  }
  return Status::Ok();
}

Status Engine::CheckCircuitBreaker() {
  const TradingState& t = state().trading;
  if (t.risk.halted) return Status::Ok();
  const int64_t now = clock_.Mono();
  while (!reject_times_ns_.empty() && reject_times_ns_.front() < now - options_.reject_window_ns) {
    reject_times_ns_.pop_front();
  }
  std::optional<std::string> reason = LossHaltReason(state());
  if (!reason && reject_times_ns_.size() >= options_.rejects_to_halt) {
    reason = fmt::format("circuit breaker: {} rejects within {} ms", reject_times_ns_.size(),
                         options_.reject_window_ns / kNanosPerMilli);
  }
  if (!reason) return Status::Ok();
  CD_RETURN_IF_ERROR(CommitCritical(RiskHalted{*reason}));
  ++stats_.halts;
  return Status::Ok();
}

// After a failed commit: a halt record that persists proves the disk takes
// writes again; it is followed at once by the resume, so the log says when
// trading stopped for lack of space and when it went on.
Status Engine::TrySpaceResume() {
  if (!stats_.space_halted || !backlog_.empty()) return Status::Ok();
  if (state().trading.risk.halted) {
    stats_.space_halted = false;  // a risk halt stops new orders anyway
    return Status::Ok();
  }
  const std::string reason =
      fmt::format("{}{}", kPersistenceHaltPrefix, stats_.last_error.ToString());
  CD_RETURN_IF_ERROR(CommitCritical(RiskHalted{reason}));
  CD_RETURN_IF_ERROR(CommitCritical(RiskResumed{}));
  stats_.space_halted = false;
  return Status::Ok();
}

Status Engine::Submit(const OrderIntent& intent) {
  if (stats_.space_halted) {
    ++stats_.risk_refused;
    return Status::Error(StatusCode::kFailedPrecondition, "risk", "halted",
                         "no new orders while the state cannot be persisted");
  }
  if (Status risk = CheckPreTrade(state(), intent); !risk.ok()) {
    ++stats_.risk_refused;
    return risk;
  }
  const TimeNs now = clock_.Wall();
  Order order;
  order.client_order_id = ClientOrderId(state().state_seq() + 1);
  order.symbol = intent.symbol;
  order.venue = options_.venue_name;
  order.strategy_id = intent.strategy_id;
  order.side = intent.side;
  order.type = intent.type;
  order.price_ticks = intent.type == OrderType::kMarket ? 0 : intent.price_ticks;
  order.quantity_lots = intent.quantity_lots;
  order.created_ns = now;
  order.updated_ns = now;
  // Write-ahead: the intent is durable before the order leaves.
  CD_RETURN_IF_ERROR(CommitCritical(OrderSubmitted{order}));
  ++stats_.intents_logged;
  pending_since_ns_[order.client_order_id] = clock_.Mono();
  const Status sent = venue_.Submit(NewOrder{order.client_order_id, order.symbol, order.side,
                                             order.type, order.price_ticks, order.quantity_lots});
  if (!sent.ok()) {
    // Maybe it arrived, maybe not: ResolvePending asks the venue, never resends.
    ++stats_.sends_unavailable;
    return Status::Ok();
  }
  ++stats_.orders_sent;
  return Status::Ok();
}

Status Engine::RequestCancel(const std::string& client_order_id) {
  const auto& open = state().trading.open_orders;
  const auto it = open.find(client_order_id);
  if (it == open.end()) {
    return Status::Error(StatusCode::kNotFound, "cancel", client_order_id, "not an open order");
  }
  if (!it->second.cancel_requested) {
    CD_RETURN_IF_ERROR(CommitCritical(CancelRequested{client_order_id}));
    ++stats_.cancels_requested;
  }
  cancel_sent_ns_[client_order_id] = clock_.Mono();
  (void)venue_.Cancel(client_order_id).ok();  // a lost cancel is sent again by RetryCancels
  return Status::Ok();
}

Status Engine::RetryCancels() {
  const int64_t now = clock_.Mono();
  for (const auto& [id, order] : state().trading.open_orders) {
    if (!order.cancel_requested) continue;
    auto sent = cancel_sent_ns_.find(id);
    if (sent != cancel_sent_ns_.end() && now - sent->second < options_.pending_timeout_ns) continue;
    cancel_sent_ns_[id] = now;
    (void)venue_.Cancel(id).ok();  // idempotent at the venue: a closed order is a cancel reject
  }
  return Status::Ok();
}

Status Engine::ResolvePending(bool force) {
  const int64_t now = clock_.Mono();
  std::vector<std::string> ids;
  for (const auto& [id, order] : state().trading.pending_orders) {
    const auto since = pending_since_ns_.find(id);
    const bool due =
        since == pending_since_ns_.end() || now - since->second >= options_.pending_timeout_ns;
    if (force || due) ids.push_back(id);
  }
  for (const std::string& id : ids) {
    // kResendPendingAfterRestart: an intent of an earlier life is sent again, not looked up.
    if (CRASHDRILL_BROKEN(kResendPendingAfterRestart) && !pending_since_ns_.contains(id)) {
      const Order& o = state().trading.pending_orders.at(id);
      (void)venue_.Submit({id, o.symbol, o.side, o.type, o.price_ticks, o.quantity_lots}).ok();
      pending_since_ns_[id] = now;
      continue;
    }
    auto found = venue_.QueryOrder(id);
    if (found.ok()) {
      // The venue has it: adopt it. No exchange_seq: its reports, when they
      // come, are applied as usual and none is skipped.
      CD_RETURN_IF_ERROR(CommitCritical(OrderAcknowledged{id, found->order.exchange_order_id, 0}));
      ++stats_.pending_adopted;
      if (found->state != OrderState::kOpen && found->order.filled_lots == 0) {
        CD_RETURN_IF_ERROR(CommitCritical(CancelAcknowledged{id, 0}));
      }
    } else if (found.status().code() == StatusCode::kNotFound) {
      CD_RETURN_IF_ERROR(CommitCritical(
          OrderRejected{id, "never sent: the venue does not have it (resolved by query)", 0}));
      ++stats_.pending_never_sent;
    } else {
      return found.status();  // unreachable venue: stays pending, asked again later
    }
    pending_since_ns_.erase(id);
  }
  return Status::Ok();
}

Result<std::map<std::string, BookSnapshot>> Engine::ReadBooks() {
  std::map<std::string, BookSnapshot> books;
  for (const Instrument& instrument : options_.strategy.instruments) {
    auto book = venue_.QueryBook(instrument.symbol, options_.book_depth);
    if (!book.ok()) return book.status();
    books[instrument.symbol] = std::move(book).value();
  }
  MarketDataState market = state().market_data;
  market.books = books;
  market.status = FeedStatus::kLive;
  market.last_update_ns = clock_.Wall();
  checkpointer_.SetMarketData(std::move(market));
  return books;
}

Status Engine::Decide() {
  const int64_t now = clock_.Mono();
  if (now < next_decision_ns_) return Status::Ok();
  next_decision_ns_ = now + options_.decision_period_ns;
  if (stats_.space_halted || state().trading.risk.halted) {
    ++stats_.decisions_halted;
    return Status::Ok();
  }
  CD_ASSIGN_OR_RETURN(auto books, ReadBooks());
  const StrategyDecision decision = strategy_.Decide(state(), books);
  for (const std::string& id : decision.cancel) CD_RETURN_IF_ERROR(RequestCancel(id));
  for (const OrderIntent& intent : decision.submit) {
    const Status status = Submit(intent);
    if (!status.ok() && status.code() != StatusCode::kFailedPrecondition) return status;
  }
  return Status::Ok();
}

Status Engine::SaveStrategy() {
  const int64_t now = clock_.Mono();
  if (now < next_strategy_save_ns_) return Status::Ok();
  next_strategy_save_ns_ = now + options_.strategy_save_period_ns;
  // Strategy state is not critical: no state_seq, not logged (state_update.h).
  return checkpointer_.Commit(
      StrategyUpdated{strategy_.Snapshot(clock_.Wall(), state().trading.realized_pnl_minor)});
}

Status Engine::Step() {
  ++stats_.steps;
  if (resync_needed_) {
    ++stats_.decisions_halted;
    return Status::Error(StatusCode::kFailedPrecondition, "step", "",
                         "reports lost: waiting for reconciliation");
  }
  Status first;
  const auto note = [&first, this](Status status) {
    if (!status.ok()) {
      stats_.last_error = status;
      if (first.ok()) first = std::move(status);
    }
  };
  note(PollVenue());
  note(DrainBacklog());
  note(TrySpaceResume());
  if (Status tick = checkpointer_.Tick(); !tick.ok()) {
    ++stats_.checkpoint_failures;
    note(std::move(tick));
  }
  note(CheckCircuitBreaker());
  note(ResolvePending(/*force=*/false));
  note(RetryCancels());
  note(Decide());
  note(SaveStrategy());
  return first;
}

}  // namespace crashdrill::system

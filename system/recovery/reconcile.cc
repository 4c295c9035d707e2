#include "system/recovery/reconcile.h"

#include <fmt/format.h>

#include <limits>

#include "system/io/broken_variant.h"

namespace crashdrill::system {
namespace {

std::string Describe(const Position& p) {
  return fmt::format("{} lots, cost {}, realized {}", p.quantity_lots, p.cost_minor,
                     p.realized_pnl_minor);
}
std::string Describe(const Balance& b) {
  return fmt::format("total {}, available {}", b.total_minor, b.available_minor);
}
std::string Describe(const Order& o) {
  return fmt::format("{} {} {} @ {} filled {}/{}", SideName(o.side), o.symbol,
                     OrderTypeName(o.type), o.price_ticks, o.filled_lots, o.quantity_lots);
}

bool SamePosition(const Position& a, const Position& b) {
  return a.quantity_lots == b.quantity_lots && a.cost_minor == b.cost_minor &&
         a.realized_pnl_minor == b.realized_pnl_minor;
}

class Reconciler {
 public:
  Reconciler(Engine& engine, Clock& clock, RecoveryReport& report, const ReconcileOptions& options)
      : engine_(engine),
        clock_(clock),
        venue_(engine.venue()),
        report_(report),
        options_(options) {}

  Status Run() {
    const uint64_t applied_before = engine_.stats().reports_applied;
    CD_RETURN_IF_ERROR(ApplyReportsSinceLast(/*downtime=*/true));
    const uint64_t adopted = engine_.stats().pending_adopted;
    const uint64_t never_sent = engine_.stats().pending_never_sent;
    CD_RETURN_IF_ERROR(engine_.ResolvePending(/*force=*/true));
    report_.pending_adopted += engine_.stats().pending_adopted - adopted;
    report_.pending_never_sent += engine_.stats().pending_never_sent - never_sent;
    // Everything that asks the venue comes before the quiet point, so what is
    // compared and adopted is the venue as it is when reconciliation returns.
    CD_RETURN_IF_ERROR(ScanIdSpaces());
    CD_RETURN_IF_ERROR(RebuildMarketData());
    bool quiet = false;
    for (int round = 0; round < options_.rounds_max && !quiet; ++round) {
      CD_ASSIGN_OR_RETURN(positions_, venue_.QueryPositions());
      CD_ASSIGN_OR_RETURN(balances_, venue_.QueryBalances());
      CD_ASSIGN_OR_RETURN(open_orders_, venue_.QueryOpenOrders());
      CD_RETURN_IF_ERROR(ScanIdSpacesIfIdsAhead());
      // Consistent only if nothing happened to the account since the reports applied.
      CD_ASSIGN_OR_RETURN(quiet, NoNewReports());
    }
    if (!quiet) {
      return Status::Error(StatusCode::kUnavailable, "reconcile", "",
                           fmt::format("the account kept changing over {} rounds of queries: "
                                       "positions not compared",
                                       options_.rounds_max));
    }
    CD_RETURN_IF_ERROR(CompareOpenOrders());
    CD_RETURN_IF_ERROR(ComparePositions());
    CD_RETURN_IF_ERROR(CompareBalances());
    // What was adopted reflects reports that fitted no local order (applied
    // as nothing): make durable that they are in the state, or a restart
    // would apply them again to the adopted orders and positions.
    if (engine_.exchange_seq() > engine_.state().trading.last_exchange_seq) {
      CD_RETURN_IF_ERROR(engine_.CommitCritical(ReportsSeen{engine_.exchange_seq()}));
    }
    CD_RETURN_IF_ERROR(NewIdSpaceIfHistoryWasLost());
    report_.reports_applied += engine_.stats().reports_applied - applied_before;
    return Status::Ok();
  }

 private:
  // `downtime`: the catch-up on what happened while the engine was down.
  Status ApplyReportsSinceLast(bool downtime = false) {
    while (true) {
      auto reports = venue_.QueryReportsSince(engine_.exchange_seq(), options_.page);
      if (!reports.ok() && reports.status().code() == StatusCode::kFailedPrecondition) {
        // What is gone counts as seen; what the venue still keeps is applied
        // as usual, and positions, balances and open orders are adopted.
        const Seq from = engine_.exchange_seq();
        if (skipped_ && from == gone_through_) return reports.status();  // no progress
        CD_ASSIGN_OR_RETURN(const Seq gone_through, LastSeqGone(from));
        skipped_ = true;
        gone_through_ = gone_through;
        report_.notes.push_back(
            fmt::format("the venue no longer keeps reports after exchange_seq {} ({}); it "
                        "keeps them after {}: what happened in between is taken from its "
                        "positions, balances and open orders",
                        from, reports.status().ToString(), gone_through));
        report_.reports_gone = true;
        engine_.SkipReportsThrough(gone_through);
        continue;
      }
      CD_RETURN_IF_ERROR(reports.status());
      if (reports->empty()) return Status::Ok();
      for (const ExecutionReport& r : *reports) {
        // kIgnoreDowntimeFills: the fills of the downtime are skipped, not applied.
        if (CRASHDRILL_BROKEN(kIgnoreDowntimeFills) && downtime &&
            (r.type == ExecType::kFill || r.type == ExecType::kPartialFill)) {
          continue;
        }
        SeeOwnSeq(r.client_order_id);
        CD_RETURN_IF_ERROR(engine_.ApplyReport(r));
      }
      if (reports->size() < options_.page) return Status::Ok();
    }
  }

  // The lowest `after` the venue answers, `refused` being one it refuses
  // (kFailedPrecondition: its history was trimmed past it): every report at
  // or below it is gone, every one above it kept. A search of the boundary
  // with single-report queries, doubling the step, then halving it.
  Result<Seq> LastSeqGone(Seq refused) {
    const auto kept = [this](Seq after) -> Result<bool> {
      auto page = venue_.QueryReportsSince(after, 1);
      if (page.ok()) return true;
      if (page.status().code() == StatusCode::kFailedPrecondition) return false;
      return page.status();
    };
    Seq step = 1;
    Seq accepted = refused;
    while (true) {
      accepted = refused > std::numeric_limits<Seq>::max() - step ? std::numeric_limits<Seq>::max()
                                                                  : refused + step;
      CD_ASSIGN_OR_RETURN(const bool ok, kept(accepted));
      if (ok) break;
      if (accepted == std::numeric_limits<Seq>::max()) {
        return Status::Error(StatusCode::kFailedPrecondition, "reconcile", "",
                             "the venue refuses every report query: no history kept");
      }
      refused = accepted;
      step =
          step > std::numeric_limits<Seq>::max() / 2 ? std::numeric_limits<Seq>::max() : step * 2;
    }
    while (accepted - refused > 1) {  // refused fails, accepted succeeds
      const Seq middle = refused + (accepted - refused) / 2;
      CD_ASSIGN_OR_RETURN(const bool ok, kept(middle));
      (ok ? accepted : refused) = middle;
    }
    return accepted;
  }

  // Applies what came in since; true when nothing did.
  Result<bool> NoNewReports() {
    auto reports = venue_.QueryReportsSince(engine_.exchange_seq(), 1);
    if (!reports.ok() && reports.status().code() != StatusCode::kFailedPrecondition) {
      return reports.status();
    }
    if (reports.ok() && reports->empty()) return true;
    CD_RETURN_IF_ERROR(ApplyReportsSinceLast());  // also past a history trimmed meanwhile
    return false;
  }

  void Note(std::string what, std::string key, std::string local, std::string venue,
            std::string action) {
    report_.discrepancies.push_back(
        {std::move(what), std::move(key), std::move(local), std::move(venue), std::move(action)});
  }

  Status CompareOpenOrders() {
    std::map<std::string, const Order*> at_venue;
    for (const Order& o : open_orders_) at_venue[o.client_order_id] = &o;
    // Copies: commits change the state's maps.
    const std::map<std::string, Order> local = engine_.state().trading.open_orders;
    for (const auto& [id, order] : local) {
      const auto it = at_venue.find(id);
      if (it == at_venue.end()) {
        CD_RETURN_IF_ERROR(engine_.CommitCritical(CancelAcknowledged{id, 0}));
        Note("open_order", id, Describe(order), "not open",
             "closed locally: the venue no longer has it open");
        continue;
      }
      const Order& v = *it->second;
      if (v.filled_lots != order.filled_lots || v.quantity_lots != order.quantity_lots ||
          v.price_ticks != order.price_ticks || v.side != order.side || v.symbol != order.symbol) {
        Order adopted = order;
        adopted.exchange_order_id = v.exchange_order_id;
        adopted.filled_lots = v.filled_lots;
        adopted.quantity_lots = v.quantity_lots;
        adopted.price_ticks = v.price_ticks;
        adopted.side = v.side;
        adopted.symbol = v.symbol;
        CD_RETURN_IF_ERROR(engine_.CommitCritical(CancelAcknowledged{id, 0}));
        CD_RETURN_IF_ERROR(engine_.CommitCritical(OrderSubmitted{adopted}));
        CD_RETURN_IF_ERROR(engine_.CommitCritical(OrderAcknowledged{id, v.exchange_order_id, 0}));
        Note("open_order", id, Describe(order), Describe(v), "adopted the venue's order");
      }
    }
    for (const Order& v : open_orders_) {
      if (local.contains(v.client_order_id)) continue;
      if (engine_.state().trading.pending_orders.contains(v.client_order_id)) continue;
      Order adopted = v;
      adopted.venue = engine_.options().venue_name;
      CD_RETURN_IF_ERROR(engine_.CommitCritical(OrderSubmitted{adopted}));
      CD_RETURN_IF_ERROR(
          engine_.CommitCritical(OrderAcknowledged{v.client_order_id, v.exchange_order_id, 0}));
      Note("open_order", v.client_order_id, "unknown", Describe(v),
           engine_.IsOwnOrder(v.client_order_id) ? "adopted (an order of this engine)"
                                                 : "adopted (not placed by this engine)");
    }
    return Status::Ok();
  }

  Status ComparePositions() {
    std::map<std::string, Position> at_venue;
    for (const Position& p : positions_) at_venue[p.symbol] = p;
    std::set<std::string> symbols;
    for (const auto& [symbol, p] : engine_.state().trading.positions) symbols.insert(symbol);
    for (const auto& [symbol, p] : at_venue) symbols.insert(symbol);
    for (const std::string& symbol : symbols) {
      const auto& local_positions = engine_.state().trading.positions;
      const auto l = local_positions.find(symbol);
      const Position local = l == local_positions.end() ? Position{symbol} : l->second;
      const auto v = at_venue.find(symbol);
      const Position venue = v == at_venue.end() ? Position{symbol} : v->second;
      if (SamePosition(local, venue)) continue;
      CD_RETURN_IF_ERROR(engine_.CommitCritical(PositionSet{venue}));
      Note("position", symbol, Describe(local), Describe(venue), "adopted the venue's position");
    }
    return Status::Ok();
  }

  Status CompareBalances() {
    for (const Balance& venue : balances_) {
      const std::string key = BalanceKey(venue.venue, venue.currency);
      const auto& local_balances = engine_.state().trading.balances;
      const auto l = local_balances.find(key);
      const Balance local =
          l == local_balances.end() ? Balance{venue.venue, venue.currency} : l->second;
      if (l != local_balances.end() && local == venue) continue;
      CD_RETURN_IF_ERROR(engine_.CommitCritical(BalanceSet{venue}));
      // `available` is derived at the venue (total less what open buy orders
      // reserve) and kept current by this adoption; only a different total is
      // a discrepancy.
      if (local.total_minor != venue.total_minor) {
        Note("balance", key, Describe(local), Describe(venue), "adopted the venue's balance");
      }
    }
    return Status::Ok();
  }

  uint64_t IdSpaceOf(std::string_view id) const {
    return system::IdSpaceOf(engine_.options().instance_id, id);
  }

  // After a recovery that lost history (the log stopped at damage, nothing
  // local was valid, or the directory is empty but the venue has this
  // engine's orders) the state_seq may be below ids already used: new orders
  // take ids in a new id space, above every space the venue has seen.
  bool MayHaveLostHistory() const {
    return report_.HistoryMayBeLost() || report_.source == "empty";
  }

  // The id spaces the venue's reports show (asked before the quiet point).
  Status ScanIdSpaces() {
    if (!MayHaveLostHistory()) return Status::Ok();
    CD_ASSIGN_OR_RETURN(const IdSpaces spaces,
                        system::ScanIdSpaces(venue_, engine_.options().instance_id, options_.page));
    own_seen_ = own_seen_ || spaces.own_seen;
    highest_space_ = std::max(highest_space_, spaces.highest);
    reports_complete_ = spaces.complete;
    return Status::Ok();
  }

  // The highest state_seq among the venue's ids of the id space in use: an id
  // above the local state_seq was sent by a history the local state lost
  // (damage the log reader took for a torn tail, a copy gone), and new ids
  // would repeat it.
  void SeeOwnSeq(std::string_view id) {
    const std::string prefix = engine_.IdPrefix() + "-";
    if (!id.starts_with(prefix)) return;
    Seq seq = 0;
    for (size_t i = prefix.size(); i < id.size(); ++i) {
      if (id[i] < '0' || id[i] > '9') return;
      seq = seq * 10 + static_cast<Seq>(id[i] - '0');
    }
    highest_own_seq_ = std::max(highest_own_seq_, seq);
  }

  void SeeId(const std::string& id) {
    if (!engine_.IsOwnOrder(id)) return;
    own_seen_ = true;
    highest_space_ = std::max(highest_space_, IdSpaceOf(id));
  }

  // Before the quiet point (a query lets the venue move on): when the venue
  // shows ids of the space in use above the local state_seq and the spaces
  // were not scanned already, which spaces the venue has seen.
  Status ScanIdSpacesIfIdsAhead() {
    if (MayHaveLostHistory() || scanned_for_ids_ahead_) return Status::Ok();
    for (const Order& o : open_orders_) SeeOwnSeq(o.client_order_id);
    if (highest_own_seq_ <= engine_.state().state_seq()) return Status::Ok();
    CD_ASSIGN_OR_RETURN(const IdSpaces spaces,
                        system::ScanIdSpaces(venue_, engine_.options().instance_id, options_.page));
    highest_space_ = std::max(highest_space_, spaces.highest);
    reports_complete_ = spaces.complete;
    scanned_for_ids_ahead_ = true;
    return Status::Ok();
  }

  Status NewIdSpaceIfHistoryWasLost() {
    for (const Order& o : open_orders_) SeeOwnSeq(o.client_order_id);
    const bool ids_ahead = highest_own_seq_ > engine_.state().state_seq();
    if (ids_ahead) {
      report_.notes.push_back(fmt::format(
          "the venue has order {}-{}, above the recovered state_seq {}: history was lost",
          engine_.IdPrefix(), highest_own_seq_, engine_.state().state_seq()));
    }
    bool lost = report_.HistoryMayBeLost() || ids_ahead;
    if (!lost && report_.source != "empty") return Status::Ok();
    // Which spaces the venue has seen was asked before the quiet point
    // (ScanIdSpacesIfIdsAhead): ids ahead now were ahead then.
    for (const Order& o : open_orders_) SeeId(o.client_order_id);
    const uint64_t highest = highest_space_;
    const bool own_seen = own_seen_;
    const bool complete = reports_complete_;
    if (report_.source == "empty" && (own_seen || !complete)) {
      lost = true;
      report_.source = "venue";
      report_.notes.push_back(
          "the state directory holds nothing, but the venue has orders of this engine: its "
          "state was lost; positions, balances and open orders are rebuilt from the venue");
    }
    if (!lost) return Status::Ok();
    if (!ids_ahead && complete && IdSpaceOf(engine_.IdPrefix()) > highest) {
      // The space in use is above every one the venue has seen (chosen when
      // the engine started on an empty directory): no id can repeat.
      return Status::Ok();
    }
    ConfigurationState config = engine_.state().config;
    config.system.instance_id =
        fmt::format("{}.{}", engine_.options().instance_id,
                    NextIdSpace({.highest = highest, .own_seen = own_seen, .complete = complete},
                                IdSpaceOf(engine_.IdPrefix()), clock_.Wall()));
    ++config.version;
    CD_RETURN_IF_ERROR(engine_.CommitCritical(ConfigChanged{config}));
    report_.notes.push_back(fmt::format(
        "history was lost, so state_seq may repeat ids already sent: new orders take client "
        "order ids {}-<state_seq>{}",
        config.system.instance_id,
        complete ? ""
                 : " (the venue no longer keeps its oldest reports: the id space is "
                   "above every one it still shows, and taken from the wall clock)"));
    return Status::Ok();
  }

  Status RebuildMarketData() {
    MarketDataState market;
    for (const Instrument& instrument : engine_.options().strategy.instruments) {
      CD_ASSIGN_OR_RETURN(BookSnapshot book,
                          venue_.QueryBook(instrument.symbol, engine_.options().book_depth));
      market.books[instrument.symbol] = std::move(book);
    }
    market.status = FeedStatus::kLive;
    market.last_update_ns = engine_.state().trading.last_update_ns;
    engine_.checkpointer().SetMarketData(std::move(market));
    return Status::Ok();
  }

  Engine& engine_;
  Clock& clock_;
  Venue& venue_;
  RecoveryReport& report_;
  const ReconcileOptions& options_;
  std::vector<Position> positions_;
  std::vector<Balance> balances_;
  std::vector<Order> open_orders_;
  uint64_t highest_space_ = 0;  // of the ids the venue's reports show
  bool own_seen_ = false;
  Seq highest_own_seq_ = 0;  // of the venue's ids in the id space in use
  bool reports_complete_ = true;
  bool scanned_for_ids_ahead_ = false;  // ScanIdSpacesIfIdsAhead asked the venue
  // Reports the venue no longer kept were skipped, through gone_through_ (the
  // last time): a second refusal from the same point is no progress.
  bool skipped_ = false;
  Seq gone_through_ = 0;
};

}  // namespace

uint64_t IdSpaceOf(std::string_view base, std::string_view id) {
  if (!id.starts_with(base) || id.size() <= base.size() || id[base.size()] != '.') return 0;
  uint64_t n = 0;
  for (size_t i = base.size() + 1; i < id.size() && id[i] >= '0' && id[i] <= '9'; ++i) {
    n = n * 10 + static_cast<uint64_t>(id[i] - '0');
  }
  return n;
}

Result<IdSpaces> ScanIdSpaces(Venue& venue, std::string_view base, size_t page_size) {
  IdSpaces spaces;
  for (Seq after = 0;;) {
    auto page = venue.QueryReportsSince(after, page_size);
    if (!page.ok() && page.status().code() == StatusCode::kFailedPrecondition) {
      spaces.complete = false;
      return spaces;
    }
    CD_RETURN_IF_ERROR(page.status());
    for (const ExecutionReport& r : *page) {
      after = r.exchange_seq;
      const std::string_view id = r.client_order_id;
      const bool own = id.size() > base.size() + 1 && id.starts_with(base) &&
                       (id[base.size()] == '-' || id[base.size()] == '.');
      if (!own) continue;
      spaces.own_seen = true;
      spaces.highest = std::max(spaces.highest, IdSpaceOf(base, id));
    }
    if (page->size() < page_size) return spaces;
  }
}

uint64_t NextIdSpace(const IdSpaces& seen, uint64_t current, int64_t wall_ns) {
  const uint64_t next = std::max(seen.highest, current) + 1;
  if (seen.complete || wall_ns <= 0) return next;
  return std::max(next, static_cast<uint64_t>(wall_ns / kNanosPerMilli));
}

Status Reconcile(Engine& engine, Clock& clock, RecoveryReport& report,
                 const ReconcileOptions& options) {
  const int64_t start = clock.Mono();
  Reconciler reconciler(engine, clock, report, options);
  Status status = reconciler.Run();
  report.phases.reconcile_ns += clock.Mono() - start;
  report.reconcile_status = status;
  report.reconciled = status.ok();
  if (status.ok()) engine.Resynchronised();
  report.final_seq = engine.state().state_seq();
  return status;
}

}  // namespace crashdrill::system

#include "scenarios/drill/drill_checks.h"

#include <fmt/format.h>

#include <map>

#include "system/io/posix_fs.h"
#include "system/levels/wal_reader.h"
#include "system/recovery/local_recovery.h"
#include "system/state/state_update.h"

namespace crashdrill::scenarios {
namespace {

using reports::DrillCheck;

struct LoggedRecord {
  std::string type;
  std::string detail;
};

// The WAL's records by state_seq, with the id an acknowledgement names.
system::Status ReadLog(const std::string& state_dir, std::map<uint64_t, LoggedRecord>& log) {
  system::PosixFs fs;
  system::WalReader reader(fs, system::WalDir(state_dir));
  system::WalEnd end;
  return reader.Read(
      0,
      [&](const system::WalRecordView& record) {
        auto update = system::DecodeStateUpdate(record.type, record.payload, "drill check");
        if (!update.ok()) return update.status();
        LoggedRecord logged{std::string(system::RecordTypeName(record.type)), ""};
        if (const auto* s = std::get_if<system::OrderSubmitted>(&*update)) {
          logged.detail = s->order.client_order_id;
        } else if (const auto* f = std::get_if<system::FillReceived>(&*update)) {
          logged.detail =
              fmt::format("{} exchange_seq {}", f->fill.client_order_id, f->fill.exchange_seq);
        }
        log[record.state_seq] = std::move(logged);
        return system::Status::Ok();
      },
      end);
}

bool NamesItsDetail(const std::string& type) {
  return type == "order_submit" || type == "fill_received";
}

}  // namespace

DrillCheck CheckNothingAcknowledgedLost(const std::string& state_dir, const std::vector<Ack>& acks,
                                        uint64_t recovered_seq, int64_t* lost_since_ns) {
  *lost_since_ns = 0;
  DrillCheck check{"P2", false, ""};
  std::map<uint64_t, LoggedRecord> log;
  if (const system::Status read = ReadLog(state_dir, log); !read.ok()) {
    check.evidence = fmt::format("the log could not be read: {}", read.ToString());
    return check;
  }
  const uint64_t log_first = log.empty() ? UINT64_MAX : log.begin()->first;
  uint64_t newest = 0, compared = 0, covered = 0;
  std::vector<std::string> lost;
  for (const Ack& ack : acks) {
    newest = std::max(newest, ack.seq);
    std::string why;
    if (ack.seq > recovered_seq) {
      why = fmt::format("state_seq {} ({} {}) is past the recovered state_seq {}", ack.seq,
                        ack.type, ack.detail, recovered_seq);
    } else if (ack.seq < log_first) {
      ++covered;  // older than the log: a snapshot covers it, and recovered_seq is past it
    } else if (const auto it = log.find(ack.seq); it == log.end()) {
      why = fmt::format("state_seq {} ({} {}) is not in the log", ack.seq, ack.type, ack.detail);
    } else if (it->second.type != ack.type ||
               (NamesItsDetail(ack.type) && it->second.detail != ack.detail)) {
      why = fmt::format("state_seq {} was acknowledged as {} {} but the log has {} {}", ack.seq,
                        ack.type, ack.detail, it->second.type, it->second.detail);
    } else {
      ++compared;
    }
    if (!why.empty()) {
      if (*lost_since_ns == 0 || ack.wall_ns < *lost_since_ns) *lost_since_ns = ack.wall_ns;
      lost.push_back(std::move(why));
    }
  }
  check.held = lost.empty() && !acks.empty();
  if (acks.empty()) {
    check.evidence = "no acknowledgement was seen: nothing to check";
  } else if (lost.empty()) {
    check.evidence = fmt::format(
        "{} acknowledged records, newest state_seq {}: {} found in the log as acknowledged, {} "
        "older than the log (covered by a snapshot); recovered state_seq {}",
        acks.size(), newest, compared, covered, recovered_seq);
  } else {
    check.evidence = fmt::format("{} of {} acknowledged records lost; first: {}", lost.size(),
                                 acks.size(), lost.front());
  }
  return check;
}

DrillCheck CheckAgreementWithVenue(const std::string& state_dir, system::Venue& venue) {
  DrillCheck check{"P1", false, ""};
  system::PosixFs fs;
  system::SystemClock clock;
  system::LocalRecoveryOptions options;
  options.state_dir = state_dir;
  auto local = system::RecoverLocal(fs, clock, options);
  auto positions = venue.QueryPositions();
  auto open = venue.QueryOpenOrders();
  auto balances = venue.QueryBalances();
  for (const system::Status& status :
       {local.status(), positions.status(), open.status(), balances.status()}) {
    if (!status.ok()) {
      check.evidence = fmt::format("could not compare: {}", status.ToString());
      return check;
    }
  }
  const system::TradingState& t = local->state.trading;
  std::vector<std::string> differences;
  std::map<std::string, system::Position> venue_positions;
  for (const system::Position& p : *positions) venue_positions[p.symbol] = p;
  for (const auto& [symbol, p] : t.positions)
    venue_positions.try_emplace(symbol, system::Position{symbol});
  for (const auto& [symbol, v] : venue_positions) {
    const auto l = t.positions.find(symbol);
    const system::Position mine = l == t.positions.end() ? system::Position{symbol} : l->second;
    if (mine.quantity_lots != v.quantity_lots || mine.cost_minor != v.cost_minor) {
      differences.push_back(
          fmt::format("position {}: engine {} lots cost {}, venue {} lots cost {}", symbol,
                      mine.quantity_lots, mine.cost_minor, v.quantity_lots, v.cost_minor));
    }
  }
  std::set<std::string> venue_open;
  for (const system::Order& o : *open) {
    venue_open.insert(o.client_order_id);
    const auto l = t.open_orders.find(o.client_order_id);
    if (l == t.open_orders.end() || l->second.filled_lots != o.filled_lots) {
      differences.push_back(fmt::format("venue order {} (filled {}) is not open locally as such",
                                        o.client_order_id, o.filled_lots));
    }
  }
  for (const auto& [id, order] : t.open_orders) {
    if (!venue_open.contains(id))
      differences.push_back(fmt::format("order {} open only locally", id));
  }
  for (const system::Balance& b : *balances) {
    const auto l = t.balances.find(system::BalanceKey(b.venue, b.currency));
    if (l == t.balances.end() || l->second.total_minor != b.total_minor) {
      differences.push_back(
          fmt::format("balance {}/{}: venue {}, engine {}", b.venue, b.currency, b.total_minor,
                      l == t.balances.end() ? "none" : std::to_string(l->second.total_minor)));
    }
  }
  check.held = differences.empty();
  check.evidence =
      differences.empty()
          ? fmt::format(
                "state_seq {}: {} positions, {} open orders and {} balances equal the "
                "venue's exactly",
                t.state_seq, venue_positions.size(), venue_open.size(), balances->size())
          : fmt::format("{} differences; first: {}", differences.size(), differences.front());
  return check;
}

DrillCheck CheckNoDuplicateOrOrphanOrders(system::Venue& venue,
                                          const std::set<std::string>& intents, uint64_t* cursor) {
  DrillCheck check{"P4", false, ""};
  uint64_t reports = 0, duplicates = 0;
  std::set<std::string> orders, orphans;
  const uint64_t from = *cursor;
  while (true) {
    auto page = venue.QueryReportsSince(*cursor, 1000);
    if (!page.ok()) {
      check.evidence = fmt::format("could not read the venue's reports after exchange_seq {}: {}",
                                   *cursor, page.status().ToString());
      return check;
    }
    if (page->empty()) break;
    for (const system::ExecutionReport& r : *page) {
      ++reports;
      *cursor = r.exchange_seq;
      duplicates += r.reason == system::RejectReason::kDuplicateClientOrderId;
      orders.insert(r.client_order_id);
      if (!intents.contains(r.client_order_id)) orphans.insert(r.client_order_id);
    }
  }
  check.held = duplicates == 0 && orphans.empty();
  check.evidence = fmt::format(
      "{} venue reports after exchange_seq {} ({} orders): {} refused as duplicates, {} with no "
      "acknowledged intent{}",
      reports, from, orders.size(), duplicates, orphans.size(),
      orphans.empty() ? "" : fmt::format(" (first: {})", *orphans.begin()));
  return check;
}

}  // namespace crashdrill::scenarios

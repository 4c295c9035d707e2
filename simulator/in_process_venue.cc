#include "simulator/in_process_venue.h"

#include <algorithm>

namespace crashdrill::simulator {

using system::ExecutionReport;
using system::Result;
using system::Status;
using system::StatusCode;
using system::TimeNs;

InProcessVenue::InProcessVenue(Exchange& exchange, Market* market, system::Clock& clock,
                               AccountId account, LinkConfig link, uint64_t seed)
    : exchange_(exchange),
      market_(market),
      clock_(clock),
      account_(account),
      link_(link),
      random_(seed),
      collected_report_seq_(exchange.LastReportSeq(account)) {}

Status InProcessVenue::Unavailable(std::string_view operation, std::string_view why) const {
  Status status =
      Status::Error(StatusCode::kUnavailable, operation, exchange_.account(account_).name, why);
  status.MarkInjected();
  return status;
}

void InProcessVenue::Pump() {
  const TimeNs now_ns = clock_.Mono();
  while (!to_exchange_.empty() && to_exchange_.front().due_ns <= now_ns) {
    Request request = std::move(to_exchange_.front());
    to_exchange_.pop_front();
    if (market_ != nullptr) market_->AdvanceTo(request.due_ns);
    if (request.cancel) {
      exchange_.Cancel(account_, request.order.client_order_id, request.due_ns);
    } else {
      exchange_.Submit(account_, request.order, request.due_ns);
    }
  }
  if (market_ != nullptr) market_->AdvanceTo(now_ns);
  CollectReports();
}

void InProcessVenue::CollectReports() {
  constexpr size_t kBatch = 1024;
  for (;;) {
    std::vector<ExecutionReport> reports =
        exchange_.ReportsAfter(account_, collected_report_seq_, kBatch);
    for (ExecutionReport& report : reports) {
      collected_report_seq_ = report.account_report_seq;
      if (ChancePerMillion(random_, faults_.drop_to_engine_per_million) ||
          to_engine_.size() >= link_.in_flight_max) {
        ++counters_.reports_dropped;
        continue;
      }
      const TimeNs visible_ns =
          std::max(last_report_visible_ns_, report.exchange_time_ns + link_.latency_to_engine_ns +
                                                faults_.delay_to_engine_ns);
      last_report_visible_ns_ = visible_ns;
      to_engine_.push_back({visible_ns, std::move(report)});
    }
    if (reports.size() < kBatch) return;
  }
}

Status InProcessVenue::Send(Request request, std::string_view operation) {
  Pump();
  ++counters_.requests_sent;
  if (faults_.partition_to_exchange ||
      ChancePerMillion(random_, faults_.drop_to_exchange_per_million) ||
      to_exchange_.size() >= link_.in_flight_max) {
    ++counters_.requests_dropped;
    return Unavailable(operation, "request lost on the way to the exchange");
  }
  const TimeNs now_ns = clock_.Mono();
  request.due_ns = std::max(last_request_due_ns_,
                            now_ns + link_.latency_to_exchange_ns + faults_.delay_to_exchange_ns);
  last_request_due_ns_ = request.due_ns;
  to_exchange_.push_back(std::move(request));
  if (faults_.partition_to_engine ||
      ChancePerMillion(random_, faults_.drop_to_engine_per_million)) {
    ++counters_.responses_dropped;
    return Unavailable(operation, "sent, but the link to the engine failed before the reply");
  }
  return Status::Ok();
}

Status InProcessVenue::Submit(const system::NewOrder& order) {
  return Send(Request{0, false, order}, "venue_submit");
}

Status InProcessVenue::Cancel(std::string_view client_order_id) {
  Request request;
  request.cancel = true;
  request.order.client_order_id = std::string(client_order_id);
  return Send(std::move(request), "venue_cancel");
}

Result<std::vector<ExecutionReport>> InProcessVenue::Poll(size_t max_count) {
  Pump();
  if (faults_.partition_to_engine) return Unavailable("venue_poll", "link to the engine down");
  const TimeNs now_ns = clock_.Mono();
  std::vector<ExecutionReport> out;
  while (!to_engine_.empty() && out.size() < max_count && to_engine_.front().visible_ns <= now_ns) {
    out.push_back(std::move(to_engine_.front().report));
    to_engine_.pop_front();
  }
  counters_.reports_delivered += out.size();
  return out;
}

// A query is one round trip: it fails as a whole if either direction fails.
Status InProcessVenue::QueryLink(std::string_view operation) {
  Pump();
  if (faults_.partition_to_exchange ||
      ChancePerMillion(random_, faults_.drop_to_exchange_per_million)) {
    return Unavailable(operation, "query lost on the way to the exchange");
  }
  if (faults_.partition_to_engine ||
      ChancePerMillion(random_, faults_.drop_to_engine_per_million)) {
    return Unavailable(operation, "reply lost on the way to the engine");
  }
  return Status::Ok();
}

Result<std::vector<system::Position>> InProcessVenue::QueryPositions() {
  CD_RETURN_IF_ERROR(QueryLink("venue_query_positions"));
  return exchange_.Positions(account_);
}

Result<std::vector<system::Balance>> InProcessVenue::QueryBalances() {
  CD_RETURN_IF_ERROR(QueryLink("venue_query_balances"));
  return std::vector<system::Balance>{exchange_.BalanceOf(account_)};
}

Result<std::vector<system::Order>> InProcessVenue::QueryOpenOrders() {
  CD_RETURN_IF_ERROR(QueryLink("venue_query_open_orders"));
  return exchange_.OpenOrders(account_);
}

Result<system::VenueOrder> InProcessVenue::QueryOrder(std::string_view client_order_id) {
  CD_RETURN_IF_ERROR(QueryLink("venue_query_order"));
  return exchange_.OrderOf(account_, client_order_id);
}

Result<std::vector<ExecutionReport>> InProcessVenue::QueryReportsSince(system::Seq after,
                                                                       size_t max_count) {
  CD_RETURN_IF_ERROR(QueryLink("venue_query_reports_since"));
  return exchange_.ReportsSince(account_, after, max_count);
}

Result<std::vector<system::Fill>> InProcessVenue::QueryFillsSince(system::Seq after,
                                                                  size_t max_count) {
  CD_RETURN_IF_ERROR(QueryLink("venue_query_fills_since"));
  return exchange_.FillsSince(account_, after, max_count);
}

Result<system::BookSnapshot> InProcessVenue::QueryBook(std::string_view symbol, size_t depth) {
  CD_RETURN_IF_ERROR(QueryLink("venue_query_book"));
  return exchange_.BookOf(symbol, depth);
}

}  // namespace crashdrill::simulator

// InProcessVenue: the Venue of one exchange account inside the simulation process.
// Requests and reports travel over a simulated link with latency measured on the
// Clock's Mono() (the exchange's own time, so wall-clock skew never reaches it),
// and NetworkFaults can delay, drop or partition either direction at any moment,
// including during recovery. Deterministic: drops come from a seeded Random.
// A message-level link: a dropped request never arrives; a dropped report is lost
// from the Poll stream (a gap in account_report_seq) and must be re-fetched with
// QueryReportsSince. A partition towards the engine holds reports until it heals.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "simulator/exchange.h"
#include "simulator/market.h"
#include "simulator/random.h"
#include "system/engine/venue.h"
#include "system/io/clock.h"

namespace crashdrill::simulator {

// One value holds every network fault; set it, change it or clear it at any time.
struct NetworkFaults {
  system::TimeNs delay_to_exchange_ns = 0;  // added to the link latency
  system::TimeNs delay_to_engine_ns = 0;
  uint32_t drop_to_exchange_per_million = 0;
  uint32_t drop_to_engine_per_million = 0;
  bool partition_to_exchange = false;  // engine -> exchange messages are lost
  bool partition_to_engine = false;    // exchange -> engine messages are lost or held

  bool operator==(const NetworkFaults&) const = default;
};

struct LinkConfig {
  system::TimeNs latency_to_exchange_ns = 50'000;
  system::TimeNs latency_to_engine_ns = 50'000;
  size_t in_flight_max = 1 << 16;  // per direction; beyond it messages are dropped
};

struct LinkCounters {
  uint64_t requests_sent = 0;
  uint64_t requests_dropped = 0;
  uint64_t responses_dropped = 0;  // the call returned kUnavailable after sending
  uint64_t reports_delivered = 0;
  uint64_t reports_dropped = 0;
};

class InProcessVenue final : public system::Venue {
 public:
  // `market` may be null (a quiet exchange); it is advanced in time order with the
  // requests. `account` must be an account of `exchange`.
  InProcessVenue(Exchange& exchange, Market* market, system::Clock& clock, AccountId account,
                 LinkConfig link, uint64_t seed);

  void SetNetworkFaults(const NetworkFaults& faults) { faults_ = faults; }
  void ClearNetworkFaults() { faults_ = NetworkFaults{}; }
  const NetworkFaults& network_faults() const { return faults_; }
  const LinkCounters& counters() const { return counters_; }

  // Delivers requests and runs market actions due by clock.Mono(), in time order,
  // and moves new reports onto the link. Every Venue call pumps first.
  void Pump();

  system::Status Submit(const system::NewOrder& order) override;
  system::Status Cancel(std::string_view client_order_id) override;
  system::Result<std::vector<system::ExecutionReport>> Poll(size_t max_count) override;
  system::Result<std::vector<system::Position>> QueryPositions() override;
  system::Result<std::vector<system::Balance>> QueryBalances() override;
  system::Result<std::vector<system::Order>> QueryOpenOrders() override;
  system::Result<system::VenueOrder> QueryOrder(std::string_view client_order_id) override;
  system::Result<std::vector<system::ExecutionReport>> QueryReportsSince(
      system::Seq after_exchange_seq, size_t max_count) override;
  system::Result<std::vector<system::Fill>> QueryFillsSince(system::Seq after_exchange_seq,
                                                            size_t max_count) override;
  system::Result<system::BookSnapshot> QueryBook(std::string_view symbol, size_t depth) override;

 private:
  struct Request {
    system::TimeNs due_ns = 0;
    bool cancel = false;
    system::NewOrder order;  // for a cancel only client_order_id is used
  };
  struct InFlightReport {
    system::TimeNs visible_ns = 0;
    system::ExecutionReport report;
  };

  system::Status Send(Request request, std::string_view operation);
  system::Status QueryLink(std::string_view operation);
  void CollectReports();
  system::Status Unavailable(std::string_view operation, std::string_view why) const;

  Exchange& exchange_;
  Market* market_;
  system::Clock& clock_;
  AccountId account_;
  LinkConfig link_;
  Random random_;
  NetworkFaults faults_;
  LinkCounters counters_;
  std::deque<Request> to_exchange_;
  std::deque<InFlightReport> to_engine_;
  system::TimeNs last_request_due_ns_ = 0;
  system::TimeNs last_report_visible_ns_ = 0;
  system::Seq collected_report_seq_ = 0;
};

}  // namespace crashdrill::simulator

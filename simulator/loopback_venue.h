// LoopbackVenue: the Venue of one account on an ExchangeServer, for an engine in its
// own process. Blocking calls with a bounded timeout each; any socket failure,
// timeout or mismatched reply closes the connection and returns kUnavailable, and
// the next call reconnects and says Hello again, resuming the account's session
// (reports not yet polled are still there). An error the exchange reports (e.g.
// kNotFound, kFailedPrecondition) comes back as that Status.
#pragma once

#include <cstdint>
#include <string>

#include "simulator/protocol.h"
#include "system/engine/venue.h"

namespace crashdrill::simulator {

struct LoopbackVenueConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string account;
  int timeout_ms = 2000;  // per call
};

class LoopbackVenue final : public system::Venue {
 public:
  explicit LoopbackVenue(LoopbackVenueConfig config) : config_(std::move(config)) {}
  ~LoopbackVenue() override { Disconnect(); }
  LoopbackVenue(const LoopbackVenue&) = delete;
  LoopbackVenue& operator=(const LoopbackVenue&) = delete;

  // Drops the connection (as a killed engine would); the next call reconnects.
  void Disconnect();
  bool connected() const { return fd_ >= 0; }

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
  // Serves at most kMaxBookLevels (64) levels per side, whatever `depth` asks.
  system::Result<system::BookSnapshot> QueryBook(std::string_view symbol, size_t depth) override;

 private:
  system::Status Connect();
  system::Result<Frame> Call(MessageType type, std::string payload, MessageType expected);
  system::Result<Frame> Exchange(MessageType type, std::string payload);
  system::Status Unavailable(std::string_view operation, std::string_view why);
  template <typename T>
  system::Result<std::vector<T>> CallList(MessageType type, std::string payload,
                                          MessageType expected);

  LoopbackVenueConfig config_;
  int fd_ = -1;
  uint32_t next_request_id_ = 1;
  std::string in_;
};

}  // namespace crashdrill::simulator

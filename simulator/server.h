// ExchangeServer: the exchange on a loopback TCP port, speaking protocol.h. One
// thread runs a poll() loop that serves every session and advances the background
// market on a timer, so matching goes on while a client is gone. Sessions resume
// by account (a Hello naming the account), not by connection: the poll cursor
// lives with the account, and a second Hello for an account closes the older
// connection. A malformed frame gets kProtocolError and a closed session; it never
// stops the server. Only 127.0.0.0/8 addresses are accepted.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "simulator/exchange.h"
#include "simulator/market.h"
#include "simulator/protocol.h"
#include "system/io/status.h"

namespace crashdrill::simulator {

struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: an ephemeral port, see ExchangeServer::port()
  uint64_t seed = 1;
  ExchangeConfig exchange;
  MarketConfig market;
  int market_tick_ms = 5;
  size_t connections_max = 64;
  size_t write_buffer_bytes_max = 8 << 20;  // a client that does not read is closed
};

class ExchangeServer {
 public:
  explicit ExchangeServer(ServerConfig config);
  ~ExchangeServer();
  ExchangeServer(const ExchangeServer&) = delete;
  ExchangeServer& operator=(const ExchangeServer&) = delete;

  // Binds, listens and starts the loop thread.
  system::Status Start();
  // Stops the loop and closes every socket; safe to call twice.
  void Stop();
  uint16_t port() const { return port_; }
  uint64_t protocol_errors() const { return protocol_errors_.load(); }
  uint64_t sessions_accepted() const { return sessions_accepted_.load(); }

  // Fault hooks a harness drives (process-mode network faults, DESIGN §6).
  // A partition is a black hole, not a refusal: connections are accepted and
  // what they send is read and thrown away, nothing is answered, so a client
  // sees its calls time out, as across a real partition. Healing closes every
  // connection that lived through it (their requests are lost, as in flight),
  // and the clients reconnect. The exchange itself goes on matching.
  void SetPartitioned(bool partitioned);
  // A paused market makes no background actions and its clock stands still
  // (resuming does not make up for the pause), so the venue holds still while
  // a harness compares an engine's state with it.
  void SetMarketPaused(bool paused);

  // Runs `read` on the exchange under the loop's lock (truth for tests).
  template <typename Read>
  auto WithExchange(Read read) {
    std::lock_guard<std::mutex> lock(mutex_);
    return read(static_cast<const Exchange&>(*exchange_));
  }

 private:
  struct Connection {
    int fd = -1;
    std::string in;
    std::string out;
    bool has_account = false;
    AccountId account = 0;
    bool closing = false;
    bool blackholed = false;  // lived through a partition: closed when it heals
  };

  void Loop();
  void AcceptOne();
  void ReadFrom(Connection& connection);
  Frame Handle(Connection& connection, const Frame& request);
  Frame HandleAccountRequest(AccountId account, const Frame& request, bool* malformed);
  void Hello(Connection& connection, std::string_view payload, bool* malformed);
  void ProtocolError(Connection& connection, std::string_view message);
  void Flush(Connection& connection);
  int64_t NowNs() const;

  ServerConfig config_;
  std::unique_ptr<Exchange> exchange_;
  std::unique_ptr<Market> market_;
  std::mutex mutex_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};
  uint16_t port_ = 0;
  int64_t start_mono_ns_ = 0;
  bool partitioned_ = false;     // under mutex_
  bool market_paused_ = false;   // under mutex_
  int64_t paused_since_ns_ = 0;  // raw mono, while paused
  int64_t paused_total_ns_ = 0;  // excluded from the market's clock
  std::vector<std::unique_ptr<Connection>> connections_;
  std::unordered_map<AccountId, system::Seq> poll_cursors_;
  std::atomic<uint64_t> protocol_errors_{0};
  std::atomic<uint64_t> sessions_accepted_{0};
};

// "127.0.0.1:0" -> host and port; kInvalidArgument unless the host is 127.x.y.z.
system::Status ParseLoopbackAddress(std::string_view address, std::string* host, uint16_t* port);

}  // namespace crashdrill::simulator

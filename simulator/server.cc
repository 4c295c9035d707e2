#include "simulator/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "system/io/clock.h"

namespace crashdrill::simulator {

using system::Status;

Status ParseLoopbackAddress(std::string_view address, std::string* host, uint16_t* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("parse_address", "expected HOST:PORT");
  }
  *host = std::string(address.substr(0, colon));
  const std::string_view port_text = address.substr(colon + 1);
  unsigned value = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (error != std::errc() || end != port_text.data() + port_text.size() || value > 65535) {
    return Status::InvalidArgument("parse_address", "bad port in " + std::string(address));
  }
  in_addr parsed{};
  if (inet_pton(AF_INET, host->c_str(), &parsed) != 1 || (ntohl(parsed.s_addr) >> 24) != 127) {
    return Status::InvalidArgument("parse_address", "only 127.0.0.0/8 addresses are served");
  }
  *port = static_cast<uint16_t>(value);
  return Status::Ok();
}

ExchangeServer::ExchangeServer(ServerConfig config)
    : config_(std::move(config)),
      exchange_(std::make_unique<Exchange>(config_.exchange)),
      market_(std::make_unique<Market>(*exchange_, config_.market, config_.seed)) {}

ExchangeServer::~ExchangeServer() { Stop(); }

int64_t ExchangeServer::NowNs() const {
  system::SystemClock clock;
  const int64_t now = market_paused_ ? paused_since_ns_ : clock.Mono();
  return now - start_mono_ns_ - paused_total_ns_;
}

void ExchangeServer::SetPartitioned(bool partitioned) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (partitioned == partitioned_) return;
  partitioned_ = partitioned;
  for (auto& connection : connections_) {
    if (partitioned) {
      connection->blackholed = true;
      connection->out.clear();  // nothing in flight gets through either
    } else if (connection->blackholed) {
      connection->closing = true;
      connection->in.clear();
    }
  }
  const char byte = 1;  // the loop closes healed connections now, not at its next tick
  [[maybe_unused]] ssize_t written = ::write(wake_fds_[1], &byte, 1);
}

void ExchangeServer::SetMarketPaused(bool paused) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (paused == market_paused_) return;
  system::SystemClock clock;
  if (paused) {
    paused_since_ns_ = clock.Mono();
  } else {
    paused_total_ns_ += clock.Mono() - paused_since_ns_;
  }
  market_paused_ = paused;
}

Status ExchangeServer::Start() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) return Status::FromErrno(errno, "socket", config_.host);
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(config_.port);
  if (inet_pton(AF_INET, config_.host.c_str(), &address.sin_addr) != 1 ||
      (ntohl(address.sin_addr.s_addr) >> 24) != 127) {
    return Status::InvalidArgument("listen", "only 127.0.0.0/8 addresses are served");
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return Status::FromErrno(errno, "bind", config_.host);
  }
  if (::listen(listen_fd_, 64) != 0) return Status::FromErrno(errno, "listen", config_.host);
  socklen_t length = sizeof(address);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  if (::pipe2(wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return Status::FromErrno(errno, "pipe2", "wake");
  }
  system::SystemClock clock;
  start_mono_ns_ = clock.Mono();
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void ExchangeServer::Stop() {
  if (thread_.joinable()) {
    stop_.store(true);
    const char byte = 1;
    [[maybe_unused]] ssize_t written = ::write(wake_fds_[1], &byte, 1);
    thread_.join();
  }
  for (auto& connection : connections_) ::close(connection->fd);
  connections_.clear();
  for (int* fd : {&listen_fd_, &wake_fds_[0], &wake_fds_[1]}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void ExchangeServer::Loop() {
  std::vector<pollfd> fds;
  while (!stop_.load()) {
    fds.clear();
    fds.push_back({wake_fds_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (auto& connection : connections_) {
      const short events = static_cast<short>((connection->closing ? 0 : POLLIN) |
                                              (connection->out.empty() ? 0 : POLLOUT));
      fds.push_back({connection->fd, events, 0});
    }
    if (::poll(fds.data(), fds.size(), config_.market_tick_ms) < 0 && errno != EINTR) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (!market_paused_) market_->AdvanceTo(NowNs());
    if (wake_fds_[0] >= 0 && (fds[0].revents & POLLIN) != 0) {
      char drain[64];
      while (::read(wake_fds_[0], drain, sizeof(drain)) > 0) {
      }
    }
    for (size_t i = 0; i < connections_.size(); ++i) {
      Connection& connection = *connections_[i];
      const short revents = fds[i + 2].revents;
      if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !connection.closing) {
        ReadFrom(connection);
      }
      Flush(connection);
    }
    std::erase_if(connections_, [](const std::unique_ptr<Connection>& connection) {
      if (connection->fd >= 0) return false;
      return true;
    });
    if ((fds[1].revents & POLLIN) != 0) AcceptOne();
  }
}

void ExchangeServer::AcceptOne() {
  const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return;
  if (connections_.size() >= config_.connections_max) {
    ::close(fd);
    return;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  auto connection = std::make_unique<Connection>();
  connection->fd = fd;
  connection->blackholed = partitioned_;
  connections_.push_back(std::move(connection));
  sessions_accepted_.fetch_add(1);
}

void ExchangeServer::ReadFrom(Connection& connection) {
  char chunk[64 * 1024];
  const ssize_t received = ::recv(connection.fd, chunk, sizeof(chunk), MSG_DONTWAIT);
  if (received == 0 || (received < 0 && errno != EAGAIN && errno != EINTR)) {
    connection.closing = true;
    connection.out.clear();
    return;
  }
  if (received < 0) return;
  if (connection.blackholed) return;  // across a partition: read, never answered
  connection.in.append(chunk, static_cast<size_t>(received));
  size_t offset = 0;
  while (!connection.closing) {
    Frame frame;
    size_t consumed = 0;
    std::string error;
    const std::string_view rest = std::string_view(connection.in).substr(offset);
    const FrameParse parse = ParseFrame(rest, frame, consumed, error);
    if (parse == FrameParse::kNeedMore) break;
    if (parse == FrameParse::kError) {
      ProtocolError(connection, error);
      break;
    }
    offset += consumed;
    Frame reply = Handle(connection, frame);
    if (!connection.closing) AppendFrame(reply, connection.out);
  }
  connection.in.erase(0, offset);
}

void ExchangeServer::ProtocolError(Connection& connection, std::string_view message) {
  protocol_errors_.fetch_add(1);
  Writer writer;
  writer.String(message);
  AppendFrame({MessageType::kProtocolError, 0, writer.Take()}, connection.out);
  connection.closing = true;
  connection.in.clear();
}

void ExchangeServer::Flush(Connection& connection) {
  while (!connection.out.empty()) {
    const ssize_t sent = ::send(connection.fd, connection.out.data(), connection.out.size(),
                                MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent <= 0) {
      if (sent < 0 && (errno == EAGAIN || errno == EINTR)) break;
      connection.closing = true;
      connection.out.clear();
      break;
    }
    connection.out.erase(0, static_cast<size_t>(sent));
  }
  const bool too_much = connection.out.size() > config_.write_buffer_bytes_max;
  if ((connection.closing && connection.out.empty()) || too_much) {
    ::close(connection.fd);
    connection.fd = -1;
  }
}

}  // namespace crashdrill::simulator

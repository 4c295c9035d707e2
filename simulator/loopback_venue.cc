#include "simulator/loopback_venue.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace crashdrill::simulator {

using system::Result;
using system::Status;
using system::StatusCode;

void LoopbackVenue::Disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  in_.clear();
}

Status LoopbackVenue::Unavailable(std::string_view operation, std::string_view why) {
  Disconnect();
  return Status::Error(StatusCode::kUnavailable, operation,
                       config_.host + ":" + std::to_string(config_.port), why);
}

Status LoopbackVenue::Connect() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Unavailable("connect", "socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(config_.port);
  if (inet_pton(AF_INET, config_.host.c_str(), &address.sin_addr) != 1) {
    Disconnect();
    return Status::InvalidArgument("connect", "bad host " + config_.host);
  }
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return Unavailable("connect", "connection refused or failed");
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  Writer writer;
  writer.String(config_.account);
  CD_ASSIGN_OR_RETURN(Frame reply, Exchange(MessageType::kHello, writer.Take()));
  if (reply.type != MessageType::kOk) return Unavailable("hello", "the exchange refused Hello");
  return Status::Ok();
}

// Sends one request and reads its reply; any failure disconnects.
Result<Frame> LoopbackVenue::Exchange(MessageType type, std::string payload) {
  const uint32_t request_id = next_request_id_++;
  std::string bytes;
  AppendFrame({type, request_id, std::move(payload)}, bytes);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.timeout_ms);
  size_t sent_bytes = 0;
  while (sent_bytes < bytes.size()) {
    const ssize_t sent =
        ::send(fd_, bytes.data() + sent_bytes, bytes.size() - sent_bytes, MSG_NOSIGNAL);
    if (sent <= 0) return Unavailable("send", "the connection failed");
    sent_bytes += static_cast<size_t>(sent);
  }
  for (;;) {
    Frame frame;
    size_t consumed = 0;
    std::string error;
    const FrameParse parse = ParseFrame(in_, frame, consumed, error);
    if (parse == FrameParse::kError) return Unavailable("receive", error);
    if (parse == FrameParse::kFrame) {
      in_.erase(0, consumed);
      if (frame.type == MessageType::kProtocolError) {
        return Unavailable("receive", "the exchange closed the session: protocol error");
      }
      if (frame.request_id != request_id) return Unavailable("receive", "reply out of order");
      return frame;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd descriptor{fd_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&descriptor, 1, static_cast<int>(left.count())) <= 0) {
      return Unavailable("receive", "timed out waiting for the exchange");
    }
    char chunk[64 * 1024];
    const ssize_t received = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (received <= 0) return Unavailable("receive", "the exchange closed the connection");
    in_.append(chunk, static_cast<size_t>(received));
  }
}

Result<Frame> LoopbackVenue::Call(MessageType type, std::string payload, MessageType expected) {
  if (fd_ < 0) CD_RETURN_IF_ERROR(Connect());
  CD_ASSIGN_OR_RETURN(Frame reply, Exchange(type, std::move(payload)));
  if (reply.type == MessageType::kError) {
    Reader reader(reply.payload);
    const uint8_t code = reader.U8();
    const std::string operation = reader.String(256);
    const std::string message = reader.String(4096);
    if (!reader.AtEnd() || code == 0 || code > static_cast<uint8_t>(StatusCode::kInternal)) {
      return Unavailable("receive", "malformed error reply");
    }
    return Status::Error(static_cast<StatusCode>(code), operation, config_.account, message);
  }
  if (reply.type != expected) return Unavailable("receive", "unexpected reply type");
  return reply;
}

template <typename T>
Result<std::vector<T>> LoopbackVenue::CallList(MessageType type, std::string payload,
                                               MessageType expected) {
  CD_ASSIGN_OR_RETURN(Frame reply, Call(type, std::move(payload), expected));
  auto items = DecodeList<T>(reply.payload);
  if (!items) return Unavailable("receive", "malformed reply payload");
  return std::move(*items);
}

Status LoopbackVenue::Submit(const system::NewOrder& order) {
  Writer writer;
  Encode(writer, order);
  return Call(MessageType::kSubmit, writer.Take(), MessageType::kOk).status();
}

Status LoopbackVenue::Cancel(std::string_view client_order_id) {
  Writer writer;
  writer.String(client_order_id);
  return Call(MessageType::kCancel, writer.Take(), MessageType::kOk).status();
}

Result<std::vector<system::ExecutionReport>> LoopbackVenue::Poll(size_t max_count) {
  Writer writer;
  writer.U32(static_cast<uint32_t>(std::min<size_t>(max_count, kMaxItemsPerReply)));
  return CallList<system::ExecutionReport>(MessageType::kPoll, writer.Take(),
                                           MessageType::kReports);
}

Result<std::vector<system::Position>> LoopbackVenue::QueryPositions() {
  return CallList<system::Position>(MessageType::kQueryPositions, {}, MessageType::kPositions);
}

Result<std::vector<system::Balance>> LoopbackVenue::QueryBalances() {
  return CallList<system::Balance>(MessageType::kQueryBalances, {}, MessageType::kBalances);
}

Result<std::vector<system::Order>> LoopbackVenue::QueryOpenOrders() {
  return CallList<system::Order>(MessageType::kQueryOpenOrders, {}, MessageType::kOrders);
}

Result<system::VenueOrder> LoopbackVenue::QueryOrder(std::string_view client_order_id) {
  Writer writer;
  writer.String(client_order_id);
  CD_ASSIGN_OR_RETURN(Frame reply,
                      Call(MessageType::kQueryOrder, writer.Take(), MessageType::kVenueOrder));
  Reader reader(reply.payload);
  system::VenueOrder order;
  if (!Decode(reader, order) || !reader.AtEnd()) {
    return Unavailable("receive", "malformed order reply");
  }
  return order;
}

Result<std::vector<system::ExecutionReport>> LoopbackVenue::QueryReportsSince(system::Seq after,
                                                                              size_t max_count) {
  Writer writer;
  writer.U64(after);
  writer.U32(static_cast<uint32_t>(std::min<size_t>(max_count, kMaxItemsPerReply)));
  return CallList<system::ExecutionReport>(MessageType::kQueryReportsSince, writer.Take(),
                                           MessageType::kReports);
}

Result<std::vector<system::Fill>> LoopbackVenue::QueryFillsSince(system::Seq after,
                                                                 size_t max_count) {
  Writer writer;
  writer.U64(after);
  writer.U32(static_cast<uint32_t>(std::min<size_t>(max_count, kMaxItemsPerReply)));
  return CallList<system::Fill>(MessageType::kQueryFillsSince, writer.Take(), MessageType::kFills);
}

Result<system::BookSnapshot> LoopbackVenue::QueryBook(std::string_view symbol, size_t depth) {
  if (symbol.size() > system::kMaxSymbolBytes) {  // the server would call it malformed
    return Status::Error(StatusCode::kNotFound, "query_book", std::string(symbol),
                         "longer than any symbol (kMaxSymbolBytes)");
  }
  Writer writer;
  writer.String(symbol);
  writer.U32(static_cast<uint32_t>(std::min<size_t>(depth, kMaxBookLevels)));
  CD_ASSIGN_OR_RETURN(Frame reply,
                      Call(MessageType::kQueryBook, writer.Take(), MessageType::kBook));
  Reader reader(reply.payload);
  system::BookSnapshot book;
  if (!Decode(reader, book) || !reader.AtEnd()) {
    return Unavailable("receive", "malformed book reply");
  }
  return book;
}

}  // namespace crashdrill::simulator

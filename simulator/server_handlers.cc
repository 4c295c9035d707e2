// The request handlers of ExchangeServer: one reply frame per request frame.
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "simulator/server.h"

namespace crashdrill::simulator {
namespace {

Frame Reply(MessageType type, uint32_t request_id, std::string payload = {}) {
  return Frame{type, request_id, std::move(payload)};
}

Frame ErrorReply(uint32_t request_id, const system::Status& status) {
  Writer writer;
  writer.U8(static_cast<uint8_t>(status.code()));
  writer.String(status.operation());
  writer.String(status.message());
  return Reply(MessageType::kError, request_id, writer.Take());
}

// kQueryBook: symbol, u32 depth. The depth served is capped at kMaxBookLevels (64)
// whatever the client asks, so the reply stays one small frame. nullopt: malformed.
std::optional<Frame> BookReply(const Exchange& exchange, uint32_t request_id,
                               std::string_view payload) {
  Reader reader(payload);
  const std::string symbol = reader.String(system::kMaxSymbolBytes);
  const uint32_t depth = std::min(reader.U32(), kMaxBookLevels);
  if (!reader.AtEnd()) return std::nullopt;
  auto book = exchange.BookOf(symbol, depth);
  if (!book.ok()) return ErrorReply(request_id, book.status());
  Writer writer;
  Encode(writer, *book);
  return Reply(MessageType::kBook, request_id, writer.Take());
}

}  // namespace

void ExchangeServer::Hello(Connection& connection, std::string_view payload, bool* malformed) {
  Reader reader(payload);
  const std::string name = reader.String(kMaxAccountNameBytes);
  const auto existing = exchange_->FindAccount(name);
  const bool reserved = existing && !exchange_->account(*existing).keep_history;
  if (!reader.AtEnd() || name.empty() || reserved) {  // fee and background accounts
    *malformed = true;
    return;
  }
  const AccountId account = exchange_->OpenAccount(name, 0);
  for (auto& other : connections_) {  // the session moves to the newest connection
    if (other.get() != &connection && other->has_account && other->account == account) {
      other->closing = true;
      other->out.clear();
    }
  }
  connection.has_account = true;
  connection.account = account;
  poll_cursors_.try_emplace(account, 0);
}

Frame ExchangeServer::Handle(Connection& connection, const Frame& request) {
  bool malformed = false;
  Frame reply;
  if (!IsRequestType(static_cast<uint8_t>(request.type))) {
    ProtocolError(connection, "a reply type sent as a request");
    return reply;
  }
  if (request.type == MessageType::kHello) {
    Hello(connection, request.payload, &malformed);
    reply = Reply(MessageType::kOk, request.request_id);
  } else if (!connection.has_account) {
    ProtocolError(connection, "the first request of a session must be Hello");
    return reply;
  } else {
    reply = HandleAccountRequest(connection.account, request, &malformed);
  }
  if (malformed) ProtocolError(connection, "malformed payload");
  return reply;
}

Frame ExchangeServer::HandleAccountRequest(AccountId account, const Frame& request,
                                           bool* malformed) {
  Reader reader(request.payload);
  const uint32_t id = request.request_id;
  const int64_t now_ns = NowNs();
  Frame reply = Reply(MessageType::kOk, id);
  switch (request.type) {
    case MessageType::kSubmit: {
      system::NewOrder order;
      if (!Decode(reader, order) || !reader.AtEnd()) break;
      exchange_->Submit(account, order, now_ns);
      return reply;
    }
    case MessageType::kCancel: {
      const std::string client_order_id = reader.String(system::kMaxClientOrderIdBytes);
      if (!reader.AtEnd()) break;
      exchange_->Cancel(account, client_order_id, now_ns);
      return reply;
    }
    case MessageType::kPoll: {
      const uint32_t max_count = std::min(reader.U32(), kMaxItemsPerReply);
      if (!reader.AtEnd()) break;
      system::Seq& cursor = poll_cursors_[account];
      auto reports = exchange_->ReportsAfter(account, cursor, max_count);
      if (!reports.empty()) cursor = reports.back().account_report_seq;
      return Reply(MessageType::kReports, id, EncodeList(reports));
    }
    case MessageType::kQueryPositions:
      if (!reader.AtEnd()) break;
      return Reply(MessageType::kPositions, id, EncodeList(exchange_->Positions(account)));
    case MessageType::kQueryBalances:
      if (!reader.AtEnd()) break;
      return Reply(MessageType::kBalances, id,
                   EncodeList(std::vector<system::Balance>{exchange_->BalanceOf(account)}));
    case MessageType::kQueryOpenOrders: {
      if (!reader.AtEnd()) break;
      auto orders = exchange_->OpenOrders(account);
      if (orders.size() > kMaxItemsPerReply) {  // never a silently truncated answer
        return ErrorReply(
            id, system::Status::Error(system::StatusCode::kFailedPrecondition, "query_open_orders",
                                      exchange_->account(account).name,
                                      "more open orders than one reply carries (2048)"));
      }
      return Reply(MessageType::kOrders, id, EncodeList(orders));
    }
    case MessageType::kQueryOrder: {
      const std::string client_order_id = reader.String(system::kMaxClientOrderIdBytes);
      if (!reader.AtEnd()) break;
      auto order = exchange_->OrderOf(account, client_order_id);
      if (!order.ok()) return ErrorReply(id, order.status());
      Writer writer;
      Encode(writer, *order);
      return Reply(MessageType::kVenueOrder, id, writer.Take());
    }
    case MessageType::kQueryReportsSince:
    case MessageType::kQueryFillsSince: {
      const system::Seq after = reader.U64();
      const uint32_t max_count = std::min(reader.U32(), kMaxItemsPerReply);
      if (!reader.AtEnd()) break;
      if (request.type == MessageType::kQueryFillsSince) {
        auto fills = exchange_->FillsSince(account, after, max_count);
        if (!fills.ok()) return ErrorReply(id, fills.status());
        return Reply(MessageType::kFills, id, EncodeList(*fills));
      }
      auto reports = exchange_->ReportsSince(account, after, max_count);
      if (!reports.ok()) return ErrorReply(id, reports.status());
      return Reply(MessageType::kReports, id, EncodeList(*reports));
    }
    case MessageType::kQueryBook:
      if (auto book = BookReply(*exchange_, id, request.payload)) return std::move(*book);
      break;
    default:
      break;
  }
  *malformed = true;
  return reply;
}

}  // namespace crashdrill::simulator

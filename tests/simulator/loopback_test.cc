// The exchange over loopback: sessions that resume by account, a market that keeps
// trading with no client, and protocol errors that close a session, never the server.
// Real sockets on 127.0.0.1 with port 0; every wait is bounded.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "simulator/loopback_venue.h"
#include "simulator/server.h"
#include "tests/simulator/exchange_helpers.h"

namespace crashdrill::simulator {
namespace {

using system::Side;
using system::StatusCode;
using testing::Limit;

ServerConfig QuietServer() {
  ServerConfig config;
  config.exchange = testing::SmallConfig();
  config.market.actions_per_second = 0;
  config.market_tick_ms = 2;
  return config;
}

LoopbackVenueConfig ClientOf(const ExchangeServer& server, std::string account) {
  LoopbackVenueConfig config;
  config.port = server.port();
  config.account = std::move(account);
  config.timeout_ms = 3000;
  return config;
}

// Sends `bytes` on a fresh connection, half-closes, and returns what the server sent
// before closing (bounded by 3 s).
std::string SendRaw(uint16_t port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return "connect failed";
  }
  [[maybe_unused]] ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  std::string received;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd descriptor{fd, POLLIN, 0};
    if (::poll(&descriptor, 1, 100) <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) break;
    received.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  return received;
}

std::optional<MessageType> FirstReplyType(const std::string& received) {
  Frame frame;
  size_t consumed = 0;
  std::string error;
  if (ParseFrame(received, frame, consumed, error) != FrameParse::kFrame) return std::nullopt;
  return frame.type;
}

std::string RawFrame(MessageType type, std::string payload) {
  std::string out;
  AppendFrame({type, 1, std::move(payload)}, out);
  return out;
}

std::string HelloFrame(std::string_view account) {
  Writer writer;
  writer.String(account);
  return RawFrame(MessageType::kHello, writer.Take());
}

TEST(Loopback, ClientKilledMidSessionSeesTheFillsOfItsAbsenceOnReconnect) {
  ExchangeServer server(QuietServer());
  ASSERT_TRUE(server.Start().ok());
  auto engine = std::make_unique<LoopbackVenue>(ClientOf(server, "engine"));
  ASSERT_TRUE(engine->Submit(Limit("e1", "ACME", Side::kBuy, 100, 3)).ok());
  const auto acks = engine->Poll(10);
  ASSERT_TRUE(acks.ok());
  ASSERT_EQ(acks->size(), 1u);
  const system::Seq last_seen = (*acks)[0].exchange_seq;
  engine.reset();  // the engine process dies: its socket closes

  LoopbackVenue counterparty(ClientOf(server, "counterparty"));
  ASSERT_TRUE(counterparty.Submit(Limit("c1", "ACME", Side::kSell, 100, 3)).ok());

  LoopbackVenue restarted(ClientOf(server, "engine"));
  const auto fills = restarted.QueryFillsSince(last_seen, 100);
  ASSERT_TRUE(fills.ok()) << fills.status().ToString();
  ASSERT_EQ(fills->size(), 1u);
  EXPECT_EQ((*fills)[0].client_order_id, "e1");
  EXPECT_EQ((*fills)[0].quantity_lots, 3);
  const auto polled = restarted.Poll(10);  // the session resumed: the fill was never polled
  ASSERT_TRUE(polled.ok());
  ASSERT_EQ(polled->size(), 1u);
  EXPECT_EQ((*polled)[0].type, system::ExecType::kFill);
  const auto positions = restarted.QueryPositions();
  ASSERT_TRUE(positions.ok());
  ASSERT_EQ(positions->size(), 1u);
  EXPECT_EQ((*positions)[0].quantity_lots, 3);
  EXPECT_TRUE(restarted.QueryOpenOrders()->empty());
  EXPECT_EQ(restarted.QueryBalances()->at(0).total_minor,
            server.WithExchange([](const Exchange& exchange) {
              return exchange.account(*exchange.FindAccount("engine")).cash_minor;
            }));
}

TEST(Loopback, MarketKeepsTradingWhileNoClientIsConnected) {
  ServerConfig config = QuietServer();
  config.market.actions_per_second = 20'000;
  ExchangeServer server(config);
  ASSERT_TRUE(server.Start().ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  uint64_t trades = 0;
  while (trades < 20 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // bounded wait on a real server
    trades = server.WithExchange([](const Exchange& e) { return e.counters().trades; });
  }
  EXPECT_GE(trades, 20u);
  EXPECT_EQ(server.WithExchange([](const Exchange& e) { return testing::CheckConservation(e); }),
            "");
}

TEST(Loopback, ExchangeErrorsComeBackAsTheirStatus) {
  ExchangeServer server(QuietServer());
  ASSERT_TRUE(server.Start().ok());
  LoopbackVenue engine(ClientOf(server, "engine"));
  EXPECT_EQ(engine.QueryOrder("nope").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(engine.connected());
}

TEST(Loopback, BookOverTheWireEqualsTheExchangesOwnAnswer) {
  ExchangeServer server(QuietServer());
  ASSERT_TRUE(server.Start().ok());
  LoopbackVenue engine(ClientOf(server, "engine"));
  LoopbackVenue other(ClientOf(server, "other"));
  ASSERT_TRUE(engine.Submit(Limit("e1", "ACME", Side::kBuy, 99, 2)).ok());
  ASSERT_TRUE(other.Submit(Limit("o1", "ACME", Side::kBuy, 99, 3)).ok());
  ASSERT_TRUE(other.Submit(Limit("o2", "ACME", Side::kBuy, 97, 1)).ok());
  ASSERT_TRUE(other.Submit(Limit("o3", "ACME", Side::kSell, 102, 4)).ok());
  ASSERT_TRUE(engine.Submit(Limit("e2", "ACME", Side::kSell, 101, 6)).ok());
  const auto book = engine.QueryBook("ACME", 10);
  ASSERT_TRUE(book.ok()) << book.status().ToString();
  EXPECT_EQ(*book, server.WithExchange([](const Exchange& e) { return *e.BookOf("ACME", 10); }));
  EXPECT_EQ(book->bids, (std::vector<system::BookLevel>{{99, 5}, {97, 1}}));
  EXPECT_EQ(book->asks, (std::vector<system::BookLevel>{{101, 6}, {102, 4}}));
  EXPECT_GT(book->exchange_seq, 0u);
}

TEST(Loopback, BookDepthIsCappedAtTheProtocolsLevelLimit) {
  ExchangeServer server(QuietServer());
  ASSERT_TRUE(server.Start().ok());
  LoopbackVenue engine(ClientOf(server, "engine"));
  for (uint32_t i = 0; i < kMaxBookLevels + 6; ++i) {
    const auto price = static_cast<system::Ticks>(1000 + i);
    ASSERT_TRUE(engine.Submit(Limit("s" + std::to_string(i), "ACME", Side::kSell, price, 1)).ok());
  }
  const auto book = engine.QueryBook("ACME", 1000);
  ASSERT_TRUE(book.ok()) << book.status().ToString();
  EXPECT_EQ(book->asks.size(), kMaxBookLevels);
  const auto huge = engine.QueryBook("ACME", size_t{1} << 32);  // not truncated to 0 on the wire
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ(huge->asks.size(), kMaxBookLevels);
  EXPECT_EQ(*book, server.WithExchange(
                       [](const Exchange& e) { return *e.BookOf("ACME", kMaxBookLevels); }));
  Writer request;  // a client that asks for more gets the same 64 levels
  request.String("ACME");
  request.U32(1000);
  const std::string received =
      SendRaw(server.port(), HelloFrame("raw") + RawFrame(MessageType::kQueryBook, request.Take()));
  Frame hello_reply, book_reply;
  size_t consumed = 0;
  std::string error;
  ASSERT_EQ(ParseFrame(received, hello_reply, consumed, error), FrameParse::kFrame);
  ASSERT_EQ(ParseFrame(received.substr(consumed), book_reply, consumed, error), FrameParse::kFrame);
  ASSERT_EQ(book_reply.type, MessageType::kBook);
  Reader reader(book_reply.payload);
  system::BookSnapshot raw_book;
  ASSERT_TRUE(Decode(reader, raw_book) && reader.AtEnd());
  EXPECT_EQ(raw_book.asks, book->asks);
}

TEST(Loopback, BookOfAnUnknownSymbolIsNotFoundAndKeepsTheSession) {
  ExchangeServer server(QuietServer());
  ASSERT_TRUE(server.Start().ok());
  LoopbackVenue engine(ClientOf(server, "engine"));
  EXPECT_EQ(engine.QueryBook("NOPE", 10).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(engine.connected());
  const std::string too_long(system::kMaxSymbolBytes + 1, 'X');
  EXPECT_EQ(engine.QueryBook(too_long, 10).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(engine.QueryBook("ACME", 10).ok());
  EXPECT_EQ(server.protocol_errors(), 0u);
}

TEST(Loopback, NewerConnectionTakesTheAccountsSession) {
  ExchangeServer server(QuietServer());
  ASSERT_TRUE(server.Start().ok());
  LoopbackVenue first(ClientOf(server, "engine"));
  ASSERT_TRUE(first.QueryPositions().ok());
  LoopbackVenue second(ClientOf(server, "engine"));
  ASSERT_TRUE(second.QueryPositions().ok());
  EXPECT_EQ(first.QueryPositions().status().code(), StatusCode::kUnavailable);
}

TEST(Loopback, ClientOfAStoppedServerGetsUnavailable) {
  auto server = std::make_unique<ExchangeServer>(QuietServer());
  ASSERT_TRUE(server->Start().ok());
  LoopbackVenue engine(ClientOf(*server, "engine"));
  ASSERT_TRUE(engine.QueryPositions().ok());
  server.reset();
  EXPECT_EQ(engine.QueryPositions().status().code(), StatusCode::kUnavailable);
}

TEST(LoopbackProtocol, OversizedLengthIsAProtocolError) {
  ExchangeServer server(QuietServer());
  ASSERT_TRUE(server.Start().ok());
  std::string bytes = "\xff\xff\xff\x7f";
  EXPECT_EQ(FirstReplyType(SendRaw(server.port(), bytes)), MessageType::kProtocolError);
  EXPECT_EQ(server.protocol_errors(), 1u);
}

TEST(LoopbackProtocol, UnknownMessageTypeIsAProtocolError) {
  ExchangeServer server(QuietServer());
  ASSERT_TRUE(server.Start().ok());
  std::string frame = HelloFrame("engine");
  frame[5] = 42;
  EXPECT_EQ(FirstReplyType(SendRaw(server.port(), frame)), MessageType::kProtocolError);
}

TEST(LoopbackProtocol, WrongVersionIsAProtocolError) {
  ExchangeServer server(QuietServer());
  ASSERT_TRUE(server.Start().ok());
  std::string frame = HelloFrame("engine");
  frame[4] = 9;
  EXPECT_EQ(FirstReplyType(SendRaw(server.port(), frame)), MessageType::kProtocolError);
}

TEST(LoopbackProtocol, RequestBeforeHelloIsAProtocolError) {
  ExchangeServer server(QuietServer());
  ASSERT_TRUE(server.Start().ok());
  EXPECT_EQ(FirstReplyType(SendRaw(server.port(), RawFrame(MessageType::kQueryPositions, ""))),
            MessageType::kProtocolError);
}

TEST(LoopbackProtocol, HelloForTheFeeAccountIsRefused) {
  ExchangeServer server(QuietServer());
  ASSERT_TRUE(server.Start().ok());
  EXPECT_EQ(FirstReplyType(SendRaw(server.port(), HelloFrame(kFeeAccountName))),
            MessageType::kProtocolError);
}

TEST(LoopbackProtocol, MalformedPayloadIsAProtocolError) {
  ExchangeServer server(QuietServer());
  ASSERT_TRUE(server.Start().ok());
  const std::string bytes = HelloFrame("engine") + RawFrame(MessageType::kSubmit, "\x05");
  const std::string received = SendRaw(server.port(), bytes);
  Frame hello_reply;
  size_t consumed = 0;
  std::string error;
  ASSERT_EQ(ParseFrame(received, hello_reply, consumed, error), FrameParse::kFrame);
  EXPECT_EQ(hello_reply.type, MessageType::kOk);
  EXPECT_EQ(FirstReplyType(received.substr(consumed)), MessageType::kProtocolError);
}

// Seeded random and truncated frames: every one ends in an error or a clean close,
// and the server still serves a well-behaved client afterwards.
TEST(LoopbackProtocol, RandomAndTruncatedFramesNeverStopTheServer) {
  ExchangeServer server(QuietServer());
  ASSERT_TRUE(server.Start().ok());
  constexpr uint64_t kSeed = 20261123;
  constexpr int kCases = 500;
  Random random(kSeed);
  Writer order_writer;
  Encode(order_writer, Limit("f1", "ACME", Side::kBuy, 100, 1));
  const std::string valid =
      HelloFrame("fuzz") + RawFrame(MessageType::kSubmit, order_writer.Take());
  int replies = 0;
  for (int i = 0; i < kCases; ++i) {
    std::string bytes;
    switch (random.Below(4)) {
      case 3: {  // a valid Hello, then a request of any type with a random payload
        std::string payload(random.Below(64), '\0');
        for (char& c : payload) c = static_cast<char>(random.Below(256));
        bytes = HelloFrame("fuzz") +
                RawFrame(static_cast<MessageType>(1 + random.Below(11)), std::move(payload));
        break;
      }
      case 0:  // a valid session cut anywhere
        bytes = valid.substr(0, random.Below(valid.size()));
        break;
      case 1:  // a valid session with random bytes flipped
        bytes = valid;
        for (int flips = 0; flips < 4; ++flips) {
          bytes[random.Below(bytes.size())] = static_cast<char>(random.Below(256));
        }
        break;
      default:  // noise
        bytes.resize(random.Below(200));
        for (char& c : bytes) c = static_cast<char>(random.Below(256));
    }
    if (!SendRaw(server.port(), bytes).empty()) ++replies;
  }
  std::cout << "[fuzz] seed " << kSeed << ": " << kCases << " sessions, " << replies
            << " answered, " << server.protocol_errors() << " protocol errors\n";
  EXPECT_GT(server.protocol_errors(), 0u);
  LoopbackVenue engine(ClientOf(server, "engine"));
  EXPECT_TRUE(engine.QueryPositions().ok());
  EXPECT_EQ(server.WithExchange([](const Exchange& e) { return testing::CheckConservation(e); }),
            "");
}

}  // namespace
}  // namespace crashdrill::simulator

// S3Target against a server that misbehaves the ways s3rver cannot: it
// accepts and never answers (each request times out), answers 503 (a
// transient failure, retried), or answers 503 and then 200 (the retry
// succeeds). The server is a forked child on loopback serving a script of
// responses, one per connection.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "system/backup/s3_target.h"

namespace crashdrill::system {
namespace {

// What the server does with one connection: answer `response` once it has read
// the request's headers, or, when `response` is empty, read and never answer.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::string> script) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "listen: " << std::strerror(errno);
      return;
    }
    port_ = ntohs(address.sin_port);
    child_ = ::fork();
    if (child_ == 0) Serve(script);  // never returns
  }
  ~ScriptedServer() {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    if (listener_ >= 0) ::close(listener_);
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  [[noreturn]] void Serve(const std::vector<std::string>& script) {
    std::vector<int> held;  // connections never answered stay open
    for (size_t i = 0;; ++i) {
      const int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0) ::_exit(1);
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::read(connection, buffer, sizeof(buffer));
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
      }
      const std::string& response = script[std::min(i, script.size() - 1)];
      if (response.empty()) {
        held.push_back(connection);
        continue;
      }
      // Reads the body (if any) as it arrives, then answers and closes.
      size_t done = 0;
      while (done < response.size()) {
        const ssize_t n = ::write(connection, response.data() + done, response.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      ::shutdown(connection, SHUT_WR);
      while (::read(connection, buffer, sizeof(buffer)) > 0) {
      }
      ::close(connection);
    }
  }

  int listener_ = -1;
  int port_ = 0;
  pid_t child_ = -1;
};

const std::string kSlowDown = "<Error><Code>SlowDown</Code><Message>slow down</Message></Error>";
const std::string kUnavailable =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nConnection: close\r\n"
    "Content-Length: " +
    std::to_string(kSlowDown.size()) + "\r\n\r\n" + kSlowDown;
const std::string kOk = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

S3Options OptionsFor(const ScriptedServer& server, int* retries) {
  S3Options options;
  options.endpoint = server.endpoint();
  options.bucket = "crashdrill-backups";
  options.prefix = "p/";
  options.access_key_id = "S3RVER";
  options.secret_access_key = "S3RVER";
  options.connect_timeout_ms = 1'000;
  options.request_timeout_ms = 300;
  options.attempts_max = 3;
  options.backoff_wait = [retries](int64_t) { ++*retries; };
  return options;
}

const std::vector<std::byte> kBody(100, std::byte{7});

TEST(S3FaultsTest, AServerThatNeverAnswersTimesOutEachAttemptAndFailsNamingTheEndpoint) {
  ScriptedServer server({""});
  int retries = 0;
  S3Target target(OptionsFor(server, &retries));
  ASSERT_TRUE(target.Open().ok());
  const Status put = target.Put("x", kBody);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.code(), StatusCode::kUnavailable) << put.ToString();
  EXPECT_NE(put.ToString().find(server.endpoint()), std::string::npos) << put.ToString();
  EXPECT_NE(put.ToString().find("after 3 attempts"), std::string::npos) << put.ToString();
  EXPECT_NE(put.ToString().find("timed out"), std::string::npos) << put.ToString();
  EXPECT_EQ(retries, 2);
}

TEST(S3FaultsTest, FiveHundredsAreRetriedAndNamedWhenTheyLast) {
  ScriptedServer server({kUnavailable});
  int retries = 0;
  S3Target target(OptionsFor(server, &retries));
  ASSERT_TRUE(target.Open().ok());
  const Result<std::vector<std::byte>> got = target.Get("x");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable) << got.status().ToString();
  EXPECT_NE(got.status().ToString().find("HTTP 503"), std::string::npos) << got.status().ToString();
  EXPECT_NE(got.status().ToString().find("after 3 attempts"), std::string::npos)
      << got.status().ToString();
  EXPECT_EQ(retries, 2);
}

TEST(S3FaultsTest, ARetryAfterAFiveHundredOrATimeoutSucceeds) {
  ScriptedServer server({kUnavailable, "", kOk});
  int retries = 0;
  S3Target target(OptionsFor(server, &retries));
  ASSERT_TRUE(target.Open().ok());
  const Status put = target.Put("x", kBody);
  EXPECT_TRUE(put.ok()) << put.ToString();
  EXPECT_EQ(retries, 2);
}

}  // namespace
}  // namespace crashdrill::system

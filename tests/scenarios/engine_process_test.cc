// The operator's commands as real processes on real files: `crashdrill
// exchange` outlives an engine (`crashdrill trade --venue --crash-after N
// --acks`) that _exits abruptly; `crashdrill recover --venue` brings the
// directory back and reconciles it. Every acknowledged record (intents and
// fills) is in the log with the content that was acknowledged, nothing was
// sent twice, and the engine trades again afterwards. Also: `inspect` and
// `recover` on hand-corrupted files give clear messages and never crash (the
// sanitizer tree runs this file against its own binary).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "faults/process_control.h"
#include "simulator/loopback_venue.h"
#include "simulator/server.h"
#include "system/io/clock.h"
#include "system/io/posix_fs.h"
#include "system/levels/wal_reader.h"
#include "system/recovery/local_recovery.h"
#include "system/state/state_update.h"
#include "tests/support/temp_dir.h"

namespace crashdrill {
namespace {

using system::kNanosPerSecond;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct ProcessRun {
  int exit_code = -1;
  std::string out;
};

// Runs `crashdrill args...` to completion (at most 60 s), stdout to a file.
ProcessRun RunCrashdrill(const std::string& dir, const std::vector<std::string>& args,
                         const std::string& name) {
  faults::ChildSpec spec;
  spec.argv = {CRASHDRILL_BINARY};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.stdout_path = dir + "/" + name + ".out";
  auto child = faults::ChildProcess::Spawn(spec);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  if (!child.ok()) return {};
  system::SystemClock clock;
  auto code = child->Wait(clock, 60 * kNanosPerSecond);
  EXPECT_TRUE(code.ok()) << name << ": " << code.status().ToString();
  return {code.ok() ? *code : -1, ReadFile(spec.stdout_path)};
}

class Exchange {
 public:
  explicit Exchange(const std::string& dir) {
    faults::ChildSpec spec;
    spec.argv = {CRASHDRILL_BINARY, "exchange", "--listen", "127.0.0.1:0", "--seed", "3"};
    spec.stdout_path = dir + "/exchange.out";
    auto child = faults::ChildProcess::Spawn(spec);
    EXPECT_TRUE(child.ok()) << child.status().ToString();
    if (!child.ok()) return;
    child_.emplace(std::move(child).value());
    for (int i = 0; i < 500 && address_.empty(); ++i) {
      const std::string out = ReadFile(spec.stdout_path);
      const auto at = out.find("listening on ");
      if (at != std::string::npos && out.find(' ', at + 13) != std::string::npos) {
        address_ = out.substr(at + 13, out.find(' ', at + 13) - (at + 13));
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    EXPECT_FALSE(address_.empty()) << "the exchange did not say where it listens";
  }
  const std::string& address() const { return address_; }

 private:
  std::optional<faults::ChildProcess> child_;
  std::string address_;
};

struct Ack {
  system::Seq seq = 0;
  std::string type;
  std::string detail;  // client order id (and exchange_seq for fills)
};

std::vector<Ack> ParseAcks(const std::string& out) {
  std::vector<Ack> acks;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("ack ")) continue;
    std::istringstream fields(line.substr(4));
    Ack ack;
    fields >> ack.seq >> ack.type;
    std::getline(fields, ack.detail);
    if (!ack.detail.empty() && ack.detail.front() == ' ') ack.detail.erase(0, 1);
    acks.push_back(ack);
  }
  return acks;
}

// What the log holds at each seq: the record type and the id it names.
std::map<system::Seq, Ack> ReadLog(const std::string& state_dir) {
  system::PosixFs fs;
  system::WalReader reader(fs, system::WalDir(state_dir));
  system::WalEnd end;
  std::map<system::Seq, Ack> log;
  const system::Status read = reader.Read(
      0,
      [&](const system::WalRecordView& record) {
        auto update = system::DecodeStateUpdate(record.type, record.payload, "test");
        if (!update.ok()) return update.status();
        Ack ack{record.state_seq, std::string(system::RecordTypeName(record.type)), ""};
        if (const auto* s = std::get_if<system::OrderSubmitted>(&*update)) {
          ack.detail = s->order.client_order_id;
        } else if (const auto* f = std::get_if<system::FillReceived>(&*update)) {
          ack.detail =
              f->fill.client_order_id + " exchange_seq " + std::to_string(f->fill.exchange_seq);
        }
        log[record.state_seq] = ack;
        return system::Status::Ok();
      },
      end);
  EXPECT_TRUE(read.ok()) << read.ToString();
  return log;
}

TEST(EngineProcessTest, KilledEngineRecoversEveryAcknowledgedRecordAndSendsNothingTwice) {
  testing::TempDir tmp;
  const std::string dir = tmp.path();
  const std::string state = dir + "/state";
  Exchange exchange(dir);
  ASSERT_FALSE(exchange.address().empty());
  std::vector<Ack> acked;
  for (const int crash_after : {400, 900}) {
    const ProcessRun trade = RunCrashdrill(
        dir,
        {"trade", "--state-dir", state, "--venue", exchange.address(), "--seconds", "30", "--seed",
         std::to_string(crash_after), "--crash-after", std::to_string(crash_after), "--acks"},
        "trade-" + std::to_string(crash_after));
    EXPECT_EQ(trade.exit_code, 9) << "the engine was to _exit(9) after " << crash_after
                                  << " acknowledgements";
    const std::vector<Ack> acks = ParseAcks(trade.out);
    EXPECT_EQ(acks.size(), static_cast<size_t>(crash_after));
    acked.insert(acked.end(), acks.begin(), acks.end());

    const ProcessRun recover =
        RunCrashdrill(dir, {"recover", state, "--venue", exchange.address(), "--json"},
                      "recover-" + std::to_string(crash_after));
    ASSERT_EQ(recover.exit_code, 0) << recover.out;
    const auto report = nlohmann::json::parse(recover.out);
    EXPECT_TRUE(report["reconciled"].get<bool>()) << recover.out;
    EXPECT_GE(report["recovered_seq"].get<uint64_t>(), acks.back().seq)
        << "acknowledged records were lost";
  }
  // Every acknowledged record is in the log, as acknowledged.
  const std::map<system::Seq, Ack> log = ReadLog(state);
  size_t intents = 0, fills = 0;
  for (const Ack& ack : acked) {
    const auto it = log.find(ack.seq);
    ASSERT_NE(it, log.end()) << "acknowledged seq " << ack.seq << " is not in the log";
    EXPECT_EQ(it->second.type, ack.type) << ack.seq;
    if (ack.type == "order_submit" || ack.type == "fill_received") {
      EXPECT_EQ(it->second.detail, ack.detail) << ack.seq;
      intents += ack.type == "order_submit";
      fills += ack.type == "fill_received";
    }
  }
  EXPECT_GT(intents, 100u);
  EXPECT_GT(fills, 0u) << "the market filled nothing: a weak test";
  // Nothing was sent twice: the exchange rejected no client order id as a duplicate.
  simulator::LoopbackVenueConfig config;
  ASSERT_TRUE(simulator::ParseLoopbackAddress(exchange.address(), &config.host, &config.port).ok());
  config.account = "engine";
  simulator::LoopbackVenue venue(config);
  size_t reports = 0;
  for (system::Seq after = 0;;) {
    auto page = venue.QueryReportsSince(after, 1000);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    if (page->empty()) break;
    for (const auto& r : *page) {
      EXPECT_NE(r.reason, system::RejectReason::kDuplicateClientOrderId) << r.client_order_id;
      after = r.exchange_seq;
      ++reports;
    }
  }
  EXPECT_GT(reports, intents);
  // And the engine trades on from the recovered directory.
  const ProcessRun again = RunCrashdrill(
      dir, {"trade", "--state-dir", state, "--venue", exchange.address(), "--seconds", "1"},
      "trade-again");
  EXPECT_EQ(again.exit_code, 0);
  std::printf(
      "process test: %zu acknowledgements over two crashes (%zu intents, %zu fills), "
      "%zu venue reports checked\n",
      acked.size(), intents, fills, reports);
}

TEST(EngineProcessTest, InspectAndRecoverNameTheDamageInHandCorruptedFilesAndNeverCrash) {
  testing::TempDir tmp;
  const std::string dir = tmp.path();
  const std::string state = dir + "/state";
  ASSERT_EQ(
      RunCrashdrill(dir, {"trade", "--state-dir", state, "--seconds", "1.5"}, "trade").exit_code,
      0);
  // Damage: a flipped byte in the newest L2 version, the L1 file cut short, a
  // snapshot-named file of garbage, and zeros over the middle of the WAL's records.
  namespace fs = std::filesystem;
  std::vector<std::string> l2;
  for (const auto& type : fs::directory_iterator(state + "/l2")) {
    for (const auto& file : fs::directory_iterator(type.path())) l2.push_back(file.path());
  }
  ASSERT_FALSE(l2.empty());
  std::sort(l2.begin(), l2.end());
  {
    std::fstream f(l2.back(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x5a');
  }
  fs::resize_file(state + "/l1", 5000);
  fs::create_directories(state + "/snapshots");
  std::ofstream(state + "/snapshots/snapshot_00000000000000000007") << "not a snapshot at all";
  const ProcessRun inspect = RunCrashdrill(dir, {"inspect", state}, "inspect");
  EXPECT_TRUE(inspect.exit_code == 0 || inspect.exit_code == 1) << inspect.out;
  EXPECT_NE(inspect.out.find(l2.back()), std::string::npos) << inspect.out;
  EXPECT_NE(inspect.out.find("snapshot_00000000000000000007"), std::string::npos) << inspect.out;
  EXPECT_NE(inspect.out.find("INVALID"), std::string::npos) << inspect.out;
  EXPECT_NE(inspect.out.find("offset"), std::string::npos) << inspect.out;
  // Nothing was deleted by looking.
  EXPECT_TRUE(fs::exists(state + "/snapshots/snapshot_00000000000000000007"));
  EXPECT_EQ(fs::file_size(state + "/l1"), 5000u);

  const ProcessRun recover = RunCrashdrill(dir, {"recover", state}, "recover");
  EXPECT_EQ(recover.exit_code, 0) << recover.out;
  EXPECT_NE(recover.out.find("local recovery only"), std::string::npos) << recover.out;
  // The corrupt copies are kept for the operator; never loaded, never deleted.
  EXPECT_TRUE(fs::exists(l2.back()));
  EXPECT_TRUE(fs::exists(state + "/snapshots/snapshot_00000000000000000007"));
  const ProcessRun json = RunCrashdrill(dir, {"inspect", state, "--json"}, "inspect-json");
  const auto report = nlohmann::json::parse(json.out);
  bool named = false;
  for (const auto& c : report["candidates"]) {
    if (c["location"] == l2.back()) {
      named = true;
      EXPECT_FALSE(c["valid"].get<bool>());
    }
  }
  EXPECT_TRUE(named) << json.out;
}

}  // namespace
}  // namespace crashdrill

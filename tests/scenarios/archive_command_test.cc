// The L4 archive from the command line, as after a real incident: `trade
// --archive` writes copies on the archive period, `archive list|show` reads
// them, and when the whole state directory is lost `recover --archive`
// brings the engine back from the newest valid archived copy and writes it
// into the directory before anything goes on.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>

#include "tests/scenarios/crashdrill_cli.h"
#include "tests/support/temp_dir.h"

namespace crashdrill {
namespace {

TEST(ArchiveCommandTest, TradeArchivesAndRecoverComesBackFromTheArchiveAfterLosingTheDirectory) {
  testing::TempDir dir;
  const std::string state = dir.Join("state");
  const std::string archive = "sqlite:" + dir.Join("archive/l4.db");
  const Outcome trade =
      Crashdrill(dir, "trade", {"trade", "--state-dir", state, "--seconds", "1.5", "--archive",
                                archive, "--archive-period-seconds", "0.3"});
  ASSERT_EQ(trade.exit_code, 0) << trade.err;
  const Outcome list = Crashdrill(dir, "list", {"archive", "list", "--archive", archive});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(list.out, match, std::regex("(\\d+) copies; (\\d+) archive")))
      << list.out;
  EXPECT_GE(std::stoi(match[1]), 2) << list.out;
  const Outcome show = Crashdrill(dir, "show", {"archive", "show", "--archive", archive, "1"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("copy 1 of"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("valid"), std::string::npos);

  std::filesystem::remove_all(state);
  const Outcome recover = Crashdrill(dir, "recover", {"recover", state, "--archive", archive});
  ASSERT_EQ(recover.exit_code, 0) << recover.out << recover.err;
  EXPECT_NE(recover.out.find("recovered from l4"), std::string::npos) << recover.out;
  const Outcome inspect = Crashdrill(dir, "inspect", {"inspect", state});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.out << inspect.err;
  EXPECT_NE(inspect.out.find("emergency"), std::string::npos) << inspect.out;

  EXPECT_EQ(Crashdrill(dir, "unknown", {"archive", "show", "--archive", archive, "999"}).exit_code,
            2);
  const Outcome bad = Crashdrill(dir, "bad", {"archive", "list", "--archive", "l4.db"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--archive"), std::string::npos) << bad.err;
}

// The seeds' "database down": an archive that refuses connections from the
// start neither stops the engine from starting nor holds up trading; every
// period's attempt fails, is counted and said.
TEST(ArchiveCommandTest, TradingGoesOnWhileTheArchiveDatabaseIsDown) {
  testing::TempDir dir;
  const Outcome trade = Crashdrill(
      dir, "trade",
      {"trade", "--state-dir", dir.Join("state"), "--seconds", "1.5", "--archive",
       "postgresql://127.0.0.1:1/archive?connect_timeout=2", "--archive-period-seconds", "0.3"});
  ASSERT_EQ(trade.exit_code, 0) << trade.err;
  EXPECT_NE(trade.err.find("trading goes on"), std::string::npos) << trade.err;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(trade.err, match,
                                std::regex("state_seq (\\d+), .* (\\d+) sent")))
      << trade.err;
  EXPECT_GT(std::stoll(match[2]), 100) << "orders were sent while the archive was down";
  ASSERT_TRUE(std::regex_search(trade.err, match, std::regex("0 written, (\\d+) failed")))
      << trade.err;
  EXPECT_GE(std::stoi(match[1]), 3) << trade.err;
}

// On demand, two ways: SIGUSR1 to a running trade archives its state now
// (the period here is an hour, so only the request and the final copy at the
// stop are written), and `archive write` archives a stopped engine's directory.
TEST(ArchiveCommandTest, ArchiveOnDemandFromARunningTradeAndFromAStateDirectory) {
  testing::TempDir dir;
  const std::string state = dir.Join("state");
  const std::string archive = "sqlite:" + dir.Join("archive/l4.db");
  std::string command = "exec '" + std::string(CRASHDRILL_BINARY) + "' trade --state-dir '" +
                        state + "' --seconds 3 --archive '" + archive + "' 2>'" +
                        dir.Join("trade.err") + "'";
  faults::ChildSpec spec;
  spec.argv = {"/bin/sh", "-c", command};
  spec.stdout_path = dir.Join("trade.out");
  auto child = faults::ChildProcess::Spawn(spec);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  // Once the engine trades (it has written its L1 file), ask for a copy.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (ReadFile(dir.Join("trade.err")).find("reconcil") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(child->Kill(SIGUSR1).ok());
  system::SystemClock clock;
  auto code = child->Wait(clock, 60 * system::kNanosPerSecond);
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  const std::string err = ReadFile(dir.Join("trade.err"));
  ASSERT_EQ(*code, 0) << err;
  EXPECT_NE(err.find("archive requested (SIGUSR1): state_seq"), std::string::npos) << err;
  std::smatch match;
  ASSERT_TRUE(
      std::regex_search(err, match, std::regex("(\\d+) written, 0 failed, (\\d+) superseded")))
      << err;
  EXPECT_EQ(std::stoi(match[1]) + std::stoi(match[2]), 2)
      << "the request and the final copy: " << err;

  const Outcome write = Crashdrill(dir, "write", {"archive", "write", "--archive", archive, state});
  ASSERT_EQ(write.exit_code, 0) << write.err;
  ASSERT_TRUE(std::regex_search(write.out, match, std::regex("archived state_seq (\\d+)")))
      << write.out;
  const Outcome list = Crashdrill(dir, "list", {"archive", "list", "--archive", archive});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  // Newest first: the on-demand copy of the stopped engine's directory.
  EXPECT_NE(list.out.find(" " + match[1].str() + "  "), std::string::npos) << list.out;

  const Outcome empty =
      Crashdrill(dir, "empty", {"archive", "write", "--archive", archive, dir.Join("no-state")});
  EXPECT_EQ(empty.exit_code, 1) << empty.err;
  EXPECT_NE(empty.err.find("no valid state"), std::string::npos) << empty.err;
}

// Retention from the command line: with nothing kept by age, every copy but
// the newest valid one goes; the newest valid one is never deleted.
TEST(ArchiveCommandTest, PruneKeepsTheNewestValidCopyWhateverThePolicy) {
  testing::TempDir dir;
  const std::string state = dir.Join("state");
  const std::string archive = "sqlite:" + dir.Join("archive/l4.db");
  const Outcome trade = Crashdrill(dir, "trade",
                                   {"trade", "--state-dir", state, "--seconds", "1.2", "--archive",
                                    archive, "--archive-period-seconds", "0.2"});
  ASSERT_EQ(trade.exit_code, 0) << trade.err;
  const Outcome before = Crashdrill(dir, "before", {"archive", "list", "--archive", archive});
  std::smatch match;
  ASSERT_TRUE(std::regex_search(before.out, match, std::regex("(\\d+) copies;"))) << before.out;
  const int copies = std::stoi(match[1]);
  ASSERT_GE(copies, 2) << before.out;
  const Outcome prune = Crashdrill(
      dir, "prune",
      {"archive", "prune", "--archive", archive, "--hourly-days", "0", "--daily-days", "0"});
  ASSERT_EQ(prune.exit_code, 0) << prune.err;
  EXPECT_NE(prune.out.find(fmt::format("deleted {} copies", copies - 1)), std::string::npos)
      << prune.out;
  const Outcome after = Crashdrill(dir, "after", {"archive", "list", "--archive", archive});
  EXPECT_NE(after.out.find("1 copies;"), std::string::npos) << after.out;
  std::filesystem::remove_all(state);
  const Outcome recover = Crashdrill(dir, "recover", {"recover", state, "--archive", archive});
  EXPECT_EQ(recover.exit_code, 0) << recover.out << recover.err;
  EXPECT_EQ(Crashdrill(dir, "bad", {"archive", "prune", "--archive", archive, "--daily-days", "-1"})
                .exit_code,
            2);
}

}  // namespace
}  // namespace crashdrill

// The L4 archive from the command line, as after a real incident: `trade
// --archive` writes copies on the archive period, `archive list|show` reads
// them, and when the whole state directory is lost `recover --archive`
// brings the engine back from the newest valid archived copy and writes it
// into the directory before anything goes on.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>

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

}  // namespace
}  // namespace crashdrill

// PostgresArchive against a real server (the suite runs inside pg_virtualenv,
// .ci/test): round trips, migrations, corruption that must never load, a
// server that goes away and comes back, a port nothing listens on, and a
// password that must never reach an error. Each test works in a schema (or a
// database) of its own, so the tests are independent under ctest -j2.
#include "system/archive/postgres_archive.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "faults/sim_clock.h"
#include "faults/sim_disk.h"
#include "system/archive/archive_copy_source.h"
#include "system/archive/archive_schema.h"
#include "system/levels/checkpointer.h"
#include "system/recovery/local_recovery.h"
#include "tests/system/archive/archive_recovery_check.h"
#include "tests/system/archive/archive_states.h"

namespace crashdrill::system {
namespace {

using faults::SimClock;
using faults::SimDisk;
using testing::ArchiveStates;

constexpr int64_t kHourNs = 3600 * kNanosPerSecond;

#define ASSERT_OK(expr)                             \
  do {                                              \
    const ::crashdrill::system::Status s_ = (expr); \
    ASSERT_TRUE(s_.ok()) << s_.ToString();          \
  } while (0)

// A port on 127.0.0.1 that nothing listens on: bound, then released.
int UnusedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) std::abort();
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// The suite's server, as an operator (or a bug) reaches it: SQL on a
// connection of its own.
class Admin {
 public:
  explicit Admin(const std::string& conninfo = "") : connection_(PQconnectdb(conninfo.c_str())) {
    PQsetNoticeProcessor(
        connection_, [](void*, const char*) {}, nullptr);  // DROP ... NOTICEs
  }
  ~Admin() { PQfinish(connection_); }
  // A new connection after the server was restarted.
  void Reconnect() { PQreset(connection_); }
  bool connected() const { return PQstatus(connection_) == CONNECTION_OK; }
  std::string error() const { return PQerrorMessage(connection_); }
  // Runs `sql`; returns the first value of the first row ("" when none).
  std::string Sql(const std::string& sql) {
    PGresult* result = PQexec(connection_, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        << sql << ": " << PQresultErrorMessage(result);
    std::string value;
    if (status == PGRES_TUPLES_OK && PQntuples(result) > 0) value = PQgetvalue(result, 0, 0);
    PQclear(result);
    return value;
  }

 private:
  PGconn* connection_;
};

class PostgresArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("PGHOST") == nullptr) {
      GTEST_SKIP() << "PGHOST is unset: run these through pg_virtualenv, as .ci/test does: "
                      "pg_virtualenv -t -o fsync=on "
                      "build/tests/system/archive/crashdrill_archive_tests "
                      "--gtest_filter='Postgres*'";
    }
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    schema_ = "cd_" + name.substr(0, 40) + "_" + std::to_string(getpid());
    ASSERT_TRUE(admin_.connected()) << admin_.error();
    admin_.Sql("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    admin_.Sql("CREATE SCHEMA " + schema_);
    admin_.Sql("SET search_path = " + schema_);
  }
  void TearDown() override {
    if (!schema_.empty()) admin_.Sql("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
  }

  PostgresArchiveOptions Options() const {
    PostgresArchiveOptions options;
    options.connection.conninfo = "options='-c search_path=" + schema_ + "'";
    options.connection.connect_timeout_s = 2;
    return options;
  }

  // Archives every state, one hour of wall time apart.
  void ArchiveAll(PostgresArchive& archive, const std::vector<EngineState>& states) {
    for (const EngineState& state : states) {
      ASSERT_OK(archive.Archive(state));
      clock_.Advance(kHourNs);
    }
  }

  // Eight archive periods of trading: `go_away` runs before period 3's
  // archive and `come_back` before period 5's. Trading goes on throughout,
  // periods 3 and 4 fail naming the server and are counted, every other one
  // archives, and the copies read back as the states they archived (those
  // committed before the outage survived it). The attempts the server could
  // not log then are logged once it is back.
  // A checkpointer on /state that archives every hour.
  static CheckpointerOptions HourlyArchive() {
    CheckpointerOptions options;
    options.state_dir = "/state";
    options.archive_period_ns = kHourNs;
    options.l1_slot_bytes = 64 << 10;
    return options;
  }

  void TradeThroughAnOutage(PostgresArchive& archive, const std::function<void()>& go_away,
                            const std::function<void()>& come_back) {
    SimDisk disk({});
    MultiLevelCheckpointer checkpointer(disk, clock_, HourlyArchive(), &archive);
    ASSERT_OK(checkpointer.Open({}));
    std::vector<EngineState> archived;
    for (int k = 0; k < 8; ++k) {
      ASSERT_OK(checkpointer.Commit(testing::ArchiveScriptUpdate(0, k)));
      clock_.Advance(kHourNs);
      if (k == 3) go_away();
      if (k == 5) come_back();
      if (HasFatalFailure()) return;
      const Status ticked = checkpointer.Tick();
      if (k == 3 || k == 4) {
        EXPECT_FALSE(ticked.ok()) << "period " << k << " archived while the server was away";
        EXPECT_NE(ticked.ToString().find(archive.Describe()), std::string::npos)
            << ticked.ToString();
      } else {
        ASSERT_OK(ticked);
        archived.push_back(checkpointer.state());
      }
    }
    EXPECT_EQ(checkpointer.stats().commits, 8u);
    EXPECT_EQ(checkpointer.stats().archive.writes, 6u);
    EXPECT_EQ(checkpointer.stats().archive.failures, 2u);
    const std::vector<ArchivedCopyInfo> copies = *archive.List();
    ASSERT_EQ(copies.size(), archived.size());
    for (size_t i = 0; i < copies.size(); ++i) {
      EXPECT_EQ(*archive.Read(copies[i].id), archived[archived.size() - 1 - i]);
    }
    EXPECT_EQ(archive.NewestValid()->state, archived.back());
    const std::vector<ArchiveLogEntry> log = *archive.Log();
    ASSERT_EQ(log.size(), 8u);
    EXPECT_EQ(std::count_if(log.begin(), log.end(), [](const ArchiveLogEntry& e) { return !e.ok; }),
              2);
  }

  SimClock clock_;
  Admin admin_;
  std::string schema_;
};

TEST_F(PostgresArchiveTest, ArchivedStatesReadBackEqualWithTheirRowsAndListNewestFirst) {
  const std::vector<EngineState> states = ArchiveStates(0, 5, 4);
  {
    PostgresArchive archive(clock_, Options());
    ASSERT_OK(archive.Open());
    EXPECT_EQ(archive.schema_version(), kArchiveSchemaCurrent);
    ArchiveAll(archive, states);
  }
  PostgresArchive archive(clock_, Options());  // a new connection reads what is committed
  ASSERT_OK(archive.Open());
  const Result<std::vector<ArchivedCopyInfo>> copies = archive.List();
  ASSERT_TRUE(copies.ok()) << copies.status().ToString();
  ASSERT_EQ(copies->size(), states.size());
  for (size_t i = 0; i < copies->size(); ++i) {
    const ArchivedCopyInfo& copy = (*copies)[i];
    const EngineState& expected = states[states.size() - 1 - i];  // newest first
    EXPECT_EQ(copy.state_seq, expected.state_seq());
    EXPECT_EQ(copy.created_at_utc, PostgresArchive::UtcLabel(copy.created_at_ns));
    EXPECT_EQ(copy.checksum, Checksum64(EncodeEngineState(expected)));
    EXPECT_EQ(copy.document_bytes, EncodeEngineState(expected).size());
    const Result<EngineState> read = archive.Read(copy.id);
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    EXPECT_EQ(*read, expected);
    EXPECT_EQ(archive.Positions(copy.id)->size(), expected.trading.positions.size());
    EXPECT_EQ(archive.Balances(copy.id)->size(), expected.trading.balances.size());
  }
  EXPECT_FALSE(archive.Positions(copies->front().id)->empty());
  // The document is stored as its bytes (BYTEA, sent in binary), not as text.
  EXPECT_EQ(admin_.Sql("SELECT COUNT(*) FROM archived_copies WHERE "
                       "octet_length(document) <> document_bytes"),
            "0");
  EXPECT_EQ(
      admin_.Sql("SELECT data_type FROM information_schema.columns WHERE table_schema = '" +
                 schema_ + "' AND table_name = 'archived_copies' AND column_name = 'document'"),
      "bytea");
  testing::ExpectEveryAttemptLoggedOk(archive, states.size());
}

// Positions and balances go to the server as arrays in one statement each:
// text that means something inside an array literal (quotes, backslashes,
// commas, braces, NULL, spaces) arrives as it was, row for row.
TEST_F(PostgresArchiveTest, RowsOfAnyTextArriveAsTheyWere) {
  EngineState state = ArchiveStates(0, 1, 1).front();
  const std::vector<std::string> symbols = {"A\"B", "C\\D", "E,F", "{G}", "NULL", " H ", ""};
  int64_t lots = 1;
  for (const std::string& symbol : symbols) {
    state.trading.positions[symbol] = {symbol, lots, lots * 100, -lots};
    state.trading.risk.exposure_lots[symbol] = lots;
    ++lots;
  }
  state.trading.balances["v\"1/c,2"] = {"v\"1", "c,2", 500, 400};
  PostgresArchive archive(clock_, Options());
  ASSERT_OK(archive.Open());
  ASSERT_OK(archive.Archive(state));
  const int64_t id = archive.List()->front().id;
  const Result<EngineState> read = archive.Read(id);  // checks the rows against the document
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, state);
  const Result<std::vector<Position>> positions = archive.Positions(id);
  ASSERT_TRUE(positions.ok());
  ASSERT_EQ(positions->size(), state.trading.positions.size());
  for (const Position& p : *positions) {
    EXPECT_EQ(p, state.trading.positions.at(p.symbol)) << p.symbol;
  }
  const Result<std::vector<Balance>> balances = archive.Balances(id);
  ASSERT_TRUE(balances.ok());
  ASSERT_EQ(balances->size(), state.trading.balances.size());
  EXPECT_EQ(admin_.Sql("SELECT venue || '|' || currency FROM balances WHERE venue LIKE 'v%'"),
            "v\"1|c,2");
}

TEST_F(PostgresArchiveTest, ListOrdersByStateSeqNotByArrival) {
  const std::vector<EngineState> states = ArchiveStates(0, 3, 3);
  PostgresArchive archive(clock_, Options());
  ASSERT_OK(archive.Open());
  ArchiveAll(archive, {states[2], states[0], states[1]});
  const std::vector<ArchivedCopyInfo> copies = *archive.List();
  ASSERT_EQ(copies.size(), 3u);
  EXPECT_EQ(copies[0].state_seq, states[2].state_seq());
  EXPECT_EQ(copies[1].state_seq, states[1].state_seq());
  EXPECT_EQ(copies[2].state_seq, states[0].state_seq());
  EXPECT_EQ(archive.NewestValid()->state, states[2]);
}

TEST_F(PostgresArchiveTest, ArchiveOfAnOlderSchemaIsMigratedOnOpen) {
  {
    PostgresArchiveOptions options = Options();
    options.archive_schema_max = 1;
    PostgresArchive old(clock_, options);
    ASSERT_OK(old.Open());
    EXPECT_EQ(old.schema_version(), 1);
    EXPECT_FALSE(old.Archive(ArchiveStates(0, 1, 3)[0]).ok())
        << "a version 1 archive has no notes column to write";
  }
  EXPECT_EQ(admin_.Sql("SELECT MAX(version) FROM schema_version"), "1");
  PostgresArchive archive(clock_, Options());
  ASSERT_OK(archive.Open());
  EXPECT_EQ(archive.schema_version(), kArchiveSchemaCurrent);
  EXPECT_EQ(admin_.Sql("SELECT COUNT(*) FROM schema_version"),
            std::to_string(kArchiveSchemaCurrent));
  const EngineState state = ArchiveStates(0, 1, 3)[0];
  ASSERT_OK(archive.Archive(state));
  const std::vector<ArchiveLogEntry> log = *archive.Log();
  ASSERT_FALSE(log.empty());
  EXPECT_TRUE(log.back().ok);
  EXPECT_FALSE(log.back().notes.empty());
  EXPECT_EQ(*archive.Read(log.back().copy_id), state);
}

TEST_F(PostgresArchiveTest, ArchiveOfANewerSchemaIsRefusedNamingTheDatabase) {
  {
    PostgresArchive archive(clock_, Options());
    ASSERT_OK(archive.Open());
  }
  admin_.Sql("INSERT INTO schema_version (version, description) VALUES (" +
             std::to_string(kArchiveSchemaCurrent + 1) + ", 'from the future')");
  PostgresArchive archive(clock_, Options());
  const Status refused = archive.Open();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.path(), archive.Describe());
  EXPECT_NE(refused.path().find(std::getenv("PGDATABASE")), std::string::npos) << refused.path();
  EXPECT_NE(refused.ToString().find("newer than this build"), std::string::npos)
      << refused.ToString();
  EXPECT_FALSE(archive.Archive(ArchiveStates(0, 1, 3)[0]).ok()) << "nothing is written to it";
  EXPECT_EQ(admin_.Sql("SELECT COUNT(*) FROM archived_copies"), "0");
}

// A document changed in the database (one byte, by SQL) is refused naming the
// copy, and the newest valid copy is the one before it.
TEST_F(PostgresArchiveTest, DocumentAlteredInTheDatabaseIsRefusedNamingTheCopyNeverLoaded) {
  const std::vector<EngineState> states = ArchiveStates(0, 3, 3);
  PostgresArchive archive(clock_, Options());
  ASSERT_OK(archive.Open());
  ArchiveAll(archive, states);
  admin_.Sql(
      "UPDATE archived_copies SET document = set_byte(document, 40, "
      "get_byte(document, 40) # 1) WHERE id = 3");
  const Result<EngineState> read = archive.Read(3);
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(read.status().IsCorruption());
  EXPECT_EQ(read.status().field(), "checksum_xxh3");
  EXPECT_NE(read.status().path().find("copy 3"), std::string::npos) << read.status().ToString();
  const Result<ArchivedState> newest = archive.NewestValid();
  ASSERT_TRUE(newest.ok()) << newest.status().ToString();
  EXPECT_EQ(newest->id, 2);
  EXPECT_EQ(newest->state, states[1]);
  ASSERT_EQ(newest->skipped.size(), 1u);
  // Retention keeps the newest valid copy, not the newest (corrupt) one.
  clock_.Advance(365 * 24 * kHourNs);
  const Result<ArchivePruneResult> pruned = archive.Prune({});
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->newest_valid_id, 2);
  EXPECT_EQ(archive.NewestValid()->id, 2);
}

TEST_F(PostgresArchiveTest, RowsThatDisagreeWithTheDocumentAreReported) {
  PostgresArchive archive(clock_, Options());
  ASSERT_OK(archive.Open());
  ArchiveAll(archive, ArchiveStates(0, 1, 6));
  admin_.Sql("UPDATE positions SET quantity_lots = quantity_lots + 1 WHERE copy_id = 1");
  const Result<EngineState> read = archive.Read(1);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().field(), "positions");
  EXPECT_NE(read.status().path().find(archive.Describe() + " copy 1"), std::string::npos)
      << read.status().ToString();
}

// The server fails in the middle of the copy's transaction (a full disk, by a
// trigger raising SQLSTATE 53100 on the balances insert): nothing of the copy
// is visible, the failed attempt is logged, and the error names the server
// and the step.
TEST_F(PostgresArchiveTest, FailureMidCopyLeavesNoPartOfItAndLogsTheAttemptAsFailed) {
  const std::vector<EngineState> states = ArchiveStates(0, 2, 6);
  PostgresArchive archive(clock_, Options());
  ASSERT_OK(archive.Open());
  ASSERT_OK(archive.Archive(states[0]));
  admin_.Sql("CREATE FUNCTION " + schema_ +
             ".disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
             "RAISE EXCEPTION 'could not extend file: No space left on device' "
             "USING ERRCODE = '53100'; END $$");
  admin_.Sql("CREATE TRIGGER disk_full BEFORE INSERT ON " + schema_ +
             ".balances FOR EACH ROW EXECUTE FUNCTION " + schema_ + ".disk_full()");
  const Status failed = archive.Archive(states[1]);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.code(), StatusCode::kNoSpace) << failed.ToString();
  EXPECT_EQ(failed.path(), archive.Describe());
  EXPECT_NE(failed.ToString().find("insert the copy's balances"), std::string::npos)
      << failed.ToString();
  EXPECT_EQ(admin_.Sql("SELECT COUNT(*) FROM archived_copies"), "1");
  EXPECT_EQ(admin_.Sql("SELECT COUNT(*) FROM positions WHERE copy_id <> 1"), "0");
  const std::vector<ArchiveLogEntry> log = *archive.Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_TRUE(log[0].ok);
  EXPECT_FALSE(log[1].ok);
  EXPECT_EQ(log[1].copy_id, 0);
  EXPECT_NE(log[1].error.find("No space left"), std::string::npos) << log[1].error;

  admin_.Sql("DROP TRIGGER disk_full ON " + schema_ + ".balances");
  ASSERT_OK(archive.Archive(states[1]));
  EXPECT_EQ(archive.NewestValid()->state, states[1]);
}

// A server that stops answering mid-copy (a trigger sleeping past the
// statement timeout) fails the attempt within the timeout, not after it.
TEST_F(PostgresArchiveTest, StatementPastTheTimeoutFailsTheAttemptAndTheNextOneSucceeds) {
  const std::vector<EngineState> states = ArchiveStates(0, 2, 6);
  PostgresArchiveOptions options = Options();
  options.connection.statement_timeout_ms = 300;
  PostgresArchive archive(clock_, options);
  ASSERT_OK(archive.Open());
  admin_.Sql("CREATE FUNCTION " + schema_ +
             ".stall() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
             "PERFORM pg_sleep(30); RETURN NEW; END $$");
  admin_.Sql("CREATE TRIGGER stall BEFORE INSERT ON " + schema_ +
             ".positions FOR EACH ROW EXECUTE FUNCTION " + schema_ + ".stall()");
  const auto started = std::chrono::steady_clock::now();
  const Status failed = archive.Archive(states[0]);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.code(), StatusCode::kUnavailable) << failed.ToString();
  EXPECT_NE(failed.ToString().find("57014"), std::string::npos) << failed.ToString();
  EXPECT_EQ(admin_.Sql("SELECT COUNT(*) FROM archived_copies"), "0");
  admin_.Sql("DROP TRIGGER stall ON " + schema_ + ".positions");
  ASSERT_OK(archive.Archive(states[1]));
  const std::vector<ArchiveLogEntry> log = *archive.Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_FALSE(log[0].ok);
  EXPECT_TRUE(log[1].ok);
}

// One database goes away while the engine trades: its backends are
// terminated and it refuses connections (ALLOW_CONNECTIONS false), then comes
// back. PostgresServerStopTest below stops the whole server.
TEST_F(PostgresArchiveTest, ServerGoneMidRunIsCountedAndTheNextPeriodArchivesAgain) {
  const std::string database = schema_;
  admin_.Sql("DROP DATABASE IF EXISTS " + database);
  admin_.Sql("CREATE DATABASE " + database);
  struct DropDatabase {
    Admin& admin;
    std::string name;
    ~DropDatabase() { admin.Sql("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); }
  } drop{admin_, database};
  PostgresArchiveOptions archive_options = Options();
  archive_options.connection.conninfo = "dbname=" + database;
  PostgresArchive archive(clock_, archive_options);
  ASSERT_OK(archive.Open());
  TradeThroughAnOutage(
      archive,
      [&] {
        admin_.Sql("ALTER DATABASE " + database + " ALLOW_CONNECTIONS false");
        admin_.Sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                   database + "'");
      },
      [&] { admin_.Sql("ALTER DATABASE " + database + " ALLOW_CONNECTIONS true"); });
}

// The suite's server itself stops (immediate shutdown: as in a crash, so
// restarting it runs its crash recovery) and starts again while the engine
// trades. Runs alone (tests/system/archive/CMakeLists.txt: SERIAL), and only
// on pg_virtualenv's throwaway cluster, never on a server it was pointed at.
class PostgresServerStopTest : public PostgresArchiveTest {
 protected:
  static int Cluster(const std::string& action) {
    const std::string command =
        "pg_ctlcluster \"$PGVERSION\" regress " + action + " >/dev/null 2>&1";
    return std::system(command.c_str());
  }
};

TEST_F(PostgresServerStopTest, ServerStoppedAndStartedMidRunIsCountedAndArchivesAgain) {
  if (std::getenv("PG_CLUSTER_CONF_ROOT") == nullptr || std::getenv("PGVERSION") == nullptr) {
    GTEST_SKIP() << "stops the server: only on pg_virtualenv's throwaway cluster (.ci/test)";
  }
  struct StartAgain {  // whatever happens, the other tests get their server back
    ~StartAgain() { (void)Cluster("start"); }
  } start_again;
  PostgresArchive archive(clock_, Options());
  ASSERT_OK(archive.Open());
  TradeThroughAnOutage(
      archive, [] { ASSERT_EQ(Cluster("stop -m immediate"), 0) << "pg_ctlcluster stop"; },
      [&] {
        ASSERT_EQ(Cluster("start"), 0) << "pg_ctlcluster start";
        admin_.Reconnect();
        ASSERT_TRUE(admin_.connected()) << admin_.error();
      });
}

// Nothing listens on the port: the attempt fails at once (well within the
// connect timeout), names host:port, is counted, and trading goes on.
TEST_F(PostgresArchiveTest, ConnectionRefusedFailsFastNamingHostPortAndTradingGoesOn) {
  const int port = UnusedPort();
  PostgresArchiveOptions archive_options = Options();
  archive_options.connection.conninfo =
      "host=127.0.0.1 port=" + std::to_string(port) + " dbname=archive";
  PostgresArchive archive(clock_, archive_options);
  const auto started = std::chrono::steady_clock::now();
  const Status refused = archive.Archive(ArchiveStates(0, 1, 3)[0]);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable) << refused.ToString();
  EXPECT_LT(took, std::chrono::seconds(archive_options.connection.connect_timeout_s));
  const std::string where = "127.0.0.1:" + std::to_string(port);
  EXPECT_NE(refused.ToString().find(where), std::string::npos) << refused.ToString();
  EXPECT_NE(refused.ToString().find("connect"), std::string::npos) << refused.ToString();

  SimDisk disk({});
  MultiLevelCheckpointer checkpointer(disk, clock_, HourlyArchive(), &archive);
  ASSERT_OK(checkpointer.Open({}));
  for (int k = 0; k < 4; ++k) {
    ASSERT_OK(checkpointer.Commit(testing::ArchiveScriptUpdate(0, k)));
    clock_.Advance(kHourNs);
    EXPECT_FALSE(checkpointer.Tick().ok());
  }
  EXPECT_EQ(checkpointer.stats().commits, 4u);
  EXPECT_EQ(checkpointer.stats().archive.failures, 4u);
  EXPECT_NE(checkpointer.stats().archive.last_error.ToString().find(where), std::string::npos);
}

TEST_F(PostgresArchiveTest, ThePasswordNeverAppearsInAnyError) {
  std::vector<std::string> messages;
  const std::string port = std::to_string(UnusedPort());
  for (const std::string& conninfo :
       {"host=127.0.0.1 port=" + port + " dbname=archive user=trader password=secret",
        "postgresql://trader:secret@127.0.0.1:" + port + "/archive",
        std::string("host=") + std::getenv("PGHOST") + " user=cd_no_such_user password=secret",
        // Neither parses; libpq's own message would quote the second whole.
        std::string("password=secret host"), std::string("postgresql://trader:secret@[::1/x")}) {
    PostgresArchiveOptions archive_options = Options();
    archive_options.connection.conninfo = conninfo;
    PostgresArchive archive(clock_, archive_options);
    messages.push_back(archive.Describe());
    messages.push_back(archive.Open().ToString());
    messages.push_back(archive.Archive(ArchiveStates(0, 1, 3)[0]).ToString());
    messages.push_back(archive.List().status().ToString());
  }
  for (const std::string& message : messages) {
    EXPECT_EQ(message.find("secret"), std::string::npos) << message;
    if (std::getenv("CRASHDRILL_PRINT_ERRORS") != nullptr) std::printf("%s\n", message.c_str());
  }
  EXPECT_NE(messages[1].find("127.0.0.1:" + port), std::string::npos) << messages[1];
}

// The state directory is lost; the archive is on the server: recovery finds
// its newest valid copy as a kL4 candidate and recovers from it; with the
// directory intact, its newer local copies win.
TEST_F(PostgresArchiveTest, RecoveryChoosesTheArchivedCopyOnlyWhenItIsTheNewestValid) {
  SimDisk disk({});
  PostgresArchive archive(clock_, Options());
  testing::CheckRecoveryChoosesTheArchiveOnlyWhenItIsTheNewestValid(disk, clock_, archive);
  EXPECT_EQ(archive.Describe().find("postgresql://"), 0u) << archive.Describe();
}

}  // namespace
}  // namespace crashdrill::system

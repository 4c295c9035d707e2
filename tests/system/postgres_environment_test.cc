// The test command runs the suite inside pg_virtualenv so archive tests use a
// real PostgreSQL. This checks that contract: the server is reachable and
// durable (pg_virtualenv defaults to fsync=off, which would make every
// durability claim about the archive meaningless).
#include <libpq-fe.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

namespace crashdrill::system {
namespace {

TEST(PostgresEnvironmentTest, SuiteDatabaseRunsWithFsyncOn) {
  if (std::getenv("PGHOST") == nullptr) {
    GTEST_SKIP() << "PGHOST is unset: run the suite through .ci/test (pg_virtualenv)";
  }
  PGconn* connection = PQconnectdb("");  // PGHOST, PGPORT, PGUSER, PGPASSWORD from the env
  ASSERT_EQ(PQstatus(connection), CONNECTION_OK) << PQerrorMessage(connection);
  PGresult* result = PQexec(connection, "SHOW fsync");
  ASSERT_EQ(PQresultStatus(result), PGRES_TUPLES_OK) << PQerrorMessage(connection);
  EXPECT_EQ(std::string(PQgetvalue(result, 0, 0)), "on");
  PQclear(result);
  PQfinish(connection);
}

}  // namespace
}  // namespace crashdrill::system

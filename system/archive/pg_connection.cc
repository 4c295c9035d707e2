#include "system/archive/pg_connection.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <map>

#include "system/io/check.h"

namespace crashdrill::system {
namespace {

constexpr Oid kByteaOid = 17;  // pg_type.oid of bytea

// The connection options libpq would use: its defaults (the environment
// included), then what `conninfo` sets. Empty when `conninfo` does not parse.
std::map<std::string, std::string> ResolvedOptions(const std::string& conninfo, bool* parsed) {
  std::map<std::string, std::string> values;
  const auto add = [&values](PQconninfoOption* options) {
    for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
      if (o->val != nullptr && o->val[0] != '\0') values[o->keyword] = o->val;
    }
    PQconninfoFree(options);
  };
  add(PQconndefaults());
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (error != nullptr) PQfreemem(error);  // it may quote the string, password and all
  *parsed = options != nullptr;
  if (options != nullptr) add(options);
  return values;
}

// libpq's message on one line: its line breaks and tabs become single spaces.
std::string OneLine(const char* message) {
  std::string out;
  for (const char* c = message != nullptr ? message : ""; *c != '\0'; ++c) {
    const bool space = *c == '\n' || *c == '\t' || *c == ' ';
    if (!space) {
      out += *c;
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out.empty() ? "no message from libpq" : out;
}

StatusCode CodeOfSqlState(std::string_view state) {
  if (state == "53100") return StatusCode::kNoSpace;  // disk_full
  // 08: connection exception; 57: operator intervention (shutdown, statement
  // timeout); 53: out of memory, too many connections; 40: serialization.
  for (std::string_view transient : {"08", "57", "53", "40"}) {
    if (state.substr(0, 2) == transient) return StatusCode::kUnavailable;
  }
  return StatusCode::kIoError;
}

void IgnoreNotice(void*, const char*) {}

}  // namespace

PgParam PgParam::Int(int64_t value) { return {.text = std::to_string(value)}; }
PgParam PgParam::Text(std::string_view text) { return {.text = std::string(text)}; }
PgParam PgParam::Bytes(ByteSpan bytes) { return {.bytes = bytes, .binary = true}; }

PgResult::~PgResult() {
  if (result_ != nullptr) PQclear(result_);
}

int PgResult::Rows() const { return PQntuples(result_); }

bool PgResult::IsNull(int row, int column) const { return PQgetisnull(result_, row, column); }

std::string PgResult::Text(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column),
                     static_cast<size_t>(PQgetlength(result_, row, column)));
}

int64_t PgResult::Int(int row, int column) const {
  const std::string text = Text(row, column);
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  CD_CHECK(error == std::errc() && end == text.data() + text.size(),
           "a BIGINT column came back as something other than an integer");
  return value;
}

ByteSpan PgResult::Bytes(int row, int column) const {
  return ByteSpan(reinterpret_cast<const std::byte*>(PQgetvalue(result_, row, column)),
                  static_cast<size_t>(PQgetlength(result_, row, column)));
}

int64_t PgResult::BinaryInt(int row, int column) const {
  const ByteSpan bytes = Bytes(row, column);
  CD_CHECK(bytes.size() == 8, "a binary BIGINT column is not 8 bytes");
  uint64_t value = 0;
  for (std::byte b : bytes) value = (value << 8) | static_cast<uint8_t>(b);  // network order
  return static_cast<int64_t>(value);
}

std::string PgConnection::DescribeTarget(const std::string& conninfo) {
  bool parsed = false;
  std::map<std::string, std::string> values = ResolvedOptions(conninfo, &parsed);
  if (!parsed) return "postgresql (a connection string that does not parse)";
  std::string host = values.count("host") ? values["host"] : values["hostaddr"];
  if (host.empty()) host = "localhost";
  const std::string port = values.count("port") ? values["port"] : "5432";
  const std::string dbname = values.count("dbname") ? values["dbname"] : values["user"];
  return fmt::format("postgresql://{}:{}/{}", host, port, dbname);
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const PgConnectOptions& options) {
  const std::string target = DescribeTarget(options.conninfo);
  bool parsed = false;
  std::map<std::string, std::string> values = ResolvedOptions(options.conninfo, &parsed);
  if (!parsed) {
    return Status::Error(StatusCode::kInvalidArgument, "connect to the archive database", target,
                         "the connection string does not parse (not quoted: it may hold a "
                         "password)");
  }
  std::vector<std::string> secrets;
  if (values.count("password")) secrets.push_back(values["password"]);
  // Ours first: what the connection string says overrides them (libpq takes
  // the last value of a keyword, and expands dbname in place).
  const std::string timeout = std::to_string(options.connect_timeout_s);
  std::vector<const char*> keywords = {"connect_timeout", "keepalives_idle", "keepalives_interval",
                                       "keepalives_count"};
  std::vector<const char*> settings = {timeout.c_str(), "10", "5", "3"};
  if (!options.conninfo.empty()) {
    keywords.push_back("dbname");
    settings.push_back(options.conninfo.c_str());
  }
  keywords.push_back(nullptr);
  settings.push_back(nullptr);
  PGconn* connection = PQconnectdbParams(keywords.data(), settings.data(), 1);
  CD_CHECK(connection != nullptr, "libpq could not allocate a connection");
  std::unique_ptr<PgConnection> out(new PgConnection(connection, target, std::move(secrets)));
  if (PQstatus(connection) != CONNECTION_OK) {
    return out->Error("connect to the archive database", nullptr);
  }
  PQsetNoticeProcessor(connection, IgnoreNotice, nullptr);
  // A COMMIT acknowledged is flushed to the server's WAL, whatever the
  // database's default says: the archive's durability claim rests on it.
  CD_RETURN_IF_ERROR(out->Exec("SET synchronous_commit = on", "set the session"));
  CD_RETURN_IF_ERROR(out->Exec(
      fmt::format("SET statement_timeout = {}", options.statement_timeout_ms), "set the session"));
  return out;
}

PgConnection::PgConnection(pg_conn* connection, std::string target,
                           std::vector<std::string> secrets)
    : connection_(connection), target_(std::move(target)), secrets_(std::move(secrets)) {}

PgConnection::~PgConnection() { PQfinish(connection_); }

bool PgConnection::alive() const { return PQstatus(connection_) == CONNECTION_OK; }

bool PgConnection::in_transaction() const {
  const PGTransactionStatusType status = PQtransactionStatus(connection_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

Status PgConnection::Error(std::string_view step, const pg_result* result) const {
  std::string message =
      OneLine(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(connection_));
  for (const std::string& secret : secrets_) {
    for (size_t at = message.find(secret); at != std::string::npos; at = message.find(secret, at)) {
      message.replace(at, secret.size(), "***");
    }
  }
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  StatusCode code = state != nullptr ? CodeOfSqlState(state) : StatusCode::kUnavailable;
  if (!alive()) code = StatusCode::kUnavailable;
  if (state != nullptr) message += fmt::format(" (SQLSTATE {})", state);
  return Status::Error(code, step, target_, message);
}

Result<PgResult> PgConnection::Query(std::string_view sql, std::string_view step,
                                     std::span<const PgParam> params, bool binary_result) {
  std::vector<Oid> types;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const PgParam& param : params) {
    types.push_back(param.binary ? kByteaOid : 0);
    values.push_back(param.binary ? reinterpret_cast<const char*>(param.bytes.data())
                                  : param.text.c_str());
    lengths.push_back(static_cast<int>(param.binary ? param.bytes.size() : param.text.size()));
    formats.push_back(param.binary ? 1 : 0);
  }
  const std::string command(sql);
  PgResult result(PQexecParams(connection_, command.c_str(), static_cast<int>(params.size()),
                               types.data(), values.data(), lengths.data(), formats.data(),
                               binary_result ? 1 : 0));
  const ExecStatusType status = PQresultStatus(result.raw());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Error(step, result.raw());
  return result;
}

Status PgConnection::Exec(std::string_view sql, std::string_view step,
                          std::span<const PgParam> params) {
  return Query(sql, step, params).status();
}

Result<int64_t> PgConnection::QueryInt(std::string_view sql, std::string_view step,
                                       std::span<const PgParam> params) {
  CD_ASSIGN_OR_RETURN(const PgResult result, Query(sql, step, params));
  if (result.Rows() != 1 || result.IsNull(0, 0)) {
    return Status::Error(StatusCode::kIoError, step, target_, "expected one integer");
  }
  return result.Int(0, 0);
}

}  // namespace crashdrill::system

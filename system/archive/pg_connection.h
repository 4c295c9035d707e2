// PgConnection and PgResult: one libpq connection, with errors as Status
// values that name the server (host:port/dbname, never a password), the step
// that failed and the server's message. No durability promise of its own: a
// COMMIT that returns OK is durable as the server's fsync and
// synchronous_commit settings make it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "system/io/fs.h"
#include "system/io/result.h"
#include "system/io/status.h"

struct pg_conn;
struct pg_result;

namespace crashdrill::system {

// One parameter of a statement: text (a number or a string) or bytes, sent in
// binary so a document is never escaped. Bytes are borrowed, not copied.
struct PgParam {
  static PgParam Int(int64_t value);
  static PgParam Text(std::string_view text);
  static PgParam Bytes(ByteSpan bytes);

  std::string text;
  ByteSpan bytes;
  bool binary = false;
};

class PgResult {
 public:
  explicit PgResult(pg_result* result) : result_(result) {}
  PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  PgResult& operator=(PgResult&&) = delete;
  PgResult(const PgResult&) = delete;
  ~PgResult();

  int Rows() const;
  bool IsNull(int row, int column) const;
  // Columns of a text-format result.
  std::string Text(int row, int column) const;
  int64_t Int(int row, int column) const;
  // Columns of a binary-format result: BYTEA as its bytes, BIGINT as its value.
  ByteSpan Bytes(int row, int column) const;
  int64_t BinaryInt(int row, int column) const;
  pg_result* raw() const { return result_; }

 private:
  pg_result* result_;
};

struct PgConnectOptions {
  // A libpq connection string or URI; empty: libpq's environment (PGHOST,
  // PGPORT, PGUSER, PGPASSWORD, PGDATABASE, ...).
  std::string conninfo;
  // Used unless `conninfo` sets connect_timeout itself. libpq waits at least
  // 2 s whatever is asked.
  int connect_timeout_s = 5;
  // How long one statement may run on the server before it is cancelled.
  int statement_timeout_ms = 30'000;
};

class PgConnection {
 public:
  // Connects; kUnavailable naming the server when it cannot (refused,
  // unreachable, timed out, authentication failed), kInvalidArgument when
  // the connection string does not parse (without quoting it: it may hold a
  // password).
  static Result<std::unique_ptr<PgConnection>> Connect(const PgConnectOptions& options);
  ~PgConnection();

  // "postgresql://host:port/dbname" from `conninfo` and the environment, as
  // libpq would resolve them; never the user's password.
  static std::string DescribeTarget(const std::string& conninfo);

  // Runs `sql` (parameters ?N as $N already) and returns its rows, in binary
  // format if `binary_result`. Errors name `step`.
  Result<PgResult> Query(std::string_view sql, std::string_view step,
                         std::span<const PgParam> params = {}, bool binary_result = false);
  Status Exec(std::string_view sql, std::string_view step, std::span<const PgParam> params = {});
  // A statement returning one integer.
  Result<int64_t> QueryInt(std::string_view sql, std::string_view step,
                           std::span<const PgParam> params = {});

  // False once the server has gone (terminated, restarted, network lost): the
  // connection must then be replaced.
  bool alive() const;
  // True inside a transaction block, also a failed one.
  bool in_transaction() const;
  const std::string& target() const { return target_; }

 private:
  PgConnection(pg_conn* connection, std::string target, std::vector<std::string> secrets);
  Status Error(std::string_view step, const pg_result* result) const;

  pg_conn* connection_;
  std::string target_;
  std::vector<std::string> secrets_;  // scrubbed from every message
};

}  // namespace crashdrill::system

// SQLite as a WAL: journal_mode=WAL with synchronous=FULL (NORMAL may lose
// the last commits on power loss), one autocommit INSERT per durable record.
// SQLite has one writer at a time and no group commit, so concurrent writers
// share one connection behind a mutex: the cheapest way SQLite serialises
// them (separate connections would add busy-handler sleeps, a cost of the
// measurement rather than of SQLite's durability).
#include <fmt/format.h>
#include <sqlite3.h>

#include <mutex>

#include "tests/bench/peer_store.h"

namespace crashdrill::bench {
namespace {

using system::RecordType;
using system::Status;
using system::StatusCode;

class SqliteStore final : public PeerStore {
 public:
  ~SqliteStore() override { Close().IgnoreError(); }
  std::string_view name() const override { return "sqlite"; }

  Status Create(const std::string& dir) override {
    CD_RETURN_IF_ERROR(OpenDb(dir));
    CD_RETURN_IF_ERROR(
        Exec("CREATE TABLE records(seq INTEGER PRIMARY KEY, type INTEGER NOT NULL, "
             "payload BLOB NOT NULL)"));
    return Prepare("INSERT INTO records(seq, type, payload) VALUES(?1, ?2, ?3)", &insert_);
  }

  Status Append(uint64_t seq, RecordType type, std::string_view payload) override {
    std::lock_guard lock(mu_);
    return Insert(seq, type, payload);
  }

  Status Load(uint64_t count, RecordType type,
              const std::function<std::string(uint64_t)>& payload_of) override {
    std::lock_guard lock(mu_);
    constexpr uint64_t kPerTransaction = 10'000;
    for (uint64_t seq = 1; seq <= count;) {
      CD_RETURN_IF_ERROR(Exec("BEGIN"));
      const uint64_t end = std::min(count + 1, seq + kPerTransaction);
      for (; seq < end; ++seq) CD_RETURN_IF_ERROR(Insert(seq, type, payload_of(seq)));
      CD_RETURN_IF_ERROR(Exec("COMMIT"));
    }
    return Status::Ok();
  }

  // Closing the last connection checkpoints the WAL into the database file.
  Status Close() override {
    if (db_ == nullptr) return Status::Ok();
    sqlite3_finalize(insert_);
    insert_ = nullptr;
    const int rc = sqlite3_close(db_);
    if (rc != SQLITE_OK) return Error("close", sqlite3_errstr(rc));
    db_ = nullptr;
    return Status::Ok();
  }

  system::Result<uint64_t> ReopenAndRead(const std::string& dir,
                                         const RecordVisitor& visit) override {
    CD_RETURN_IF_ERROR(OpenDb(dir));
    sqlite3_stmt* select = nullptr;
    CD_RETURN_IF_ERROR(Prepare("SELECT type, payload FROM records ORDER BY seq", &select));
    uint64_t records = 0;
    int rc;
    Status status;
    while (status.ok() && (rc = sqlite3_step(select)) == SQLITE_ROW) {
      const auto* bytes = static_cast<const char*>(sqlite3_column_blob(select, 1));
      const int size = sqlite3_column_bytes(select, 1);
      status = visit(static_cast<RecordType>(sqlite3_column_int(select, 0)),
                     std::string_view(bytes, static_cast<size_t>(size)));
      ++records;
    }
    if (status.ok() && rc != SQLITE_DONE) status = Error("select", sqlite3_errmsg(db_));
    sqlite3_finalize(select);
    Status closed = Close();
    CD_RETURN_IF_ERROR(status);
    CD_RETURN_IF_ERROR(closed);
    return records;
  }

 private:
  Status OpenDb(const std::string& dir) {
    path_ = dir + "/records.db";
    const int rc =
        sqlite3_open_v2(path_.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      Status status = Error("open", db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
      sqlite3_close(db_);
      db_ = nullptr;
      return status;
    }
    CD_RETURN_IF_ERROR(ExpectPragma("PRAGMA journal_mode=WAL", "wal"));
    CD_RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL"));
    return ExpectPragma("PRAGMA synchronous", "2");  // FULL
  }

  Status Insert(uint64_t seq, RecordType type, std::string_view payload) {
    sqlite3_bind_int64(insert_, 1, static_cast<sqlite3_int64>(seq));
    sqlite3_bind_int(insert_, 2, static_cast<int>(type));
    sqlite3_bind_blob(insert_, 3, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(insert_);
    sqlite3_reset(insert_);
    return rc == SQLITE_DONE ? Status::Ok() : Error("insert", sqlite3_errmsg(db_));
  }

  Status Exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return Status::Ok();
    Status status = Error(sql, message != nullptr ? message : "failed");
    sqlite3_free(message);
    return status;
  }

  // Runs a pragma and checks the one value it returns.
  Status ExpectPragma(const char* sql, std::string_view expected) {
    sqlite3_stmt* statement = nullptr;
    CD_RETURN_IF_ERROR(Prepare(sql, &statement));
    std::string value;
    if (sqlite3_step(statement) == SQLITE_ROW) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    }
    sqlite3_finalize(statement);
    if (value == expected) return Status::Ok();
    return Error(sql, fmt::format("returned '{}', expected '{}'", value, expected));
  }

  Status Prepare(const char* sql, sqlite3_stmt** statement) {
    if (sqlite3_prepare_v2(db_, sql, -1, statement, nullptr) == SQLITE_OK) return Status::Ok();
    return Error("prepare", sqlite3_errmsg(db_));
  }

  Status Error(std::string_view operation, std::string_view message) const {
    return Status::Error(StatusCode::kIoError, fmt::format("sqlite {}", operation), path_, message);
  }

  std::mutex mu_;
  std::string path_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
};

}  // namespace

std::unique_ptr<PeerStore> MakeSqliteStore() { return std::make_unique<SqliteStore>(); }

}  // namespace crashdrill::bench

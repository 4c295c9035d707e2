// RocksDB as a WAL: Put with WriteOptions::sync (its WAL is synced before Put
// returns; concurrent writers are grouped by its write-thread leader), default
// options otherwise. Key: state_seq big-endian; value: type byte + payload.
// The replay setup flushes the memtable, so a reopen reads SST files and has no
// WAL to replay: RocksDB's cheapest restart, the favourable side for the peer.
#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/statistics.h>
#include <rocksdb/write_batch.h>

#include "tests/bench/peer_store.h"

namespace crashdrill::bench {
namespace {

using system::RecordType;
using system::Status;
using system::StatusCode;

std::string Key(uint64_t seq) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i, seq >>= 8) key[static_cast<size_t>(i)] = static_cast<char>(seq);
  return key;
}

std::string Value(RecordType type, std::string_view payload) {
  std::string value(1, static_cast<char>(type));
  value.append(payload);
  return value;
}

class RocksDbStore final : public PeerStore {
 public:
  ~RocksDbStore() override { Close().IgnoreError(); }
  std::string_view name() const override { return "rocksdb"; }

  Status Create(const std::string& dir) override {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.error_if_exists = true;
    statistics_ = rocksdb::CreateDBStatistics();
    options.statistics = statistics_;
    return Open(options, dir);
  }

  Status Append(uint64_t seq, RecordType type, std::string_view payload) override {
    rocksdb::WriteOptions write;
    write.sync = true;
    return Check("put", db_->Put(write, Key(seq), Value(type, payload)));
  }

  Status Load(uint64_t count, RecordType type,
              const std::function<std::string(uint64_t)>& payload_of) override {
    constexpr uint64_t kPerBatch = 10'000;
    for (uint64_t seq = 1; seq <= count;) {
      rocksdb::WriteBatch batch;
      const uint64_t end = std::min(count + 1, seq + kPerBatch);
      for (; seq < end; ++seq) {
        CD_RETURN_IF_ERROR(Check("batch put", batch.Put(Key(seq), Value(type, payload_of(seq)))));
      }
      CD_RETURN_IF_ERROR(Check("write", db_->Write(rocksdb::WriteOptions(), &batch)));
    }
    return Check("flush", db_->Flush(rocksdb::FlushOptions()));
  }

  uint64_t wal_syncs() const override {
    return statistics_ != nullptr ? statistics_->getTickerCount(rocksdb::WAL_FILE_SYNCED) : 0;
  }

  Status Close() override {
    if (db_ == nullptr) return Status::Ok();
    Status closed = Check("close", db_->Close());
    db_.reset();
    return closed;
  }

  system::Result<uint64_t> ReopenAndRead(const std::string& dir,
                                         const RecordVisitor& visit) override {
    statistics_.reset();
    CD_RETURN_IF_ERROR(Open(rocksdb::Options(), dir));
    uint64_t records = 0;
    Status status;
    {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
      for (it->SeekToFirst(); status.ok() && it->Valid(); it->Next()) {
        const rocksdb::Slice value = it->value();
        if (value.empty()) {
          status = Status::Error(StatusCode::kCorruption, "rocksdb read", path_, "empty value");
          break;
        }
        status = visit(static_cast<RecordType>(value[0]),
                       std::string_view(value.data() + 1, value.size() - 1));
        ++records;
      }
      if (status.ok()) status = Check("iterate", it->status());
    }
    Status closed = Close();
    CD_RETURN_IF_ERROR(status);
    CD_RETURN_IF_ERROR(closed);
    return records;
  }

 private:
  Status Open(const rocksdb::Options& options, const std::string& dir) {
    path_ = dir + "/rocksdb";
    rocksdb::DB* db = nullptr;
    CD_RETURN_IF_ERROR(Check("open", rocksdb::DB::Open(options, path_, &db)));
    db_.reset(db);
    return Status::Ok();
  }

  Status Check(std::string_view operation, const rocksdb::Status& status) const {
    if (status.ok()) return Status::Ok();
    return Status::Error(status.IsCorruption() ? StatusCode::kCorruption : StatusCode::kIoError,
                         fmt::format("rocksdb {}", operation), path_, status.ToString());
  }

  std::string path_;
  std::shared_ptr<rocksdb::Statistics> statistics_;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace

std::unique_ptr<PeerStore> MakeRocksDbStore() { return std::make_unique<RocksDbStore>(); }

}  // namespace crashdrill::bench

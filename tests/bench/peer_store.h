// Stores the WAL is measured against, in the same binary, on the same records
// and the same file system: SQLite (WAL mode, synchronous=FULL) and RocksDB
// (WriteOptions::sync), each compiled in only when configure found it. Each is
// used the way its own documentation recommends for durable writes; a record
// is (state_seq, type, payload), exactly what the WAL frames.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "system/io/result.h"
#include "system/io/status.h"
#include "system/state/state_update.h"

namespace crashdrill::bench {

using RecordVisitor = std::function<system::Status(system::RecordType, std::string_view)>;

class PeerStore {
 public:
  virtual ~PeerStore() = default;
  virtual std::string_view name() const = 0;

  // Creates the store afresh in the empty directory `dir`.
  virtual system::Status Create(const std::string& dir) = 0;
  // Appends one record and returns once it is durable. Thread-safe.
  virtual system::Status Append(uint64_t seq, system::RecordType type,
                                std::string_view payload) = 0;
  // Loads records 1..count, record seq holding payload_of(seq), in large
  // batches (the replay benchmark's setup: durable when Close returns, not
  // record by record).
  virtual system::Status Load(uint64_t count, system::RecordType type,
                              const std::function<std::string(uint64_t)>& payload_of) = 0;
  // Syncs the store's WAL has made since Create (0 when the store cannot say).
  virtual uint64_t wal_syncs() const { return 0; }
  // Closes the store cleanly, leaving it as its reopen will find it.
  virtual system::Status Close() = 0;

  // Opens the store left in `dir` by Close and visits every record in seq
  // order: what a restart on this store would cost. Returns the records seen.
  virtual system::Result<uint64_t> ReopenAndRead(const std::string& dir,
                                                 const RecordVisitor& visit) = 0;
};

// The peers configure found, each in its initial (closed) state.
std::vector<std::unique_ptr<PeerStore>> MakePeerStores();

// Each defined only when its library was found (CRASHDRILL_BENCH_WITH_<NAME>).
std::unique_ptr<PeerStore> MakeSqliteStore();
std::unique_ptr<PeerStore> MakeRocksDbStore();

}  // namespace crashdrill::bench

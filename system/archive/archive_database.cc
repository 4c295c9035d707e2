#include "system/archive/archive_database.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <set>
#include <tuple>
#include <utility>

#include "system/archive/archive_schema.h"
#include "system/io/check.h"
#include "system/state/codec.h"

namespace crashdrill::system {
namespace {

constexpr int64_t kNanosPerHour = 3600 * kNanosPerSecond;
constexpr int64_t kNanosPerDay = 24 * kNanosPerHour;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool BalanceLess(const Balance& a, const Balance& b) {
  return std::tie(a.venue, a.currency) < std::tie(b.venue, b.currency);
}

}  // namespace

std::string ArchiveDatabase::UtcLabel(int64_t wall_ns) {
  const int64_t seconds = FloorDiv(wall_ns, kNanosPerSecond);
  const int64_t nanos = wall_ns - seconds * kNanosPerSecond;
  const std::time_t time = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, nanos);
}

Result<std::vector<size_t>> PendingMigrations(int64_t version, int64_t version_max,
                                              const std::string& where) {
  if (version > kArchiveSchemaCurrent) {
    return Status::Error(StatusCode::kFailedPrecondition, "open the archive", where,
                         fmt::format("its schema version {} is newer than this build's {}; "
                                     "refusing to read or write it",
                                     version, kArchiveSchemaCurrent));
  }
  std::vector<size_t> pending;
  const std::vector<ArchiveMigration>& migrations = ArchiveMigrations();
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version > version && migrations[i].version <= version_max) {
      pending.push_back(i);
    }
  }
  return pending;
}

std::string ArchiveNotes(const EngineState& state, size_t document_bytes,
                         uint16_t state_schema_version) {
  return fmt::format("document {} bytes (state schema v{}), {} positions, {} balances",
                     document_bytes, state_schema_version, state.trading.positions.size(),
                     state.trading.balances.size());
}

Result<EngineState> ArchiveDatabase::Read(int64_t id) {
  const std::string source = fmt::format("{} copy {}", Describe(), id);
  Result<StoredCopy> stored = ReadStoredCopy(id);
  if (!stored.ok()) {
    if (stored.status().IsNotFound()) {
      return Status::Error(StatusCode::kNotFound, "read an archived copy", source, "no such copy");
    }
    return stored.status();
  }
  const uint64_t computed = Checksum64(stored->document);
  if (computed != stored->checksum) {
    return Status::Corruption(source, 0, "checksum_xxh3",
                              fmt::format("the document's XXH3-64 is {:016x}, the row says {:016x}",
                                          computed, stored->checksum));
  }
  CD_ASSIGN_OR_RETURN(EngineState state, DecodeEngineState(stored->document, source));
  if (static_cast<int64_t>(state.state_seq()) != stored->state_seq) {
    return Status::Corruption(source, 0, "state_seq",
                              fmt::format("the document holds state_seq {}, the row says {}",
                                          state.state_seq(), stored->state_seq));
  }
  CD_RETURN_IF_ERROR(Validate(state, validation_, source));
  CD_RETURN_IF_ERROR(CheckRows(id, state, source));
  return state;
}

// The positions and balances rows must be the document's: a copy whose rows
// disagree with it is reported, so an operator's query never reads rows of a
// state the archive would refuse to load.
Status ArchiveDatabase::CheckRows(int64_t id, const EngineState& state, const std::string& source) {
  CD_ASSIGN_OR_RETURN(const std::vector<Position> positions, Positions(id));
  std::vector<Position> expected_positions;
  for (const auto& entry : state.trading.positions) expected_positions.push_back(entry.second);
  if (positions != expected_positions) {
    return Status::Corruption(source, 0, "positions", "the rows disagree with the document");
  }
  CD_ASSIGN_OR_RETURN(std::vector<Balance> balances, Balances(id));
  std::vector<Balance> expected_balances;
  for (const auto& entry : state.trading.balances) expected_balances.push_back(entry.second);
  std::sort(balances.begin(), balances.end(), BalanceLess);
  std::sort(expected_balances.begin(), expected_balances.end(), BalanceLess);
  if (balances != expected_balances) {
    return Status::Corruption(source, 0, "balances", "the rows disagree with the document");
  }
  return Status::Ok();
}

Result<ArchivedState> ArchiveDatabase::NewestValid() {
  CD_ASSIGN_OR_RETURN(const std::vector<ArchivedCopyInfo> copies, List());
  ArchivedState out;
  for (const ArchivedCopyInfo& copy : copies) {
    Result<EngineState> state = Read(copy.id);
    if (state.ok()) {
      out.id = copy.id;
      out.state = std::move(*state);
      return out;
    }
    // Only a bad copy is skipped; an I/O error says nothing about the copy.
    if (!state.status().IsCorruption() && state.status().code() != StatusCode::kInvalidArgument) {
      return state.status();
    }
    out.skipped.push_back(state.status());
  }
  std::string why = fmt::format("no valid copy among {}", copies.size());
  for (const Status& skipped : out.skipped) why += "; " + skipped.ToString();
  return Status::Error(StatusCode::kNotFound, "find the newest valid copy", Describe(), why);
}

Result<ArchivePruneResult> ArchiveDatabase::Prune(const RetentionPolicy& policy) {
  ArchivePruneResult result;
  Result<ArchivedState> newest = NewestValid();
  if (!newest.ok()) {
    if (newest.status().IsNotFound()) return result;  // no valid copy: delete nothing
    return newest.status();
  }
  result.newest_valid_id = newest->id;
  CD_ASSIGN_OR_RETURN(std::vector<ArchivedCopyInfo> copies, List());
  std::sort(copies.begin(), copies.end(), [](const ArchivedCopyInfo& a, const ArchivedCopyInfo& b) {
    return std::tie(a.created_at_ns, a.id) > std::tie(b.created_at_ns, b.id);
  });
  const int64_t now_ns = clock_.Wall();
  // A bucket is (period, index); the first copy seen in it (the newest) is kept.
  std::set<std::pair<int64_t, int64_t>> buckets;
  const auto bucket_of = [&](const ArchivedCopyInfo& copy) -> std::pair<int64_t, int64_t> {
    const int64_t age = now_ns - copy.created_at_ns;
    if (age <= policy.hourly_for_ns)
      return {kNanosPerHour, FloorDiv(copy.created_at_ns, kNanosPerHour)};
    if (age <= policy.daily_for_ns)
      return {kNanosPerDay, FloorDiv(copy.created_at_ns, kNanosPerDay)};
    return {0, 0};  // too old for any bucket
  };
  for (const ArchivedCopyInfo& copy : copies) {
    if (copy.id == result.newest_valid_id) buckets.insert(bucket_of(copy));
  }
  for (const ArchivedCopyInfo& copy : copies) {
    if (copy.id == result.newest_valid_id || copy.created_at_ns > now_ns) continue;
    const std::pair<int64_t, int64_t> bucket = bucket_of(copy);
    if (bucket.first != 0 && buckets.insert(bucket).second) continue;
    result.deleted_ids.push_back(copy.id);
  }
  CD_CHECK(std::find(result.deleted_ids.begin(), result.deleted_ids.end(),
                     result.newest_valid_id) == result.deleted_ids.end(),
           "retention chose to delete the newest valid archived copy");
  if (!result.deleted_ids.empty()) CD_RETURN_IF_ERROR(DeleteCopies(result.deleted_ids));
  return result;
}

}  // namespace crashdrill::system

// The L4 archive as a source of candidate copies for recovery (DESIGN §5 step
// 1): every archived copy is listed as a kL4 candidate with the state_seq and
// wall label its row claims, and read through ArchiveDatabase::Read (SQLite or
// PostgreSQL alike), which checks the checksum, decodes with migrations and
// checks its rows; recovery validates the invariants itself and chooses by
// state_seq.
#pragma once

#include <vector>

#include "system/archive/archive_database.h"
#include "system/recovery/copy_source.h"

namespace crashdrill::system {

// `archive` must be open (SqliteArchive::Open, PostgresArchive::Open) and
// outlive the source.
class ArchiveCopySource final : public CopySource {
 public:
  explicit ArchiveCopySource(ArchiveDatabase& archive) : archive_(archive) {}
  Result<std::vector<CandidateCopy>> List() override;
  Result<EngineState> Read(const CandidateCopy& copy) override;

 private:
  ArchiveDatabase& archive_;
};

}  // namespace crashdrill::system

#include "system/archive/archive_copy_source.h"

#include <fmt/format.h>

namespace crashdrill::system {

Result<std::vector<CandidateCopy>> ArchiveCopySource::List() {
  CD_ASSIGN_OR_RETURN(const std::vector<ArchivedCopyInfo> copies, archive_.List());
  std::vector<CandidateCopy> out;
  out.reserve(copies.size());
  for (const ArchivedCopyInfo& copy : copies) {
    out.push_back({.level = CopyLevel::kL4,
                   .kind = "archive",
                   .location = fmt::format("{} copy {}", archive_.Describe(), copy.id),
                   .version = static_cast<uint64_t>(copy.id),
                   .bytes = copy.document_bytes,
                   .state_seq = copy.state_seq,
                   .wall_ns = copy.created_at_ns});
  }
  return out;
}

Result<EngineState> ArchiveCopySource::Read(const CandidateCopy& copy) {
  return archive_.Read(static_cast<int64_t>(copy.version));
}

}  // namespace crashdrill::system

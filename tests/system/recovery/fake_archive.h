// A copy source outside the state directory, in memory, for recovery tests:
// what an L4 archive or a backup target lists and reads, and which copies
// recovery asked for.
#pragma once

#include <string>
#include <vector>

#include "system/recovery/copy_source.h"

namespace crashdrill::system {

class FakeArchive final : public CopySource {
 public:
  void Add(EngineState state, bool corrupt = false) {
    copies_.insert(copies_.begin(), {std::move(state), corrupt});  // newest first
  }
  void FailListing() { fail_listing_ = true; }
  Result<std::vector<CandidateCopy>> List() override {
    if (fail_listing_) {
      return Status::Error(StatusCode::kIoError, "connect", "archive.db", "database is down");
    }
    std::vector<CandidateCopy> out;
    for (size_t i = 0; i < copies_.size(); ++i) {
      out.push_back({.level = CopyLevel::kL4,
                     .kind = "archive",
                     .location = "archive.db copy " + std::to_string(i),
                     .version = i,
                     .state_seq = copies_[i].state.state_seq()});
    }
    return out;
  }
  Result<EngineState> Read(const CandidateCopy& copy) override {
    read_.push_back(copy.version);
    const Copy& c = copies_.at(copy.version);
    if (c.corrupt) return Status::Corruption(copy.location, 0, "checksum", "does not match");
    return c.state;
  }
  std::vector<uint64_t> read_;

 private:
  struct Copy {
    EngineState state;
    bool corrupt = false;
  };
  std::vector<Copy> copies_;
  bool fail_listing_ = false;
};

}  // namespace crashdrill::system

#include "system/levels/durable_file.h"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

#include "system/levels/atomic_file.h"
#include "system/levels/numbered_name.h"
#include "system/state/codec.h"

namespace crashdrill::system {
namespace {

constexpr std::string_view kPrefix = "checkpoint_";

// Adds "L2 <step>" in front of a failed step's message.
Status AtStep(Status status, std::string_view step) {
  if (!status.ok()) status.Annotate(fmt::format("L2 checkpoint step '{}' failed", step));
  return status;
}

}  // namespace

DurableFile::DurableFile(Fs& fs, DurableFileOptions options)
    : fs_(fs), options_(std::move(options)) {
  assert(options_.versions_kept >= 1);
}

std::string DurableFile::FileName(uint64_t version) { return NumberedName(kPrefix, version); }

uint64_t DurableFile::ParseFileName(std::string_view name) {
  return ParseNumberedName(kPrefix, name).value_or(0);
}

Status DurableFile::Open() {
  CD_RETURN_IF_ERROR(AtStep(MakeDurableDir(fs_, options_.dir), "make directory"));
  CD_RETURN_IF_ERROR(RemoveUnpublishedTempFiles(fs_, options_.dir, kPrefix));
  CD_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_.List(options_.dir));
  uint64_t newest = 0;
  for (const std::string& name : names) newest = std::max(newest, ParseFileName(name));
  next_version_ = newest + 1;
  return Status::Ok();
}

Result<uint64_t> DurableFile::Write(const EngineState& state) {
  assert(next_version_ != 0 && "DurableFile::Write before Open");
  const uint64_t version = next_version_++;  // never reused, even after a failure
  CD_RETURN_IF_ERROR(WriteVersion(version, EncodeEngineState(state)));
  CD_RETURN_IF_ERROR(ApplyRetention(version));
  return version;
}

Status DurableFile::WriteVersion(uint64_t version, const std::vector<std::byte>& bytes) {
  return WriteFileAtomically(fs_, options_.dir, FileName(version), bytes, "L2 checkpoint");
}

Status DurableFile::ApplyRetention(uint64_t newest_durable) {
  CD_ASSIGN_OR_RETURN(std::vector<L2Version> versions, ListVersions());
  size_t kept = 0;
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (it->version > newest_durable || ++kept <= options_.versions_kept) continue;
    CD_RETURN_IF_ERROR(AtStep(fs_.Unlink(it->path), "retention"));
  }
  return Status::Ok();
}

Result<std::vector<L2Version>> DurableFile::ListVersions() {
  CD_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_.List(options_.dir));
  std::vector<L2Version> versions;
  for (const std::string& name : names) {
    if (const uint64_t version = ParseFileName(name); version != 0) {
      versions.push_back({version, JoinPath(options_.dir, name)});
    }
  }
  std::sort(versions.begin(), versions.end(),
            [](const L2Version& a, const L2Version& b) { return a.version < b.version; });
  return versions;
}

Result<EngineState> DurableFile::Read(uint64_t version) {
  const std::string path = JoinPath(options_.dir, FileName(version));
  CD_ASSIGN_OR_RETURN(std::vector<std::byte> bytes, ReadWholeFile(fs_, path));
  return DecodeEngineState(bytes, path);
}

}  // namespace crashdrill::system

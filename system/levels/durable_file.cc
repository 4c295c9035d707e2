#include "system/levels/durable_file.h"

#include <fmt/format.h>

#include <algorithm>

#include "system/io/check.h"
#include "system/levels/atomic_file.h"
#include "system/levels/numbered_name.h"
#include "system/state/codec.h"

namespace crashdrill::system {
namespace {

constexpr std::string_view kPrefix = "checkpoint_";
}  // namespace

DurableFile::DurableFile(Fs& fs, DurableFileOptions options)
    : fs_(fs), options_(std::move(options)) {
  CD_CHECK(options_.versions_kept >= 1, "L2 retention must keep the newest version");
}

std::string DurableFile::FileName(uint64_t version) { return NumberedName(kPrefix, version); }

uint64_t DurableFile::ParseFileName(std::string_view name) {
  return ParseNumberedName(kPrefix, name).value_or(0);
}

Status DurableFile::Open() {
  if (!options_.dir_durable) {
    CD_RETURN_IF_ERROR(
        AnnotateStep(MakeDurableDir(fs_, options_.dir), "L2 checkpoint", "make directory"));
  }
  CD_RETURN_IF_ERROR(RemoveUnpublishedTempFiles(fs_, options_.dir, kPrefix));
  CD_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_.List(options_.dir));
  uint64_t newest = 0;
  for (const std::string& name : names) newest = std::max(newest, ParseFileName(name));
  next_version_ = newest + 1;
  return Status::Ok();
}

Result<uint64_t> DurableFile::Write(const EngineState& state) {
  CD_CHECK(next_version_ != 0, "DurableFile::Write before Open");
  const uint64_t version = next_version_++;  // never reused, even after a failure
  CD_RETURN_IF_ERROR(WriteVersion(version, EncodeEngineState(state, options_.schema_version)));
  // Retention runs only after `version` is durable, so it is the newest kept.
  CD_ASSIGN_OR_RETURN(std::vector<L2Version> versions, ListVersions());
  std::vector<std::string> paths;
  for (const L2Version& v : versions) paths.push_back(v.path);
  CD_RETURN_IF_ERROR(KeepNewest(fs_, paths, options_.versions_kept, "L2 checkpoint"));
  return version;
}

Status DurableFile::WriteVersion(uint64_t version, const std::vector<std::byte>& bytes) {
  return WriteFileAtomically(fs_, options_.dir, FileName(version), bytes, "L2 checkpoint");
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

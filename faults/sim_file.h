// SimFile and SimMappedRegion: the handles a SimDisk hands out. A handle belongs to one
// "process" (disk generation): after SimDisk::Crash every call on it fails with
// kFailedPrecondition, so a test cannot keep writing through a handle of a dead process.
// Internal to the fault layer; callers see system::File and system::MappedRegion.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "faults/sim_inode.h"
#include "system/io/fs.h"

namespace crashdrill::faults {

class SimDisk;

class SimFile final : public system::File {
 public:
  SimFile(SimDisk* disk, std::shared_ptr<SimInode> inode, std::string path, uint64_t generation,
          bool read_only);
  ~SimFile() override;

  const std::string& path() const override { return path_; }
  system::Result<size_t> ReadAt(uint64_t offset, system::MutableByteSpan out) override;
  system::Status WriteAt(uint64_t offset, system::ByteSpan data) override;
  system::Status Append(system::ByteSpan data) override;
  system::Status Sync() override;
  system::Status Truncate(uint64_t size) override;
  system::Result<uint64_t> Size() override;
  system::Status Allocate(uint64_t offset, uint64_t length) override;
  system::Result<std::unique_ptr<system::MappedRegion>> Map(uint64_t offset,
                                                            size_t length) override;

 private:
  system::Status CheckAlive(std::string_view op) const;
  system::Status Write(std::string_view name, uint64_t offset, system::ByteSpan data,
                       bool append);

  SimDisk* disk_;
  std::shared_ptr<SimInode> inode_;
  std::string path_;
  uint64_t generation_;
  bool read_only_;
};

class SimMappedRegion final : public system::MappedRegion {
 public:
  SimMappedRegion(SimDisk* disk, std::shared_ptr<SimInode> inode, std::string path,
                  uint64_t offset, std::vector<std::byte> bytes, uint64_t generation);
  // Unmapping keeps the stores in the page cache (they are folded in first).
  ~SimMappedRegion() override;

  system::MutableByteSpan data() override { return bytes_; }
  system::Status Sync(size_t offset, size_t length) override;

  // Called by SimDisk.
  uint64_t file_offset() const { return offset_; }
  std::vector<std::byte>& bytes() { return bytes_; }
  void Detach() { detached_ = true; }

 private:
  SimDisk* disk_;
  std::shared_ptr<SimInode> inode_;
  std::string path_;
  uint64_t offset_;
  std::vector<std::byte> bytes_;
  uint64_t generation_;
  bool detached_ = false;
};

}  // namespace crashdrill::faults

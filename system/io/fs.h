// Fs, File, MappedRegion: the only way system/ touches files. The harness
// substitutes a simulated disk; production uses PosixFs.
//
// Durability contract (what callers may rely on, and what SimDisk enforces):
// - After File::Sync() returns OK, the file's data written before the call
//   survives a power loss. Its directory entry does not, unless the entry was
//   made durable by Fs::SyncDir() on the parent directory.
// - After Fs::SyncDir(dir) returns OK, creates, renames and unlinks of entries
//   in `dir` done before the call survive a power loss.
// - After MappedRegion::Sync(range) returns OK, stores into that range survive
//   a power loss. Stores survive a process crash as soon as they are made.
// - A failed Sync() may have dropped the dirty data (Linux semantics): a later
//   Sync() returning OK does NOT mean the earlier writes are durable.
// - A failed WriteAt/Append may have written a prefix of the data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "system/io/result.h"
#include "system/io/status.h"

namespace crashdrill::system {

using ByteSpan = std::span<const std::byte>;
using MutableByteSpan = std::span<std::byte>;

// A shared, writable mapping of a byte range of a file.
class MappedRegion {
 public:
  virtual ~MappedRegion() = default;
  // Valid for the lifetime of the region. Stores are visible to readers of the
  // file at once and survive a process crash.
  virtual MutableByteSpan data() = 0;
  // msync(MS_SYNC) of [offset, offset+length) relative to the region start.
  // REQUIRES: offset + length <= data().size().
  virtual Status Sync(size_t offset, size_t length) = 0;
};

class File {
 public:
  virtual ~File() = default;
  virtual const std::string& path() const = 0;
  // Reads up to out.size() bytes at `offset`; returns the count read, which is
  // smaller than out.size() only at end of file.
  virtual Result<size_t> ReadAt(uint64_t offset, MutableByteSpan out) = 0;
  // Writes all of `data` at `offset` or returns an error (a prefix may have
  // been written; a short write on a full device is kNoSpace).
  virtual Status WriteAt(uint64_t offset, ByteSpan data) = 0;
  // Writes all of `data` at the current end of file (same error contract).
  virtual Status Append(ByteSpan data) = 0;
  // fdatasync: the file's data (and the size, if it changed) become durable.
  virtual Status Sync() = 0;
  virtual Status Truncate(uint64_t size) = 0;
  virtual Result<uint64_t> Size() = 0;
  // Reserves [offset, offset+length) on the device (posix_fallocate) so later
  // writes inside it cannot fail with kNoSpace and do not change the size's metadata.
  virtual Status Allocate(uint64_t offset, uint64_t length) = 0;
  // An offset from which the file reads as zeros to its end: past its last
  // data extent, when the rest is holes or preallocated space never written
  // (SEEK_DATA/SEEK_HOLE). Only a hint for not reading zeros: a file system
  // that cannot tell answers the size, as this default does.
  virtual Result<uint64_t> ZerosFrom() { return Size(); }
  // A hint that [offset, offset+length) will be read soon, so a file system
  // with a page cache can start reading it in the background. Changes
  // nothing any read returns; the default ignores it.
  virtual void WillRead(uint64_t /*offset*/, uint64_t /*length*/) {}
  // Maps [offset, offset+length). REQUIRES: the file is at least that long.
  virtual Result<std::unique_ptr<MappedRegion>> Map(uint64_t offset, size_t length) = 0;
};

struct OpenOptions {
  bool create = false;     // create the file if it does not exist
  bool exclusive = false;  // with create: fail with kAlreadyExists if it exists
  bool truncate = false;   // truncate to zero length on open
  bool read_only = false;

  static OpenOptions Read() { return {.read_only = true}; }
  static OpenOptions ReadWrite() { return {}; }
  static OpenOptions CreateOrOpen() { return {.create = true}; }
  static OpenOptions CreateNew() { return {.create = true, .exclusive = true}; }
  static OpenOptions CreateTruncate() { return {.create = true, .truncate = true}; }
};

class Fs {
 public:
  virtual ~Fs() = default;
  virtual Result<std::unique_ptr<File>> Open(const std::string& path, OpenOptions options) = 0;
  // Atomically replaces `to` with `from` (rename(2)); durable after SyncDir.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Unlink(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, sorted, without "." and "..".
  virtual Result<std::vector<std::string>> List(const std::string& dir) = 0;
  // Creates `dir`; OK if it already exists as a directory.
  virtual Status MakeDir(const std::string& dir) = 0;
  // fsync of the directory: its entries become durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual Result<bool> Exists(const std::string& path) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  // Bytes an unprivileged writer can still allocate on the file system of `path`.
  virtual Result<uint64_t> FreeSpace(const std::string& path) = 0;
};

// Forwards every call to another Fs, so a wrapper overrides only what it needs
// (LevelDB's EnvWrapper). Does not own the target.
class FsWrapper : public Fs {
 public:
  explicit FsWrapper(Fs* target) : target_(target) {}
  Fs* target() const { return target_; }

  Result<std::unique_ptr<File>> Open(const std::string& path, OpenOptions options) override {
    return target_->Open(path, options);
  }
  Status Rename(const std::string& from, const std::string& to) override {
    return target_->Rename(from, to);
  }
  Status Unlink(const std::string& path) override { return target_->Unlink(path); }
  Result<std::vector<std::string>> List(const std::string& dir) override {
    return target_->List(dir);
  }
  Status MakeDir(const std::string& dir) override { return target_->MakeDir(dir); }
  Status SyncDir(const std::string& dir) override { return target_->SyncDir(dir); }
  Result<bool> Exists(const std::string& path) override { return target_->Exists(path); }
  Result<uint64_t> FileSize(const std::string& path) override { return target_->FileSize(path); }
  Result<uint64_t> FreeSpace(const std::string& path) override {
    return target_->FreeSpace(path);
  }

 private:
  Fs* target_;
};

// Forwards every call to a wrapped File, which it owns.
class FileWrapper : public File {
 public:
  explicit FileWrapper(std::unique_ptr<File> target) : target_(std::move(target)) {}
  File* target() const { return target_.get(); }

  const std::string& path() const override { return target_->path(); }
  Result<size_t> ReadAt(uint64_t offset, MutableByteSpan out) override {
    return target_->ReadAt(offset, out);
  }
  Status WriteAt(uint64_t offset, ByteSpan data) override {
    return target_->WriteAt(offset, data);
  }
  Status Append(ByteSpan data) override { return target_->Append(data); }
  Status Sync() override { return target_->Sync(); }
  Status Truncate(uint64_t size) override { return target_->Truncate(size); }
  Result<uint64_t> Size() override { return target_->Size(); }
  Status Allocate(uint64_t offset, uint64_t length) override {
    return target_->Allocate(offset, length);
  }
  Result<uint64_t> ZerosFrom() override { return target_->ZerosFrom(); }
  void WillRead(uint64_t offset, uint64_t length) override { target_->WillRead(offset, length); }
  Result<std::unique_ptr<MappedRegion>> Map(uint64_t offset, size_t length) override {
    return target_->Map(offset, length);
  }

 private:
  std::unique_ptr<File> target_;
};

// Counts the bytes every read through it returns (recovery reports them:
// bytes read is the floor of RTO on a cold cache; tests bound them).
class ReadCountingFs final : public FsWrapper {
 public:
  explicit ReadCountingFs(Fs& target) : FsWrapper(&target) {}
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenOptions options) override {
    Result<std::unique_ptr<File>> file = FsWrapper::Open(path, options);
    if (!file.ok()) return file;
    return std::unique_ptr<File>(std::make_unique<CountingFile>(std::move(*file), bytes_));
  }
  uint64_t bytes() const { return bytes_; }

 private:
  class CountingFile final : public FileWrapper {
   public:
    CountingFile(std::unique_ptr<File> target, uint64_t& bytes)
        : FileWrapper(std::move(target)), bytes_(bytes) {}
    Result<size_t> ReadAt(uint64_t offset, MutableByteSpan out) override {
      Result<size_t> n = FileWrapper::ReadAt(offset, out);
      if (n.ok()) bytes_ += *n;
      return n;
    }

   private:
    uint64_t& bytes_;
  };

  uint64_t bytes_ = 0;
};

// Helpers built only on the interface above.
// Reads the whole file into memory.
Result<std::vector<std::byte>> ReadWholeFile(Fs& fs, const std::string& path);
// Joins a directory and a name with exactly one '/'.
std::string JoinPath(std::string_view dir, std::string_view name);
// The directory part of `path` ("." when it has none).
std::string ParentDir(std::string_view path);

inline ByteSpan AsBytes(std::string_view text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

}  // namespace crashdrill::system

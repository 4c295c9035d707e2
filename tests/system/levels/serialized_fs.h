// SerializedFs: makes a single-threaded Fs (SimDisk) usable from several
// threads by holding one mutex across every call, files included. Tests of
// group commit use it; the interleaving varies between runs, so those tests
// assert properties that must hold for every interleaving.
#pragma once

#include <mutex>
#include <thread>

#include "system/io/fs.h"

namespace crashdrill::testing {

class SerializedFs final : public system::FsWrapper {
 public:
  explicit SerializedFs(system::Fs* target) : FsWrapper(target) {}

  system::Result<std::unique_ptr<system::File>> Open(const std::string& path,
                                                     system::OpenOptions options) override {
    std::lock_guard lock(mu_);
    auto file = FsWrapper::Open(path, options);
    if (!file.ok()) return file.status();
    return std::unique_ptr<system::File>(new File(std::move(file).value(), mu_));
  }
  system::Status Rename(const std::string& from, const std::string& to) override {
    std::lock_guard lock(mu_);
    return FsWrapper::Rename(from, to);
  }
  system::Status Unlink(const std::string& path) override {
    std::lock_guard lock(mu_);
    return FsWrapper::Unlink(path);
  }
  system::Result<std::vector<std::string>> List(const std::string& dir) override {
    std::lock_guard lock(mu_);
    return FsWrapper::List(dir);
  }
  system::Status MakeDir(const std::string& dir) override {
    std::lock_guard lock(mu_);
    return FsWrapper::MakeDir(dir);
  }
  system::Status SyncDir(const std::string& dir) override {
    std::lock_guard lock(mu_);
    return FsWrapper::SyncDir(dir);
  }
  system::Result<bool> Exists(const std::string& path) override {
    std::lock_guard lock(mu_);
    return FsWrapper::Exists(path);
  }

 private:
  class File final : public system::FileWrapper {
   public:
    File(std::unique_ptr<system::File> target, std::mutex& mu)
        : FileWrapper(std::move(target)), mu_(mu) {}
    system::Result<size_t> ReadAt(uint64_t offset, system::MutableByteSpan out) override {
      std::lock_guard lock(mu_);
      return FileWrapper::ReadAt(offset, out);
    }
    system::Status WriteAt(uint64_t offset, system::ByteSpan data) override {
      std::lock_guard lock(mu_);
      return FileWrapper::WriteAt(offset, data);
    }
    // A real fdatasync takes long enough for other appenders to queue behind
    // the leader; yielding first lets them, so batches form (no real sleep).
    system::Status Sync() override {
      for (int i = 0; i < 64; ++i) std::this_thread::yield();
      std::lock_guard lock(mu_);
      return FileWrapper::Sync();
    }
    system::Status Allocate(uint64_t offset, uint64_t length) override {
      std::lock_guard lock(mu_);
      return FileWrapper::Allocate(offset, length);
    }
    system::Result<uint64_t> Size() override {
      std::lock_guard lock(mu_);
      return FileWrapper::Size();
    }

   private:
    std::mutex& mu_;
  };

  std::mutex mu_;
};

}  // namespace crashdrill::testing

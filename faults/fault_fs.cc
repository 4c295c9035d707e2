#include "faults/fault_fs.h"

#include <cerrno>

#include <fmt/format.h>

namespace crashdrill::faults {

using system::Result;
using system::Status;

namespace {

Probe ErrorProbe(OpClass op) {
  switch (op) {
    case OpClass::kRead: return Probe::kReadError;
    case OpClass::kWrite: return Probe::kWriteError;
    case OpClass::kSync: return Probe::kSyncFailure;
    case OpClass::kMeta: return Probe::kMetaError;
  }
  return Probe::kMetaError;
}

class FaultFile final : public system::FileWrapper {
 public:
  FaultFile(std::unique_ptr<system::File> target, FaultFs* fs)
      : FileWrapper(std::move(target)), fs_(fs) {}

  Result<size_t> ReadAt(uint64_t offset, system::MutableByteSpan out) override {
    FaultFs::Decision decision = fs_->Decide({.op = OpClass::kRead, .name = "read",
                                              .path = path(), .has_range = true,
                                              .offset = offset, .length = out.size()});
    if (!decision.error.ok()) return std::move(decision.error);
    return target()->ReadAt(offset, out);
  }

  Status WriteAt(uint64_t offset, system::ByteSpan data) override {
    FaultFs::Decision decision = fs_->Decide({.op = OpClass::kWrite, .name = "write",
                                              .path = path(), .has_range = true,
                                              .offset = offset, .length = data.size()});
    if (!decision.error.ok()) return std::move(decision.error);
    if (!decision.short_write) return target()->WriteAt(offset, data);
    const size_t half = data.size() / 2;
    CD_RETURN_IF_ERROR(target()->WriteAt(offset, data.first(half)));
    Status status = Status::FromErrno(ENOSPC, "write", path());
    status.Annotate(fmt::format("short write: {} of {} bytes written", half, data.size()));
    status.SetOffset(static_cast<int64_t>(offset + half));
    return std::move(status.MarkInjected());
  }

  Status Append(system::ByteSpan data) override {
    CD_ASSIGN_OR_RETURN(uint64_t end, target()->Size());
    return WriteAt(end, data);
  }

  Status Sync() override {
    FaultFs::Decision decision =
        fs_->Decide({.op = OpClass::kSync, .name = "sync", .path = path()});
    if (!decision.error.ok()) return std::move(decision.error);
    return target()->Sync();
  }

  Status Truncate(uint64_t size) override {
    FaultFs::Decision decision =
        fs_->Decide({.op = OpClass::kMeta, .name = "truncate", .path = path()});
    if (!decision.error.ok()) return std::move(decision.error);
    return target()->Truncate(size);
  }

  Status Allocate(uint64_t offset, uint64_t length) override {
    FaultFs::Decision decision =
        fs_->Decide({.op = OpClass::kMeta, .name = "allocate", .path = path()});
    if (!decision.error.ok()) return std::move(decision.error);
    return target()->Allocate(offset, length);
  }

 private:
  FaultFs* fs_;
};

}  // namespace

FaultFs::FaultFs(system::Fs* target, FaultPlan plan, SleepFunction sleep)
    : FsWrapper(target), injector_(std::move(plan)), sleep_(std::move(sleep)) {}

FaultFs::Decision FaultFs::Decide(const OpInfo& op) {
  int64_t latency_ns = 0;
  Decision decision;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++op_index_;
    auto record = [&](Probe probe, std::string detail) {
      trace_.Record(FaultEvent{.op_index = op_index_, .path = std::string(op.path),
                               .offset = op.offset, .length = op.length, .probe = probe,
                               .detail = std::move(detail)});
    };
    for (const Fault& fault : injector_.Fire(op)) {
      const bool first_error = decision.error.ok() && !decision.short_write;
      if (fault.kind == FaultKind::kLatency) {
        latency_ns += fault.duration_ns;
        record(Probe::kLatency, fmt::format("{} ns", fault.duration_ns));
      } else if (first_error && (fault.kind == FaultKind::kIoError ||
                                 (fault.kind == FaultKind::kSyncFailure &&
                                  op.op == OpClass::kSync))) {
        record(ErrorProbe(op.op), fmt::format("{} fails", op.name));
        decision.error = Status::FromErrno(EIO, op.name, op.path);
        decision.error.MarkInjected();
      } else if (first_error && fault.kind == FaultKind::kNoSpace) {
        record(Probe::kNoSpace, fmt::format("{} fails", op.name));
        decision.error = Status::FromErrno(ENOSPC, op.name, op.path);
        decision.error.MarkInjected();
      } else if (first_error && fault.kind == FaultKind::kShortWrite &&
                 op.op == OpClass::kWrite) {
        record(Probe::kShortWrite, "half of the write lands");
        decision.short_write = true;
      }
    }
  }
  if (latency_ns > 0) sleep_(latency_ns);
  return decision;
}

FaultTrace FaultFs::trace() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return trace_;
}

Result<std::unique_ptr<system::File>> FaultFs::Open(const std::string& path,
                                                    system::OpenOptions options) {
  Decision decision = Decide({.op = OpClass::kMeta, .name = "open", .path = path});
  if (!decision.error.ok()) return std::move(decision.error);
  CD_ASSIGN_OR_RETURN(std::unique_ptr<system::File> file, target()->Open(path, options));
  return std::unique_ptr<system::File>(new FaultFile(std::move(file), this));
}

Status FaultFs::Rename(const std::string& from, const std::string& to) {
  Decision decision =
      Decide({.op = OpClass::kMeta, .name = "rename", .path = from, .other_path = to});
  if (!decision.error.ok()) return std::move(decision.error);
  return target()->Rename(from, to);
}

Status FaultFs::Unlink(const std::string& path) {
  Decision decision = Decide({.op = OpClass::kMeta, .name = "unlink", .path = path});
  if (!decision.error.ok()) return std::move(decision.error);
  return target()->Unlink(path);
}

Result<std::vector<std::string>> FaultFs::List(const std::string& dir) {
  Decision decision = Decide({.op = OpClass::kMeta, .name = "list", .path = dir});
  if (!decision.error.ok()) return std::move(decision.error);
  return target()->List(dir);
}

Status FaultFs::MakeDir(const std::string& dir) {
  Decision decision = Decide({.op = OpClass::kMeta, .name = "mkdir", .path = dir});
  if (!decision.error.ok()) return std::move(decision.error);
  return target()->MakeDir(dir);
}

Status FaultFs::SyncDir(const std::string& dir) {
  Decision decision = Decide({.op = OpClass::kSync, .name = "syncdir", .path = dir});
  if (!decision.error.ok()) return std::move(decision.error);
  return target()->SyncDir(dir);
}

}  // namespace crashdrill::faults

// Status: the outcome of an operation that touches the world, as a value.
// Carries a canonical code, the errno, the operation and the path (and, for
// corruption, the field and byte offset), plus a flag for injected faults.
// It must be checked: it is [[nodiscard]], and the first error wins.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace crashdrill::system {

enum class StatusCode : uint8_t {
  kOk = 0,
  kIoError,             // EIO and friends: the device failed the request
  kNoSpace,             // ENOSPC / EDQUOT / a short write on a full device
  kCorruption,          // bytes were read but are not what was written
  kNotFound,            // ENOENT, or a key/record that is absent
  kAlreadyExists,       // EEXIST
  kInvalidArgument,     // the caller asked for something malformed
  kFailedPrecondition,  // the object is in a state that refuses the call
  kUnavailable,         // a peer or resource is temporarily unreachable
  kInternal,            // an invariant of crashdrill itself broke
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;
  ~Status() = default;

  static Status Ok() { return Status(); }
  // Maps an errno to its canonical code (ENOSPC -> kNoSpace, ENOENT -> kNotFound, ...).
  static Status FromErrno(int error_number, std::string_view operation, std::string_view path);
  static Status Error(StatusCode code, std::string_view operation, std::string_view path,
                      std::string_view message);
  // Corruption at a byte offset of `path` (or of a named buffer); `field` says what was
  // being read there.
  static Status Corruption(std::string_view path, uint64_t offset, std::string_view field,
                           std::string_view message);
  static Status InvalidArgument(std::string_view operation, std::string_view message);

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  int error_number() const { return rep_ ? rep_->error_number : 0; }
  const std::string& operation() const;
  const std::string& path() const;
  const std::string& field() const;
  const std::string& message() const;
  // Byte offset the error refers to, or -1 when it refers to none.
  int64_t offset() const { return rep_ ? rep_->offset : -1; }
  bool injected() const { return rep_ && rep_->injected; }

  bool IsNoSpace() const { return code() == StatusCode::kNoSpace; }
  bool IsCorruption() const { return code() == StatusCode::kCorruption; }
  bool IsNotFound() const { return code() == StatusCode::kNotFound; }

  // Marks the status as produced by a fault injector (libfiu, SimDisk, FaultFs).
  Status& MarkInjected();
  // Adds context in front of the message ("while loading L2 checkpoint_7: ...").
  Status& Annotate(std::string_view context);
  Status& SetOffset(int64_t offset);

  // "no_space: write /state/l2/tmp: No space left on device (errno 28) [injected]"
  std::string ToString() const;

  // Keeps a caller from having to name an unused status; use only where ignoring
  // the error is the documented contract (e.g. closing after another failure).
  void IgnoreError() const {}

 private:
  struct Rep {
    StatusCode code = StatusCode::kOk;
    int error_number = 0;
    int64_t offset = -1;
    bool injected = false;
    std::string operation;
    std::string path;
    std::string field;
    std::string message;
  };
  explicit Status(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
  std::unique_ptr<Rep> rep_;
};

}  // namespace crashdrill::system

// Early return of the first error.
#define CD_RETURN_IF_ERROR(expr)                                  \
  do {                                                            \
    ::crashdrill::system::Status cd_status_ = (expr);             \
    if (!cd_status_.ok()) return cd_status_;                      \
  } while (0)

#define CD_CONCAT_INNER_(a, b) a##b
#define CD_CONCAT_(a, b) CD_CONCAT_INNER_(a, b)
#define CD_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).status();  \
  lhs = std::move(tmp).value()
// Declares or assigns `lhs` from a Result, returning its status on error.
#define CD_ASSIGN_OR_RETURN(lhs, expr) \
  CD_ASSIGN_OR_RETURN_IMPL_(CD_CONCAT_(cd_result_, __LINE__), lhs, expr)

#include "system/io/status.h"

#include <cassert>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace crashdrill::system {
namespace {

const std::string& Empty() {
  static const std::string kEmpty;
  return kEmpty;
}

StatusCode CodeForErrno(int error_number) {
  switch (error_number) {
    case 0:
      return StatusCode::kInternal;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return StatusCode::kNoSpace;
    case ENOENT:
    case ENOTDIR:
      return StatusCode::kNotFound;
    case EEXIST:
    case ENOTEMPTY:
      return StatusCode::kAlreadyExists;
    case EINVAL:
    case EISDIR:
    case ENAMETOOLONG:
    case EBADF:
      return StatusCode::kInvalidArgument;
    case EAGAIN:
    case EBUSY:
    case ETIMEDOUT:
    case ECONNREFUSED:
    case ECONNRESET:
    case EPIPE:
      return StatusCode::kUnavailable;
    default:
      return StatusCode::kIoError;
  }
}

}  // namespace

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kIoError: return "io_error";
    case StatusCode::kNoSpace: return "no_space";
    case StatusCode::kCorruption: return "corruption";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kAlreadyExists: return "already_exists";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kFailedPrecondition: return "failed_precondition";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

Status::Status(const Status& other)
    : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
  return *this;
}

Status Status::FromErrno(int error_number, std::string_view operation, std::string_view path) {
  auto rep = std::make_unique<Rep>();
  rep->code = CodeForErrno(error_number);
  rep->error_number = error_number;
  rep->operation = operation;
  rep->path = path;
  rep->message = error_number == 0 ? "failed without an errno" : std::strerror(error_number);
  return Status(std::move(rep));
}

Status Status::Error(StatusCode code, std::string_view operation, std::string_view path,
                     std::string_view message) {
  assert(code != StatusCode::kOk);
  auto rep = std::make_unique<Rep>();
  rep->code = code;
  rep->operation = operation;
  rep->path = path;
  rep->message = message;
  return Status(std::move(rep));
}

Status Status::Corruption(std::string_view path, uint64_t offset, std::string_view field,
                          std::string_view message) {
  auto rep = std::make_unique<Rep>();
  rep->code = StatusCode::kCorruption;
  rep->operation = "decode";
  rep->path = path;
  rep->field = field;
  rep->offset = static_cast<int64_t>(offset);
  rep->message = message;
  return Status(std::move(rep));
}

Status Status::InvalidArgument(std::string_view operation, std::string_view message) {
  return Error(StatusCode::kInvalidArgument, operation, "", message);
}

const std::string& Status::operation() const { return rep_ ? rep_->operation : Empty(); }
const std::string& Status::path() const { return rep_ ? rep_->path : Empty(); }
const std::string& Status::field() const { return rep_ ? rep_->field : Empty(); }
const std::string& Status::message() const { return rep_ ? rep_->message : Empty(); }

Status& Status::MarkInjected() {
  if (rep_) rep_->injected = true;
  return *this;
}

Status& Status::Annotate(std::string_view context) {
  if (rep_) rep_->message = fmt::format("{}: {}", context, rep_->message);
  return *this;
}

Status& Status::SetOffset(int64_t offset) {
  if (rep_) rep_->offset = offset;
  return *this;
}

std::string Status::ToString() const {
  if (!rep_) return "ok";
  std::string out = fmt::format("{}: {}", StatusCodeName(rep_->code), rep_->operation);
  if (!rep_->path.empty()) out += fmt::format(" {}", rep_->path);
  if (rep_->offset >= 0) out += fmt::format(" at offset {}", rep_->offset);
  if (!rep_->field.empty()) out += fmt::format(" (field {})", rep_->field);
  out += fmt::format(": {}", rep_->message);
  if (rep_->error_number != 0) out += fmt::format(" (errno {})", rep_->error_number);
  if (rep_->injected) out += " [injected]";
  return out;
}

}  // namespace crashdrill::system

// Checked<T>: a value, or the message that says why there is none. reports/
// links nothing of system/, so it cannot use system::Result; the message names
// the file and the field, because a person reads it at the end of a CI job.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace crashdrill::reports {

// Why a result could not be read, merged or written.
struct Refusal {
  std::string message;
};

template <typename T>
class [[nodiscard]] Checked {
 public:
  Checked(T value) : data_(std::move(value)) {}            // NOLINT: implicit by design
  Checked(Refusal refusal) : data_(std::move(refusal)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(data_); }
  // REQUIRES: !ok().
  const std::string& error() const { return std::get<Refusal>(data_).message; }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  const T* operator->() const { return &value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Refusal> data_;
};

}  // namespace crashdrill::reports

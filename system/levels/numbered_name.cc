#include "system/levels/numbered_name.h"

#include <charconv>

#include <fmt/format.h>

namespace crashdrill::system {
namespace {
constexpr size_t kDigits = 20;
}  // namespace

std::string NumberedName(std::string_view prefix, uint64_t number) {
  return fmt::format("{}{:0{}}", prefix, number, kDigits);
}

std::optional<uint64_t> ParseNumberedName(std::string_view prefix, std::string_view name) {
  if (!name.starts_with(prefix) || name.size() != prefix.size() + kDigits) return std::nullopt;
  uint64_t number = 0;
  const char* last = name.data() + name.size();
  const auto [end, error] = std::from_chars(name.data() + prefix.size(), last, number);
  if (error != std::errc() || end != last) return std::nullopt;
  return number;
}

}  // namespace crashdrill::system

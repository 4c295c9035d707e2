// File names of the form <prefix><20-digit number>, so a directory listing
// sorts in number order (L2 versions, WAL segments, snapshots).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crashdrill::system {

std::string NumberedName(std::string_view prefix, uint64_t number);
// The number of `name`, or nullopt if it is not exactly <prefix><20 digits>.
std::optional<uint64_t> ParseNumberedName(std::string_view prefix, std::string_view name);

}  // namespace crashdrill::system

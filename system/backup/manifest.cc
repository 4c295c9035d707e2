#include "system/backup/manifest.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <charconv>
#include <chrono>

#include "system/levels/numbered_name.h"

namespace crashdrill::system {
namespace {

constexpr std::string_view kHeader = "crashdrill-backup-manifest 1";
constexpr uint64_t kNoOffset = ~uint64_t{0};  // a Status with this offset prints none
constexpr std::string_view kSetPrefix = "set-";
constexpr std::string_view kManifestSuffix = ".manifest";

// Splits "key rest" at the first space.
std::pair<std::string_view, std::string_view> SplitKey(std::string_view line) {
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) return {line, {}};
  return {line.substr(0, space), line.substr(space + 1)};
}

template <typename T>
bool ParseNumber(std::string_view text, T& out, int base = 10) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return error == std::errc() && end == text.data() + text.size();
}

bool ValidPath(std::string_view path) {
  return !path.empty() && path.front() != '/' && path.find('\n') == std::string_view::npos &&
         path.find("..") == std::string_view::npos;
}

class LineParser {
 public:
  LineParser(std::string_view source, Manifest& out) : source_(source), out_(out) {}

  Status Line(size_t number, std::string_view line) {
    const auto [key, rest] = SplitKey(line);
    if (key == "set") {
      out_.set_id = std::string(rest);
      if (!ParseSetId(rest)) return Bad(number, "set id");
    } else if (key == "kind") {
      const std::optional<BackupKind> kind = ParseBackupKind(rest);
      if (!kind) return Bad(number, "kind");
      out_.kind = *kind;
    } else if (key == "parent") {
      out_.parent_id = rest == "-" ? "" : std::string(rest);
      if (!out_.parent_id.empty() && !ParseSetId(rest)) return Bad(number, "parent");
    } else if (key == "created_at_ns") {
      if (!ParseNumber(rest, out_.created_at_ns)) return Bad(number, "created_at_ns");
    } else if (key == "created_at") {
      // a label derived from created_at_ns; not read back
    } else if (key == "snapshot_seq") {
      if (!ParseNumber(rest, out_.snapshot_seq)) return Bad(number, "snapshot_seq");
    } else if (key == "file") {
      return File(number, rest);
    } else if (key == "deleted") {
      if (!ValidPath(rest)) return Bad(number, "deleted path");
      out_.deleted.emplace_back(rest);
    } else {
      return Bad(number, "line");
    }
    return Status::Ok();
  }

 private:
  Status File(size_t number, std::string_view rest) {
    ManifestEntry entry;
    std::string_view fields[3];
    for (std::string_view& field : fields) {
      const auto [head, tail] = SplitKey(rest);
      field = head;
      rest = tail;
    }
    entry.object = std::string(fields[0]);
    entry.path = std::string(rest);
    if (SetIdOfObject(entry.object).empty() || !ParseNumber(fields[1], entry.bytes) ||
        fields[2].size() != 16 || !ParseNumber(fields[2], entry.xxh3, 16) || !ValidPath(rest)) {
      return Bad(number, "file");
    }
    out_.files.push_back(std::move(entry));
    return Status::Ok();
  }
  Status Bad(size_t number, std::string_view field) const {
    return Status::Corruption(source_, kNoOffset, field,
                              fmt::format("manifest line {} is malformed", number));
  }

  std::string_view source_;
  Manifest& out_;
};

}  // namespace

std::string_view BackupKindName(BackupKind kind) {
  switch (kind) {
    case BackupKind::kFull:
      return "full";
    case BackupKind::kIncremental:
      return "incremental";
    case BackupKind::kDifferential:
      return "differential";
  }
  return "invalid";
}

std::optional<BackupKind> ParseBackupKind(std::string_view name) {
  for (BackupKind kind : {BackupKind::kFull, BackupKind::kIncremental, BackupKind::kDifferential}) {
    if (name == BackupKindName(kind)) return kind;
  }
  return std::nullopt;
}

std::string EncodeManifest(const Manifest& manifest) {
  std::string text(kHeader);
  text += '\n';
  text +=
      fmt::format("set {}\nkind {}\nparent {}\n", manifest.set_id, BackupKindName(manifest.kind),
                  manifest.parent_id.empty() ? "-" : manifest.parent_id);
  text += fmt::format("created_at_ns {}\ncreated_at {}\nsnapshot_seq {}\n", manifest.created_at_ns,
                      WallLabel(manifest.created_at_ns), manifest.snapshot_seq);
  for (const ManifestEntry& entry : manifest.files) {
    text +=
        fmt::format("file {} {} {:016x} {}\n", entry.object, entry.bytes, entry.xxh3, entry.path);
  }
  for (const std::string& path : manifest.deleted) text += fmt::format("deleted {}\n", path);
  text += fmt::format("checksum {:016x}\n", XXH3_64bits(text.data(), text.size()));
  return text;
}

Result<Manifest> DecodeManifest(std::string_view text, std::string_view source) {
  const size_t checksum_at = text.rfind("checksum ");
  uint64_t checksum = 0;
  if (checksum_at == std::string_view::npos || !text.ends_with('\n') ||
      (checksum_at > 0 && text[checksum_at - 1] != '\n') ||
      !ParseNumber(text.substr(checksum_at + 9, text.size() - checksum_at - 10), checksum, 16)) {
    return Status::Corruption(source, kNoOffset, "checksum", "the manifest has no checksum line");
  }
  const std::string_view body = text.substr(0, checksum_at);
  if (XXH3_64bits(body.data(), body.size()) != checksum) {
    return Status::Corruption(source, kNoOffset, "checksum",
                              "the manifest checksum does not match");
  }
  if (!body.starts_with(kHeader) || body.size() <= kHeader.size() || body[kHeader.size()] != '\n') {
    return Status::Corruption(source, 0, "header", "not a crashdrill backup manifest of format 1");
  }
  Manifest manifest;
  LineParser parser(source, manifest);
  size_t number = 1;
  for (size_t at = kHeader.size() + 1; at < body.size(); ++number) {
    const size_t end = body.find('\n', at);
    CD_RETURN_IF_ERROR(parser.Line(number + 1, body.substr(at, end - at)));
    at = end + 1;
  }
  if (manifest.set_id.empty()) {
    return Status::Corruption(source, kNoOffset, "set", "the manifest names no set");
  }
  if ((manifest.kind == BackupKind::kFull) != manifest.parent_id.empty()) {
    return Status::Corruption(source, kNoOffset, "parent",
                              "a full set has no parent and every other set has one");
  }
  return manifest;
}

std::string SetId(uint64_t number) { return NumberedName(kSetPrefix, number); }

std::optional<uint64_t> ParseSetId(std::string_view set_id) {
  return ParseNumberedName(kSetPrefix, set_id);
}

std::string ManifestObjectName(std::string_view set_id) {
  return std::string(set_id) + std::string(kManifestSuffix);
}

std::string FileObjectName(std::string_view set_id, size_t index) {
  return fmt::format("{}.f{:06}", set_id, index);
}

std::string SetIdOfObject(std::string_view object) {
  const size_t dot = object.find('.');
  if (dot == std::string_view::npos || !ParseSetId(object.substr(0, dot))) return "";
  return std::string(object.substr(0, dot));
}

bool IsManifestObject(std::string_view object) {
  return object.ends_with(kManifestSuffix) && !SetIdOfObject(object).empty();
}

std::string WallLabel(int64_t wall_ns) {
  using namespace std::chrono;
  const sys_seconds at{floor<seconds>(nanoseconds(wall_ns))};
  const sys_days day = floor<days>(at);
  const year_month_day date{day};
  const hh_mm_ss time{at - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count());
}

uint64_t Xxh3Of(std::span<const std::byte> bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

}  // namespace crashdrill::system

// The manifest of a backup set: what the set is, where its chain starts, and
// every file of the state directory it restores, with the object holding each
// file's bytes (in this set, or in an ancestor for a file that did not change).
// A set is complete exactly when its manifest object exists; it is written last.
//
// Encoding: text lines (system/ links no JSON library, DESIGN §1), the last
// one "checksum <XXH3-64 hex of every byte before it>". The manifest travels
// as an encrypted object (object_codec.h), so the checksum guards the encoder
// and decoder, not against an attacker: authentication does that.
//   crashdrill-backup-manifest 1
//   set <set id>
//   kind full|incremental|differential
//   parent <set id>|-
//   created_at_ns <wall ns>            (a label: never used to order sets)
//   created_at <UTC, ISO 8601>
//   snapshot_seq <state_seq the set is anchored at; 0: no snapshot, whole WAL>
//   file <object> <bytes> <XXH3-64 hex> <path relative to the state dir>
//   deleted <path>                     (in the parent's manifest, gone since)
//   checksum <hex>
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "system/io/result.h"

namespace crashdrill::system {

enum class BackupKind : uint8_t { kFull, kIncremental, kDifferential };
std::string_view BackupKindName(BackupKind kind);
std::optional<BackupKind> ParseBackupKind(std::string_view name);

struct ManifestEntry {
  std::string path;    // relative to the state directory, '/'-separated
  uint64_t bytes = 0;  // plain size
  uint64_t xxh3 = 0;   // XXH3-64 of the plain bytes
  std::string object;  // object name on the target

  bool operator==(const ManifestEntry&) const = default;
};

struct Manifest {
  std::string set_id;
  BackupKind kind = BackupKind::kFull;
  std::string parent_id;  // empty for a full set
  int64_t created_at_ns = 0;
  uint64_t snapshot_seq = 0;
  std::vector<ManifestEntry> files;  // sorted by path
  std::vector<std::string> deleted;  // sorted

  bool operator==(const Manifest&) const = default;
};

std::string EncodeManifest(const Manifest& manifest);
// kCorruption naming `source` and the line for anything malformed.
Result<Manifest> DecodeManifest(std::string_view text, std::string_view source);

// Names on the target. Set ids are "set-<20 digits>", numbered upwards: the
// number orders sets (never the wall clock). Object names carry their set id
// before the first '.', so every object can be traced to its set.
std::string SetId(uint64_t number);
std::optional<uint64_t> ParseSetId(std::string_view set_id);
std::string ManifestObjectName(std::string_view set_id);
std::string FileObjectName(std::string_view set_id, size_t index);
// The set id an object name belongs to ("" if it is not one of ours).
std::string SetIdOfObject(std::string_view object);
bool IsManifestObject(std::string_view object);

// "2026-01-01T00:00:00Z" for a wall time in ns since the epoch.
std::string WallLabel(int64_t wall_ns);
uint64_t Xxh3Of(std::span<const std::byte> bytes);

}  // namespace crashdrill::system

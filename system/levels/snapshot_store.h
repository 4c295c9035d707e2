// L3 snapshots: the whole engine state, zstd-compressed, in a file named by its
// state_seq (`snapshot_<seq>`), written atomically (atomic_file.h). A snapshot
// plus the WAL records after its seq rebuild the state at any later seq.
//
// File format: 40-byte header — u32 magic "CDSN", u32 format version,
// u64 state_seq, u64 raw (encoded) bytes, u64 compressed bytes, u64 XXH3-64
// over the first 32 header bytes and the compressed bytes — then the zstd frame
// of an EncodeEngineState document.
//
// Durability contract: after Write() returns OK the snapshot survives a power
// loss. Retention keeps the K newest and never deletes the newest. The WAL may
// be truncated only up to the OLDEST retained snapshot, so that a corrupt newer
// snapshot can be skipped for an older one and still be replayed forward.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "system/io/fs.h"
#include "system/state/codec.h"
#include "system/state/engine_state.h"

namespace crashdrill::system {

struct SnapshotStoreOptions {
  std::string dir;
  size_t snapshots_kept = 2;  // K >= 1
  int zstd_level = 3;
  uint16_t schema_version = kSchemaVersionCurrent;  // as DurableFileOptions
};

struct SnapshotFile {
  Seq state_seq = 0;
  std::string path;
};

class SnapshotStore {
 public:
  static constexpr size_t kHeaderBytes = 40;
  static constexpr uint64_t kRawBytesMax = 1ull << 30;

  SnapshotStore(Fs& fs, SnapshotStoreOptions options);

  // Creates the directory and removes temp files of writes that never completed.
  Status Open();
  // Writes a snapshot of `state` (named by state.state_seq()), then applies retention.
  Status Write(const EngineState& state);
  // Snapshots present, ascending by state_seq (valid or not: Read decides).
  Result<std::vector<SnapshotFile>> List();
  // Reads, checks, decompresses and decodes one snapshot.
  Result<EngineState> Read(const SnapshotFile& file);

  static std::string FileName(Seq state_seq);

 private:
  Fs& fs_;
  SnapshotStoreOptions options_;
};

// The bytes of a snapshot file, and back. `source` names it in errors.
std::vector<std::byte> EncodeSnapshot(const EngineState& state, int zstd_level,
                                      uint16_t schema_version = kSchemaVersionCurrent);
Result<EngineState> DecodeSnapshot(ByteSpan bytes, std::string_view source);

}  // namespace crashdrill::system

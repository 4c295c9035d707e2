// What reading any L3 snapshot file must do (system/levels/snapshot_store.h),
// through SnapshotStore::Read on a SimDisk, the way recovery reads one:
// - a state or a corruption status, never a crash or an overread;
// - a state it returns has the state_seq its header names, and survives
//   EncodeSnapshot and reading again unchanged (zstd output is not canonical,
//   so states are compared, not bytes).
//
// Input: byte 0 picks how the rest becomes the file (value % 3):
//   0 as it is;
//   1 resealed: the rest is header and zstd frame; the compressed size and
//     the checksum are made to match, and the raw size is cut below 1 MiB
//     (a checksum-valid header may otherwise ask for 1 GiB), so mutations of
//     sizes and zstd frames get past the checksum;
//   2 compressed here: u64 state_seq for the header, then the raw document
//     (an EncodeEngineState document as the seeds hold it) that is
//     compressed into a well-formed file.
#pragma once

#include <fmt/format.h>
#include <zstd.h>

#include <string>

#include "faults/sim_disk.h"
#include "system/levels/snapshot_store.h"
#include "system/state/codec.h"
#include "system/state/validation.h"
#include "tests/fuzz/fuzz_support.h"

namespace crashdrill::testing {

inline constexpr uint8_t kSnapshotAsIs = 0;
inline constexpr uint8_t kSnapshotResealed = 1;
inline constexpr uint8_t kSnapshotCompressedHere = 2;
inline constexpr uint64_t kSnapshotFuzzRawBytesMax = 1 << 20;
inline const std::string kSnapshotFuzzDir = "/snapshots";

inline uint64_t LoadLittleEndian(const Bytes& bytes, size_t at) {
  uint64_t value = 0;
  for (size_t i = 0; i < 8; ++i) value |= uint64_t{static_cast<uint8_t>(bytes[at + i])} << (8 * i);
  return value;
}

inline void SealSnapshot(Bytes& file) {
  constexpr size_t kHeader = system::SnapshotStore::kHeaderBytes;
  if (file.size() < kHeader) file.resize(kHeader);
  PutLittleEndian(file, 16, LoadLittleEndian(file, 16) % kSnapshotFuzzRawBytesMax, 8);
  PutLittleEndian(file, 24, file.size() - kHeader, 8);
  const system::ByteSpan bytes(file);
  PutLittleEndian(file, 32, system::Checksum64(bytes.first(32), bytes.subspan(kHeader)), 8);
}

inline Bytes CompressSnapshot(system::Seq state_seq, system::ByteSpan raw) {
  constexpr size_t kHeader = system::SnapshotStore::kHeaderBytes;
  Bytes file(kHeader + ZSTD_compressBound(raw.size()));
  const size_t compressed =
      ZSTD_compress(file.data() + kHeader, file.size() - kHeader, raw.data(), raw.size(), 1);
  file.resize(kHeader + (ZSTD_isError(compressed) ? 0 : compressed));
  PutLittleEndian(file, 0, 0x4E534443, 4);  // "CDSN", format version 1 (snapshot_store.h)
  PutLittleEndian(file, 4, 1, 4);
  PutLittleEndian(file, 8, state_seq, 8);
  PutLittleEndian(file, 16, raw.size(), 8);
  SealSnapshot(file);
  return file;
}

inline std::string CheckSnapshotFile(const Bytes& file) {
  using namespace crashdrill::system;
  const Seq header_seq = file.size() >= 16 ? LoadLittleEndian(file, 8) : 0;
  faults::SimDisk disk({});
  SnapshotStore store(disk, {.dir = kSnapshotFuzzDir});
  if (Status opened = store.Open(); !opened.ok()) return Describe("open the store", opened);
  const std::string path = JoinPath(kSnapshotFuzzDir, SnapshotStore::FileName(header_seq));
  auto handle = disk.Open(path, OpenOptions::CreateNew());
  if (!handle.ok()) return Describe("create", handle.status());
  if (Status wrote = (*handle)->WriteAt(0, file); !wrote.ok()) return Describe("write", wrote);
  handle->reset();
  Result<std::vector<SnapshotFile>> listed = store.List();
  if (!listed.ok() || listed->size() != 1 || listed->front().state_seq != header_seq) {
    return "the store does not list the snapshot file it holds";
  }
  Result<EngineState> state = store.Read(listed->front());
  if (!state.ok()) {
    if (state.status().code() != StatusCode::kCorruption) {
      return Describe("read failed without a corruption status", state.status());
    }
    return {};
  }
  if (state->state_seq() != header_seq) {
    return fmt::format("the header says state_seq {}, the state read is {}", header_seq,
                       state->state_seq());
  }
  (void)FindViolations(*state, {});  // must not crash on any state a snapshot can hold
  Result<EngineState> again = DecodeSnapshot(EncodeSnapshot(*state, 1), "re-encoded");
  if (!again.ok()) return Describe("a snapshot read back does not re-encode", again.status());
  if (!(*again == *state)) return "a snapshot read back re-encodes to another state";
  return {};
}

inline std::string CheckSnapshot(system::ByteSpan input) {
  FuzzCursor cursor(input);
  const uint8_t mode = cursor.U8() % 3;
  Bytes file;
  if (mode == kSnapshotCompressedHere) {
    const system::Seq state_seq = cursor.U64();
    file = CompressSnapshot(state_seq, cursor.Rest());
  } else {
    const system::ByteSpan rest = cursor.Rest();
    file.assign(rest.begin(), rest.end());
    if (mode == kSnapshotResealed) SealSnapshot(file);
  }
  return CheckSnapshotFile(file);
}

}  // namespace crashdrill::testing

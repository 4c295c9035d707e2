#include "system/levels/snapshot_store.h"

#include <zstd.h>

#include <algorithm>

#include <fmt/format.h>

#include "system/io/check.h"
#include "system/levels/atomic_file.h"
#include "system/levels/numbered_name.h"
#include "system/state/byte_codec.h"
#include "system/state/codec.h"

namespace crashdrill::system {
namespace {

constexpr std::string_view kPrefix = "snapshot_";
constexpr uint32_t kMagic = 0x4E534443;  // "CDSN" as little-endian bytes
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kHashedHeaderBytes = 32;

}  // namespace

std::vector<std::byte> EncodeSnapshot(const EngineState& state, int zstd_level,
                                      uint16_t schema_version) {
  const std::vector<std::byte> raw = EncodeEngineState(state, schema_version);
  std::vector<std::byte> out(SnapshotStore::kHeaderBytes + ZSTD_compressBound(raw.size()));
  const size_t compressed = ZSTD_compress(out.data() + SnapshotStore::kHeaderBytes,
                                          out.size() - SnapshotStore::kHeaderBytes, raw.data(),
                                          raw.size(), zstd_level);
  CD_CHECK(!ZSTD_isError(compressed), "ZSTD_compress into a compressBound buffer cannot fail");
  out.resize(SnapshotStore::kHeaderBytes + compressed);
  ByteWriter w;
  w.U32(kMagic);
  w.U32(kFormatVersion);
  w.U64(state.state_seq());
  w.U64(raw.size());
  w.U64(compressed);
  const std::vector<std::byte> header = w.Take();
  std::copy(header.begin(), header.end(), out.begin());
  const uint64_t sum = Checksum64(ByteSpan(out).first(kHashedHeaderBytes),
                                        ByteSpan(out).subspan(SnapshotStore::kHeaderBytes));
  for (int i = 0; i < 8; ++i) out[kHashedHeaderBytes + static_cast<size_t>(i)] =
      static_cast<std::byte>(sum >> (8 * i));
  return out;
}

Result<EngineState> DecodeSnapshot(ByteSpan bytes, std::string_view source) {
  if (bytes.size() < SnapshotStore::kHeaderBytes) {
    return Status::Corruption(source, bytes.size(), "snapshot.header",
                              fmt::format("{} bytes, shorter than the header", bytes.size()));
  }
  ByteReader r(bytes.first(SnapshotStore::kHeaderBytes), source, 0);
  const uint32_t magic = r.U32("snapshot.magic");
  const uint32_t version = r.U32("snapshot.format_version");
  const Seq state_seq = r.U64("snapshot.state_seq");
  const uint64_t raw_bytes = r.U64("snapshot.raw_bytes");
  const uint64_t compressed_bytes = r.U64("snapshot.compressed_bytes");
  const uint64_t stored_sum = r.U64("snapshot.checksum");
  if (magic != kMagic) return Status::Corruption(source, 0, "snapshot.magic", "not a snapshot");
  if (version != kFormatVersion) {
    return Status::Corruption(source, 4, "snapshot.format_version",
                              fmt::format("unknown format version {}", version));
  }
  if (compressed_bytes != bytes.size() - SnapshotStore::kHeaderBytes ||
      raw_bytes > SnapshotStore::kRawBytesMax) {
    return Status::Corruption(source, 16, "snapshot.raw_bytes",
                              fmt::format("sizes {} raw / {} compressed do not fit the {}-byte file",
                                          raw_bytes, compressed_bytes, bytes.size()));
  }
  const ByteSpan compressed = bytes.subspan(SnapshotStore::kHeaderBytes);
  if (Checksum64(bytes.first(kHashedHeaderBytes), compressed) != stored_sum) {
    return Status::Corruption(source, kHashedHeaderBytes, "snapshot.checksum",
                              "checksum mismatch");
  }
  std::vector<std::byte> raw(raw_bytes);
  const size_t n = ZSTD_decompress(raw.data(), raw.size(), compressed.data(), compressed.size());
  if (ZSTD_isError(n) || n != raw_bytes) {
    return Status::Corruption(source, SnapshotStore::kHeaderBytes, "snapshot.zstd",
                              ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short decompression");
  }
  CD_ASSIGN_OR_RETURN(EngineState state, DecodeEngineState(raw, source));
  if (state.state_seq() != state_seq) {
    return Status::Corruption(source, 8, "snapshot.state_seq",
                              fmt::format("header says {}, state says {}", state_seq,
                                          state.state_seq()));
  }
  return state;
}

SnapshotStore::SnapshotStore(Fs& fs, SnapshotStoreOptions options)
    : fs_(fs), options_(std::move(options)) {
  CD_CHECK(options_.snapshots_kept >= 1, "snapshot retention must keep the newest snapshot");
}

std::string SnapshotStore::FileName(Seq state_seq) {
  return NumberedName(kPrefix, state_seq);
}

Status SnapshotStore::Open() {
  CD_RETURN_IF_ERROR(MakeDurableDir(fs_, options_.dir));
  return RemoveUnpublishedTempFiles(fs_, options_.dir, kPrefix);
}

Status SnapshotStore::Write(const EngineState& state) {
  const std::vector<std::byte> bytes = EncodeSnapshot(state, options_.zstd_level, options_.schema_version);
  CD_RETURN_IF_ERROR(
      WriteFileAtomically(fs_, options_.dir, FileName(state.state_seq()), bytes, "snapshot"));
  CD_ASSIGN_OR_RETURN(std::vector<SnapshotFile> files, List());
  std::vector<std::string> paths;
  for (const SnapshotFile& file : files) paths.push_back(file.path);
  return KeepNewest(fs_, paths, options_.snapshots_kept, "snapshot");
}

Result<std::vector<SnapshotFile>> SnapshotStore::List() {
  CD_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_.List(options_.dir));
  std::vector<SnapshotFile> files;
  for (const std::string& name : names) {
    if (auto seq = ParseNumberedName(kPrefix, name)) files.push_back({*seq, JoinPath(options_.dir, name)});
  }
  std::sort(files.begin(), files.end(),
            [](const SnapshotFile& a, const SnapshotFile& b) { return a.state_seq < b.state_seq; });
  return files;
}

Result<EngineState> SnapshotStore::Read(const SnapshotFile& file) {
  CD_ASSIGN_OR_RETURN(std::vector<std::byte> bytes, ReadWholeFile(fs_, file.path));
  CD_ASSIGN_OR_RETURN(EngineState state, DecodeSnapshot(bytes, file.path));
  // Rebuilds trust the name's seq: a file whose state is another seq would
  // silently skip or repeat WAL records.
  if (state.state_seq() != file.state_seq) {
    return Status::Corruption(file.path, 8, "snapshot.state_seq",
                              fmt::format("the file is named for state_seq {} but holds {}",
                                          file.state_seq, state.state_seq()));
  }
  return state;
}

}  // namespace crashdrill::system

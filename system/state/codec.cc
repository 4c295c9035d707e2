#include "system/state/codec.h"

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <fmt/format.h>

#include "system/io/check.h"
#include "system/state/byte_codec.h"
#include "system/state/codec_types.h"
#include "system/state/migration.h"

namespace crashdrill::system {
namespace {

constexpr size_t kHashedHeaderBytes = 16;  // magic, version, kind, payload length

void PutBigEndian(MutableByteSpan out, size_t at, uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    out[at + static_cast<size_t>(i)] = static_cast<std::byte>(value >> (56 - 8 * i));
  }
}

uint64_t GetBigEndian(ByteSpan bytes, size_t at) {
  uint64_t value = 0;
  for (size_t i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint64_t>(bytes[at + i]);
  return value;
}

// Writes the payload with `put_payload`, then fills in the header in front of it.
template <typename PutPayload>
std::vector<std::byte> EncodeDocument(DocumentKind kind, uint16_t version, PutPayload put_payload) {
  CD_CHECK(version >= kSchemaVersionOldest && version <= kSchemaVersionCurrent,
           "encoding a schema version this build cannot read back");
  ByteWriter w;
  w.U32(kDocumentMagic);
  w.U16(version);
  w.U16(static_cast<uint16_t>(kind));
  w.U64(0);  // payload length, filled in below
  w.U64(0);  // checksum, filled in below
  put_payload(w);
  std::vector<std::byte> out = w.Take();
  const uint64_t payload_bytes = out.size() - kDocumentHeaderBytes;
  for (int i = 0; i < 8; ++i) out[8 + static_cast<size_t>(i)] =
      static_cast<std::byte>(payload_bytes >> (8 * i));
  const ByteSpan all(out);
  PutBigEndian(out, kHashedHeaderBytes,
               Checksum64(all.first(kHashedHeaderBytes), all.subspan(kDocumentHeaderBytes)));
  return out;
}

// Checks header and checksum; returns the header and leaves the payload to the caller.
Result<DocumentHeader> OpenDocument(ByteSpan bytes, std::string_view source, DocumentKind kind) {
  CD_ASSIGN_OR_RETURN(DocumentHeader header, ReadDocumentHeader(bytes, source));
  if (header.kind != kind) {
    return Status::Corruption(source, 6, "header.kind",
                              fmt::format("document kind {} where kind {} was expected",
                                          static_cast<int>(header.kind), static_cast<int>(kind)));
  }
  if (bytes.size() != kDocumentHeaderBytes + header.payload_bytes) {
    return Status::Corruption(
        source, kDocumentHeaderBytes + header.payload_bytes, "end",
        fmt::format("{} bytes follow the {}-byte payload", bytes.size() - kDocumentHeaderBytes -
                    header.payload_bytes, header.payload_bytes));
  }
  const uint64_t actual = Checksum64(bytes.first(kHashedHeaderBytes),
                                           bytes.subspan(kDocumentHeaderBytes));
  if (actual != header.checksum) {
    return Status::Corruption(source, kHashedHeaderBytes, "header.checksum",
                              fmt::format("checksum mismatch: stored {:016x}, computed {:016x}",
                                          header.checksum, actual));
  }
  return header;
}

}  // namespace

uint64_t Checksum64(ByteSpan bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

uint64_t Checksum64(ByteSpan first, ByteSpan second) {
  XXH3_state_t state;
  XXH3_INITSTATE(&state);
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, first.data(), first.size());
  XXH3_64bits_update(&state, second.data(), second.size());
  return XXH3_64bits_digest(&state);
}

Result<DocumentHeader> ReadDocumentHeader(ByteSpan bytes, std::string_view source) {
  if (bytes.size() < kDocumentHeaderBytes) {
    return Status::Corruption(source, bytes.size(), "header",
                              fmt::format("{} bytes, shorter than the {}-byte header",
                                          bytes.size(), kDocumentHeaderBytes));
  }
  ByteReader r(bytes.first(kHashedHeaderBytes), source, 0);
  if (r.U32("header.magic") != kDocumentMagic) {
    return Status::Corruption(source, 0, "header.magic", "not a crashdrill state document");
  }
  DocumentHeader header;
  header.schema_version = r.U16("header.schema_version");
  if (header.schema_version < kSchemaVersionOldest ||
      header.schema_version > kSchemaVersionCurrent) {
    return Status::Corruption(source, 4, "header.schema_version",
                              fmt::format("schema version {} is not between {} and {}",
                                          header.schema_version, kSchemaVersionOldest,
                                          kSchemaVersionCurrent));
  }
  const uint16_t kind = r.U16("header.kind");
  if (kind != static_cast<uint16_t>(DocumentKind::kEngineState) &&
      kind != static_cast<uint16_t>(DocumentKind::kTradingState)) {
    return Status::Corruption(source, 6, "header.kind", fmt::format("unknown kind {}", kind));
  }
  header.kind = static_cast<DocumentKind>(kind);
  header.payload_bytes = r.U64("header.payload_length");
  if (header.payload_bytes > bytes.size() - kDocumentHeaderBytes) {
    return Status::Corruption(source, 8, "header.payload_length",
                              fmt::format("payload length {} exceeds the {} bytes present",
                                          header.payload_bytes,
                                          bytes.size() - kDocumentHeaderBytes));
  }
  header.checksum = GetBigEndian(bytes, kHashedHeaderBytes);
  return header;
}

std::vector<std::byte> EncodeEngineState(const EngineState& state, uint16_t schema_version) {
  return EncodeDocument(DocumentKind::kEngineState, schema_version, [&](ByteWriter& w) {
    codec::Put(w, state.trading, schema_version);
    w.Count(state.strategies.size());
    for (const auto& [id, strategy] : state.strategies) codec::Put(w, strategy, schema_version);
    codec::Put(w, state.config, schema_version);
    codec::Put(w, state.market_data, schema_version);
  });
}

Result<EngineState> DecodeEngineState(ByteSpan bytes, std::string_view source) {
  CD_ASSIGN_OR_RETURN(DocumentHeader header,
                      OpenDocument(bytes, source, DocumentKind::kEngineState));
  const uint16_t version = header.schema_version;
  ByteReader r(bytes.subspan(kDocumentHeaderBytes), source, kDocumentHeaderBytes);
  EngineState state;
  codec::Get(r, state.trading, version);
  {
    ByteReader::Scope scope(r, "strategies");
    const uint32_t count = r.Count("count", 4 + 4 + 4 + 4 + 1 + 16);
    for (uint32_t i = 0; i < count && r.ok(); ++i) {
      ByteReader::Scope element(r, "item", i);
      StrategyState strategy;
      codec::Get(r, strategy, version);
      std::string id = strategy.strategy_id;
      if (r.ok() && !state.strategies.emplace(std::move(id), std::move(strategy)).second) {
        r.Fail("strategy_id", "duplicate key");
      }
    }
  }
  codec::Get(r, state.config, version);
  codec::Get(r, state.market_data, version);
  r.ExpectEnd();
  if (!r.ok()) return r.status();
  MigrateEngineState(state, version);
  return state;
}

std::vector<std::byte> EncodeTradingState(const TradingState& state, uint16_t schema_version) {
  return EncodeDocument(DocumentKind::kTradingState, schema_version,
                        [&](ByteWriter& w) { codec::Put(w, state, schema_version); });
}

Result<TradingState> DecodeTradingState(ByteSpan bytes, std::string_view source) {
  CD_ASSIGN_OR_RETURN(DocumentHeader header,
                      OpenDocument(bytes, source, DocumentKind::kTradingState));
  ByteReader r(bytes.subspan(kDocumentHeaderBytes), source, kDocumentHeaderBytes);
  TradingState state;
  codec::Get(r, state, header.schema_version);
  r.ExpectEnd();
  if (!r.ok()) return r.status();
  MigrateTradingState(state, header.schema_version);
  return state;
}

}  // namespace crashdrill::system

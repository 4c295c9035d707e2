// The versioned binary codec of persisted state. A document is a 24-byte
// header — magic "CDST", schema version (u16), kind (u16), payload length
// (u64), XXH3-64 over the first 16 header bytes and the payload (u64,
// canonical big-endian) — followed by the payload. Decoding checks all of it
// before it builds anything; older schema versions load through the explicit
// migrations of migration.h. Encoding writes the current version unless told
// otherwise (older versions exist so their files can be produced in tests).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "system/io/fs.h"
#include "system/io/result.h"
#include "system/state/engine_state.h"

namespace crashdrill::system {

inline constexpr uint32_t kDocumentMagic = 0x54534443;  // "CDST" as little-endian bytes
inline constexpr size_t kDocumentHeaderBytes = 24;
inline constexpr uint16_t kSchemaVersionOldest = 1;
inline constexpr uint16_t kSchemaVersionCurrent = 2;

enum class DocumentKind : uint16_t {
  kEngineState = 1,   // everything: trading, strategies, configuration, market data
  kTradingState = 2,  // critical trading state only (what L1 holds)
};

struct DocumentHeader {
  uint16_t schema_version = 0;
  DocumentKind kind = DocumentKind::kEngineState;
  uint64_t payload_bytes = 0;
  uint64_t checksum = 0;
};

// Reads and checks a header (magic, known version and kind, payload length
// within `bytes`). Does not verify the checksum.
Result<DocumentHeader> ReadDocumentHeader(ByteSpan bytes, std::string_view source);

std::vector<std::byte> EncodeEngineState(const EngineState& state,
                                         uint16_t schema_version = kSchemaVersionCurrent);
// `source` names the file or slot in error messages. REQUIRES nothing of
// `bytes`: any input yields a state or a corruption/invalid status, never a crash.
Result<EngineState> DecodeEngineState(ByteSpan bytes, std::string_view source);

std::vector<std::byte> EncodeTradingState(const TradingState& state,
                                          uint16_t schema_version = kSchemaVersionCurrent);
Result<TradingState> DecodeTradingState(ByteSpan bytes, std::string_view source);

// XXH3-64 of `bytes`, and of `first` followed by `second` without copying
// them together (a header prefix and a payload); exposed for the levels' framing.
uint64_t Checksum64(ByteSpan bytes);
uint64_t Checksum64(ByteSpan first, ByteSpan second);

}  // namespace crashdrill::system

// Helpers for codec tests: edit an encoded document and recompute its
// checksum the way codec.h documents it, to reach the payload decoder.
#pragma once

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <cstdint>
#include <vector>

#include "system/state/codec.h"

namespace crashdrill::testing {

inline void Reseal(std::vector<std::byte>& doc) {
  XXH3_state_t state;
  XXH3_INITSTATE(&state);
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, doc.data(), 16);
  XXH3_64bits_update(&state, doc.data() + system::kDocumentHeaderBytes,
                     doc.size() - system::kDocumentHeaderBytes);
  const uint64_t sum = XXH3_64bits_digest(&state);
  for (int i = 0; i < 8; ++i) doc[16 + static_cast<size_t>(i)] = std::byte(sum >> (56 - 8 * i));
}

inline void PutU32(std::vector<std::byte>& doc, size_t at, uint32_t value) {
  for (int i = 0; i < 4; ++i) doc[at + static_cast<size_t>(i)] = std::byte(value >> (8 * i));
}

}  // namespace crashdrill::testing

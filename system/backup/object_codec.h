// A backup object: one file's bytes (or a manifest), zstd-compressed, then
// encrypted and authenticated with libsodium's crypto_secretstream_xchacha20poly1305.
//
// Format: 24-byte prefix — "CDBK", u8 format version, 3 zero bytes, the key's
// 16-byte fingerprint — then the 24-byte secretstream header, then chunks,
// each a u32 little-endian ciphertext length and that many bytes; a chunk
// decrypts to at most kChunkBytes of the zstd frame. The last chunk, and only
// it, carries TAG_FINAL: an object that ends without it was truncated.
//
// Binding: every chunk's additional data is the prefix plus a binding string
// naming what the object is (ObjectBinding: set id and path; ManifestBinding:
// set id), so an object moved to another set or path fails authentication.
// Integrity contract: OpenObject returns bytes only when every chunk
// authenticated, the final chunk was seen and nothing follows it, and the zstd
// frame ended exactly there; any other case is kCorruption naming the object.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "system/backup/backup_key.h"
#include "system/io/fs.h"

namespace crashdrill::system {

inline constexpr size_t kChunkBytes = 64 << 10;

std::string ObjectBinding(std::string_view set_id, std::string_view path);
std::string ManifestBinding(std::string_view set_id);

std::vector<std::byte> SealObject(const BackupKey& key, std::string_view binding, ByteSpan plain,
                                  int zstd_level = 3);

// `name` names the object in errors; more than `plain_bytes_max` plain bytes
// is corruption (a length is never trusted).
Result<std::vector<std::byte>> OpenObject(const BackupKey& key, std::string_view binding,
                                          ByteSpan sealed, std::string_view name,
                                          uint64_t plain_bytes_max);

}  // namespace crashdrill::system

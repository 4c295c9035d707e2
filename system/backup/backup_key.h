// BackupKey: the secret that encrypts and authenticates every backup object
// (libsodium crypto_secretstream_xchacha20poly1305). A key file holds exactly
// kKeyBytes raw bytes — not hex: a length check is then the whole parser, and
// no trailing newline or case can make two files differ for the same key.
//
// Secrecy contract: the key file must be a regular file of mode 0600 or
// stricter (no group or other bit); anything else is refused before a byte is
// read. The key's bytes never appear in a Status, a log line or a message:
// errors name the path, the mode or the size, never the content. The key file
// is a real file read with open/fstat/read, not through the Fs seam: its mode
// is a property of the real file system, which no simulated disk has.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>

#include "system/io/result.h"
#include "system/io/status.h"

namespace crashdrill::system {

class BackupKey {
 public:
  static constexpr size_t kKeyBytes = 32;  // crypto_secretstream_xchacha20poly1305_KEYBYTES

  // A fresh random key (libsodium's generator).
  static BackupKey Generate();
  // REQUIRES: bytes.size() == kKeyBytes.
  static BackupKey FromBytes(std::span<const unsigned char> bytes);

  BackupKey(const BackupKey& other) = default;
  BackupKey& operator=(const BackupKey& other) = default;
  ~BackupKey();  // wipes the bytes

  const unsigned char* data() const { return bytes_.data(); }
  // 16 bytes derived from the key by a keyed hash: stored in every object so a
  // wrong key is told apart from tampering. Reveals nothing about the key.
  std::array<unsigned char, 16> Fingerprint() const;

 private:
  BackupKey() = default;
  std::array<unsigned char, kKeyBytes> bytes_{};
};

// Loads a key file. kFailedPrecondition when group or others may access it
// (the message says so and how to fix it), kInvalidArgument when it is not a
// regular file or not exactly kKeyBytes long, kNotFound when absent.
Result<BackupKey> LoadKeyFile(const std::string& path);

// Creates a new key file of mode 0600 with a random key (O_CREAT|O_EXCL:
// never overwrites a key, kAlreadyExists if `path` exists), syncs it and its
// directory, and returns the key.
Result<BackupKey> GenerateKeyFile(const std::string& path);

// Calls sodium_init() once; kInternal if libsodium cannot start.
Status InitSodium();

}  // namespace crashdrill::system

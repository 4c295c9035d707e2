#include "system/backup/object_codec.h"

#include <sodium.h>
#include <zstd.h>

#include <cstring>
#include <memory>

#include "system/io/check.h"
#include "system/state/byte_codec.h"

namespace crashdrill::system {
namespace {

constexpr std::string_view kMagic = "CDBK";
constexpr uint8_t kFormatVersion = 1;
constexpr size_t kPrefixBytes = 24;
constexpr size_t kHeaderBytes = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr size_t kCipherChunkBytesMax = kChunkBytes + crypto_secretstream_xchacha20poly1305_ABYTES;
static_assert(kHeaderBytes == 24);

struct CCtxFree {
  void operator()(ZSTD_CCtx* context) const { ZSTD_freeCCtx(context); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* context) const { ZSTD_freeDCtx(context); }
};

const unsigned char* Uchars(const void* data) { return static_cast<const unsigned char*>(data); }

std::array<std::byte, kPrefixBytes> Prefix(const BackupKey& key) {
  std::array<std::byte, kPrefixBytes> prefix{};
  std::memcpy(prefix.data(), kMagic.data(), kMagic.size());
  prefix[4] = std::byte{kFormatVersion};
  const std::array<unsigned char, 16> fingerprint = key.Fingerprint();
  std::memcpy(prefix.data() + 8, fingerprint.data(), fingerprint.size());
  return prefix;
}

// The additional data of every chunk: the prefix, then the binding.
std::string AdditionalData(ByteSpan prefix, std::string_view binding) {
  std::string ad(reinterpret_cast<const char*>(prefix.data()), prefix.size());
  ad.append(binding);
  return ad;
}

// Encrypts one chunk of the compressed stream and appends it, length first.
void PushChunk(crypto_secretstream_xchacha20poly1305_state& state, const std::string& ad,
               ByteSpan chunk, unsigned char tag, ByteWriter& out) {
  std::vector<unsigned char> cipher(chunk.size() + crypto_secretstream_xchacha20poly1305_ABYTES);
  unsigned long long cipher_bytes = 0;
  crypto_secretstream_xchacha20poly1305_push(&state, cipher.data(), &cipher_bytes,
                                             Uchars(chunk.data()), chunk.size(), Uchars(ad.data()),
                                             ad.size(), tag);
  out.U32(static_cast<uint32_t>(cipher_bytes));
  out.Raw({reinterpret_cast<const std::byte*>(cipher.data()), static_cast<size_t>(cipher_bytes)});
}

// Decompresses one decrypted chunk into `plain`, draining zstd's buffered
// output too. `frame_left` is 0 once the frame has ended: bytes after it are
// corruption (zstd would start another frame).
Status Inflate(ZSTD_DCtx& context, ByteSpan input, std::vector<std::byte>& plain,
               size_t& frame_left, std::string_view name, size_t offset, uint64_t plain_bytes_max) {
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  std::array<std::byte, 16 << 10> window;
  for (;;) {
    if (frame_left == 0) {
      if (in.pos == in.size) return Status::Ok();
      return Status::Corruption(name, offset, "zstd frame", "data after the end of the frame");
    }
    ZSTD_outBuffer out{window.data(), window.size(), 0};
    frame_left = ZSTD_decompressStream(&context, &out, &in);
    if (ZSTD_isError(frame_left)) {
      return Status::Corruption(name, offset, "zstd frame", ZSTD_getErrorName(frame_left));
    }
    if (plain.size() + out.pos > plain_bytes_max) {
      return Status::Corruption(name, offset, "zstd frame",
                                "decompresses to more bytes than the manifest allows");
    }
    plain.insert(plain.end(), window.begin(), window.begin() + out.pos);
    // A window left partly empty with all input consumed: zstd holds nothing more.
    if (in.pos == in.size && out.pos < out.size) return Status::Ok();
  }
}

}  // namespace

std::string ObjectBinding(std::string_view set_id, std::string_view path) {
  std::string binding = "crashdrill-backup file\n";
  binding.append(set_id).append("\n").append(path);
  return binding;
}

std::string ManifestBinding(std::string_view set_id) {
  std::string binding = "crashdrill-backup manifest\n";
  return binding.append(set_id);
}

std::vector<std::byte> SealObject(const BackupKey& key, std::string_view binding, ByteSpan plain,
                                  int zstd_level) {
  CD_CHECK(sodium_init() >= 0, "libsodium failed to start");
  const std::array<std::byte, kPrefixBytes> prefix = Prefix(key);
  const std::string ad = AdditionalData(prefix, binding);
  ByteWriter out;
  out.Raw(prefix);
  crypto_secretstream_xchacha20poly1305_state state;
  std::array<unsigned char, kHeaderBytes> header{};
  crypto_secretstream_xchacha20poly1305_init_push(&state, header.data(), key.data());
  out.Raw({reinterpret_cast<const std::byte*>(header.data()), header.size()});

  std::unique_ptr<ZSTD_CCtx, CCtxFree> context(ZSTD_createCCtx());
  CD_CHECK(context != nullptr, "ZSTD_createCCtx failed");
  CD_CHECK(
      !ZSTD_isError(ZSTD_CCtx_setParameter(context.get(), ZSTD_c_compressionLevel, zstd_level)),
      "bad zstd level");
  std::vector<std::byte> chunk(kChunkBytes);
  ZSTD_inBuffer in{plain.data(), plain.size(), 0};
  ZSTD_outBuffer compressed{chunk.data(), chunk.size(), 0};
  // A full chunk is pushed as a message only when the frame goes on after it,
  // so the final tag always lands on the chunk that holds the frame's end.
  for (;;) {
    const size_t left = ZSTD_compressStream2(context.get(), &compressed, &in, ZSTD_e_end);
    CD_CHECK(!ZSTD_isError(left), "zstd compression of in-memory bytes cannot fail");
    if (left == 0) break;
    if (compressed.pos == compressed.size) {
      PushChunk(state, ad, chunk, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE, out);
      compressed.pos = 0;
    }
  }
  PushChunk(state, ad, ByteSpan(chunk).first(compressed.pos),
            crypto_secretstream_xchacha20poly1305_TAG_FINAL, out);
  sodium_memzero(&state, sizeof(state));
  return out.Take();
}

Result<std::vector<std::byte>> OpenObject(const BackupKey& key, std::string_view binding,
                                          ByteSpan sealed, std::string_view name,
                                          uint64_t plain_bytes_max) {
  CD_RETURN_IF_ERROR(InitSodium());
  if (sealed.size() < kPrefixBytes + kHeaderBytes) {
    return Status::Corruption(name, 0, "header", "truncated: shorter than the object header");
  }
  const ByteSpan prefix = sealed.first(kPrefixBytes);
  if (std::memcmp(prefix.data(), kMagic.data(), kMagic.size()) != 0 ||
      prefix[4] != std::byte{kFormatVersion}) {
    return Status::Corruption(name, 0, "magic", "not a crashdrill backup object of format 1");
  }
  const std::array<unsigned char, 16> fingerprint = key.Fingerprint();
  if (std::memcmp(prefix.data() + 8, fingerprint.data(), fingerprint.size()) != 0) {
    return Status::Corruption(name, 8, "key fingerprint",
                              "encrypted with a different key than the one given");
  }
  const std::string ad = AdditionalData(prefix, binding);
  crypto_secretstream_xchacha20poly1305_state state;
  if (crypto_secretstream_xchacha20poly1305_init_pull(&state, Uchars(sealed.data() + kPrefixBytes),
                                                      key.data()) != 0) {
    return Status::Corruption(name, kPrefixBytes, "stream header", "invalid secretstream header");
  }
  std::unique_ptr<ZSTD_DCtx, DCtxFree> context(ZSTD_createDCtx());
  CD_CHECK(context != nullptr, "ZSTD_createDCtx failed");
  std::vector<std::byte> plain;
  std::vector<unsigned char> chunk(kChunkBytes);
  size_t offset = kPrefixBytes + kHeaderBytes;
  size_t frame_left = 1;  // ZSTD_decompressStream's "more to come"; 0 once the frame ended
  bool final_seen = false;
  while (!final_seen) {
    if (sealed.size() - offset < 4) {
      return Status::Corruption(name, offset, "chunk length",
                                "truncated: the object ends before its final chunk");
    }
    ByteReader reader(sealed.subspan(offset, 4), name, offset);
    const uint32_t cipher_bytes = reader.U32("chunk length");
    offset += 4;
    if (cipher_bytes < crypto_secretstream_xchacha20poly1305_ABYTES ||
        cipher_bytes > kCipherChunkBytesMax || cipher_bytes > sealed.size() - offset) {
      return Status::Corruption(name, offset - 4, "chunk length",
                                "truncated or damaged: a chunk length beyond the object");
    }
    unsigned long long chunk_bytes = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&state, chunk.data(), &chunk_bytes, &tag,
                                                   Uchars(sealed.data() + offset), cipher_bytes,
                                                   Uchars(ad.data()), ad.size()) != 0) {
      return Status::Corruption(name, offset, "chunk",
                                "authentication failed: tampered, or not this set's and path's "
                                "object");
    }
    offset += cipher_bytes;
    final_seen = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    CD_RETURN_IF_ERROR(Inflate(
        *context,
        {reinterpret_cast<const std::byte*>(chunk.data()), static_cast<size_t>(chunk_bytes)}, plain,
        frame_left, name, offset, plain_bytes_max));
  }
  sodium_memzero(&state, sizeof(state));
  if (offset != sealed.size()) {
    return Status::Corruption(name, offset, "final chunk", "bytes follow the final chunk");
  }
  if (frame_left != 0) {
    return Status::Corruption(name, offset, "zstd frame", "the compressed frame is incomplete");
  }
  return plain;
}

}  // namespace crashdrill::system

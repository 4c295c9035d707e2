// The object format on its own: round trips of every size class, and each way
// an object can be cut, extended or re-bound is refused.
#include "system/backup/object_codec.h"

#include <gtest/gtest.h>

#include <cstring>

namespace crashdrill::system {
namespace {

// Incompressible bytes, so a large input spans several chunks after zstd.
std::vector<std::byte> Noise(size_t bytes, uint64_t seed) {
  std::vector<std::byte> out(bytes);
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (std::byte& b : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<std::byte>(x);
  }
  return out;
}

// Offsets where each chunk starts (after the 48-byte prefix and header).
std::vector<size_t> ChunkStarts(const std::vector<std::byte>& sealed) {
  std::vector<size_t> starts;
  for (size_t at = 48; at < sealed.size();) {
    starts.push_back(at);
    uint32_t length = 0;
    std::memcpy(&length, sealed.data() + at, 4);
    at += 4 + length;
  }
  return starts;
}

const BackupKey& Key() {
  static const BackupKey key = BackupKey::Generate();
  return key;
}

TEST(ObjectCodecTest, RoundTripsEmptySmallAndMultiChunkObjects) {
  for (size_t bytes : {size_t{0}, size_t{1}, size_t{1000}, kChunkBytes, 3 * kChunkBytes + 5}) {
    const std::vector<std::byte> plain = Noise(bytes, bytes);
    const std::vector<std::byte> sealed = SealObject(Key(), "binding", plain);
    Result<std::vector<std::byte>> opened = OpenObject(Key(), "binding", sealed, "obj", bytes);
    ASSERT_TRUE(opened.ok()) << bytes << ": " << opened.status().ToString();
    EXPECT_TRUE(*opened == plain) << bytes;
  }
}

TEST(ObjectCodecTest, AnObjectCutAtAChunkBoundaryIsRefusedForItsMissingFinalChunk) {
  const std::vector<std::byte> sealed = SealObject(Key(), "b", Noise(3 * kChunkBytes, 7));
  const std::vector<size_t> starts = ChunkStarts(sealed);
  ASSERT_GE(starts.size(), 3u);
  for (size_t i = 1; i < starts.size(); ++i) {
    const std::vector<std::byte> cut(sealed.begin(), sealed.begin() + starts[i]);
    Result<std::vector<std::byte>> opened = OpenObject(Key(), "b", cut, "obj-7", 1 << 30);
    ASSERT_FALSE(opened.ok()) << "cut before chunk " << i;
    EXPECT_TRUE(opened.status().IsCorruption());
    EXPECT_NE(opened.status().ToString().find("final chunk"), std::string::npos)
        << opened.status().ToString();
    EXPECT_EQ(opened.status().path(), "obj-7");
  }
}

TEST(ObjectCodecTest, BytesAfterTheFinalChunkAreRefused) {
  std::vector<std::byte> sealed = SealObject(Key(), "b", Noise(100, 1));
  sealed.push_back(std::byte{0});
  EXPECT_FALSE(OpenObject(Key(), "b", sealed, "obj", 1 << 20).ok());
}

TEST(ObjectCodecTest, AnotherBindingFailsAuthentication) {
  const std::vector<std::byte> sealed =
      SealObject(Key(), ObjectBinding("set-1", "l1"), Noise(100, 2));
  for (const std::string& other :
       {ObjectBinding("set-2", "l1"), ObjectBinding("set-1", "l2"), ManifestBinding("set-1")}) {
    Result<std::vector<std::byte>> opened = OpenObject(Key(), other, sealed, "obj", 1 << 20);
    ASSERT_FALSE(opened.ok());
    EXPECT_NE(opened.status().ToString().find("authentication failed"), std::string::npos);
  }
}

TEST(ObjectCodecTest, MoreBytesThanAllowedAreRefused) {
  const std::vector<std::byte> sealed = SealObject(Key(), "b", Noise(1000, 3));
  EXPECT_FALSE(OpenObject(Key(), "b", sealed, "obj", 999).ok());
}

}  // namespace
}  // namespace crashdrill::system

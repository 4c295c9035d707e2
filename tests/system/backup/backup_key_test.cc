// Key files on real files: made 0600 and never overwritten; refused when group
// or others may read them; the key never appears in an error.
#include "system/backup/backup_key.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace crashdrill::system {
namespace {

std::string Hex(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

// The key must not be in `text`, raw or as hex (either case).
void ExpectNoKeyIn(const std::string& text, const BackupKey& key) {
  const std::string raw(reinterpret_cast<const char*>(key.data()), BackupKey::kKeyBytes);
  EXPECT_EQ(text.find(raw), std::string::npos);
  std::string hex = Hex(key.data(), BackupKey::kKeyBytes);
  EXPECT_EQ(text.find(hex), std::string::npos);
  for (char& c : hex) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(text.find(hex), std::string::npos);
  // Nor any 8-byte run of it (a partial dump).
  for (size_t i = 0; i + 8 <= BackupKey::kKeyBytes; ++i) {
    EXPECT_EQ(text.find(Hex(key.data() + i, 8)), std::string::npos) << text;
  }
}

TEST(BackupKeyTest, GeneratedKeyFileIsMode0600AndLoadsTheSameKey) {
  testing::TempDir dir;
  const std::string path = dir.Join("backup.key");
  Result<BackupKey> made = GenerateKeyFile(path);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
  EXPECT_EQ(info.st_size, static_cast<off_t>(BackupKey::kKeyBytes));
  Result<BackupKey> loaded = LoadKeyFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(std::memcmp(loaded->data(), made->data(), BackupKey::kKeyBytes), 0);
}

TEST(BackupKeyTest, GeneratingNeverOverwritesAKey) {
  testing::TempDir dir;
  const std::string path = dir.Join("backup.key");
  ASSERT_TRUE(GenerateKeyFile(path).ok());
  Result<BackupKey> again = GenerateKeyFile(path);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
}

TEST(BackupKeyTest, AKeyFileGroupOrOthersCanReadIsRefusedSayingSo) {
  for (const mode_t mode : {0644, 0640, 0604, 0660, 0610}) {
    testing::TempDir dir;
    const std::string path = dir.Join("backup.key");
    Result<BackupKey> made = GenerateKeyFile(path);
    ASSERT_TRUE(made.ok());
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    Result<BackupKey> loaded = LoadKeyFile(path);
    ASSERT_FALSE(loaded.ok()) << std::oct << mode;
    const std::string text = loaded.status().ToString();
    EXPECT_EQ(loaded.status().code(), StatusCode::kFailedPrecondition) << text;
    char octal[8];
    std::snprintf(octal, sizeof(octal), "%04o", static_cast<unsigned>(mode));
    EXPECT_NE(text.find(octal), std::string::npos) << text;
    EXPECT_NE(text.find("group or others"), std::string::npos) << text;
    EXPECT_NE(text.find(path), std::string::npos) << text;
    ExpectNoKeyIn(text, *made);
  }
}

TEST(BackupKeyTest, StricterModesAreAccepted) {
  for (const mode_t mode : {0400, 0600}) {
    testing::TempDir dir;
    const std::string path = dir.Join("backup.key");
    ASSERT_TRUE(GenerateKeyFile(path).ok());
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    EXPECT_TRUE(LoadKeyFile(path).ok()) << std::oct << mode;
  }
}

TEST(BackupKeyTest, AKeyFileOfTheWrongSizeIsRefusedWithoutShowingIt) {
  testing::TempDir dir;
  const std::string path = dir.Join("backup.key");
  Result<BackupKey> made = GenerateKeyFile(path);
  ASSERT_TRUE(made.ok());
  {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << "\n";  // a key file with a trailing newline, as an editor leaves it
  }
  Result<BackupKey> loaded = LoadKeyFile(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(loaded.status().ToString().find("33 bytes"), std::string::npos);
  ExpectNoKeyIn(loaded.status().ToString(), *made);
}

TEST(BackupKeyTest, AMissingKeyFileIsNotFound) {
  testing::TempDir dir;
  EXPECT_TRUE(LoadKeyFile(dir.Join("absent.key")).status().IsNotFound());
}

}  // namespace
}  // namespace crashdrill::system

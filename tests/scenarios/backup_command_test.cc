// `crashdrill backup ...` as an operator runs it, on real files: a state
// directory the engine wrote (`crashdrill trade`), a key file, full and
// incremental sets on a directory target, verify by test restore (the
// recovered state_seq is the one `inspect` finds in the original), restore,
// and the refusals with their exit codes: a tampered object (1, named), a key
// file others can read (2), a target that is not one (2).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "tests/scenarios/crashdrill_cli.h"
#include "tests/system/backup/s3rver.h"
#include "tests/support/temp_dir.h"

namespace crashdrill {
namespace {

// "recovered state_seq N" in `text`, or -1.
long long RecoveredSeq(const std::string& text) {
  std::smatch match;
  if (!std::regex_search(text, match, std::regex("recovered state_seq (\\d+)"))) return -1;
  return std::stoll(match[1]);
}

// "at state_seq N" of `crashdrill inspect`.
long long InspectedSeq(const std::string& text) {
  std::smatch match;
  if (!std::regex_search(text, match, std::regex("recovered from \\S+ at state_seq (\\d+)"))) {
    return -1;
  }
  return std::stoll(match[1]);
}

TEST(BackupCommandTest, CreateListVerifyRestoreAndRefuseWhatIsWrong) {
  testing::TempDir dir;
  const std::string state = dir.Join("state");
  const std::string key = dir.Join("key");
  const std::string target = "dir:" + dir.Join("backups");
  ASSERT_EQ(Crashdrill(dir, "trade1", {"trade", "--state-dir", state, "--seconds", "1"}).exit_code,
            0);
  Outcome keygen = Crashdrill(dir, "keygen", {"backup", "keygen", "--key-file", key});
  ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
  Outcome full = Crashdrill(dir, "full", {"backup", "create", "--state-dir", state, "--target",
                                          target, "--key-file", key, "--kind", "full"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_NE(full.out.find("(full)"), std::string::npos) << full.out;
  ASSERT_EQ(Crashdrill(dir, "trade2", {"trade", "--state-dir", state, "--seconds", "1"}).exit_code,
            0);
  const Outcome inspected = Crashdrill(dir, "inspect", {"inspect", state});
  const long long state_seq = InspectedSeq(inspected.out + inspected.err);
  ASSERT_GT(state_seq, 0) << inspected.out << inspected.err;
  Outcome incremental =
      Crashdrill(dir, "incremental", {"backup", "create", "--state-dir", state, "--target", target,
                                      "--key-file", key, "--kind", "incremental"});
  ASSERT_EQ(incremental.exit_code, 0) << incremental.err;
  EXPECT_NE(incremental.out.find("parent set-00000000000000000001"), std::string::npos);

  const Outcome list =
      Crashdrill(dir, "list", {"backup", "list", "--target", target, "--key-file", key});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("set-00000000000000000001   full"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("set-00000000000000000002   incremental"), std::string::npos);

  // Verify: restored into scratch and recovered, to the state the directory had.
  const Outcome verify =
      Crashdrill(dir, "verify", {"backup", "verify", "--target", target, "--key-file", key});
  ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(RecoveredSeq(verify.out), state_seq) << verify.out;
  const Outcome restore = Crashdrill(dir, "restore", {"backup", "restore", "--target", target,
                                                      "--key-file", key, "--out", dir.Join("r")});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  const Outcome restored_inspect = Crashdrill(dir, "inspect-r", {"inspect", dir.Join("r")});
  EXPECT_EQ(InspectedSeq(restored_inspect.out + restored_inspect.err), state_seq);

  // One byte of one object of the full changed: verify refuses, naming it.
  std::string object;
  for (const auto& entry : std::filesystem::directory_iterator(dir.Join("backups"))) {
    const std::string name = entry.path().filename();
    if (name.rfind("set-00000000000000000001.f", 0) == 0) object = entry.path();
  }
  ASSERT_FALSE(object.empty());
  {
    std::fstream file(object, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(100);
    char byte = 0;
    file.read(&byte, 1);
    file.seekp(100);
    byte ^= 0x20;
    file.write(&byte, 1);
  }
  const Outcome tampered =
      Crashdrill(dir, "tampered", {"backup", "verify", "--target", target, "--key-file", key,
                                   "--set", "set-00000000000000000001"});
  EXPECT_EQ(tampered.exit_code, 1) << tampered.out << tampered.err;
  EXPECT_NE(tampered.err.find("set-00000000000000000001"), std::string::npos) << tampered.err;

  // A key file others can read is refused, saying so.
  ASSERT_EQ(chmod(key.c_str(), 0644), 0);
  const Outcome open_key =
      Crashdrill(dir, "open-key", {"backup", "list", "--target", target, "--key-file", key});
  EXPECT_EQ(open_key.exit_code, 2);
  EXPECT_NE(open_key.err.find("group or others"), std::string::npos) << open_key.err;
  ASSERT_EQ(chmod(key.c_str(), 0600), 0);

  const Outcome bad_target =
      Crashdrill(dir, "bad-target", {"backup", "list", "--target", "ftp://x", "--key-file", key});
  EXPECT_EQ(bad_target.exit_code, 2);
  EXPECT_NE(bad_target.err.find("--target"), std::string::npos) << bad_target.err;
  const Outcome bad_kind = Crashdrill(dir, "bad-kind", {"backup", "create", "--state-dir", state,
                                                        "--target", target, "--key-file", key,
                                                        "--kind", "weekly"});
  EXPECT_EQ(bad_kind.exit_code, 2);
  EXPECT_NE(bad_kind.err.find("--kind"), std::string::npos) << bad_kind.err;
}

// The same commands on an S3 target (s3rver on loopback, as the backup
// library's tests use it): endpoint and keys from the environment, as the
// AWS tools read them; a set taken from a real state directory lists,
// verifies by test restore and restores.
TEST(BackupCommandTest, AnS3TargetTakesTheSameCommands) {
  if (const std::string skip = testing::S3SkipReason(); !skip.empty()) GTEST_SKIP() << skip;
  testing::S3rver server;
  const system::Status started = server.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  testing::TempDir dir;
  const std::string state = dir.Join("state");
  const std::string key = dir.Join("key");
  const std::string target = std::string("s3://") + testing::kS3Bucket + "/nightly";
  ASSERT_EQ(setenv("AWS_ENDPOINT_URL", server.endpoint().c_str(), 1), 0);
  ASSERT_EQ(setenv("AWS_ACCESS_KEY_ID", testing::kS3rverKeyId, 1), 0);
  ASSERT_EQ(setenv("AWS_SECRET_ACCESS_KEY", testing::kS3rverSecret, 1), 0);
  ASSERT_EQ(Crashdrill(dir, "trade", {"trade", "--state-dir", state, "--seconds", "1"}).exit_code,
            0);
  ASSERT_EQ(Crashdrill(dir, "keygen", {"backup", "keygen", "--key-file", key}).exit_code, 0);
  const Outcome full = Crashdrill(dir, "full", {"backup", "create", "--state-dir", state,
                                                "--target", target, "--key-file", key});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  const Outcome list =
      Crashdrill(dir, "list", {"backup", "list", "--target", target, "--key-file", key});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("set-00000000000000000001   full"), std::string::npos) << list.out;
  const Outcome inspected = Crashdrill(dir, "inspect", {"inspect", state});
  const Outcome verify =
      Crashdrill(dir, "verify", {"backup", "verify", "--target", target, "--key-file", key});
  ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(RecoveredSeq(verify.out), InspectedSeq(inspected.out + inspected.err)) << verify.out;
  const Outcome bad_bucket = Crashdrill(
      dir, "bad-bucket", {"backup", "list", "--target", "s3://", "--key-file", key});
  EXPECT_EQ(bad_bucket.exit_code, 2) << bad_bucket.err;
  unsetenv("AWS_ENDPOINT_URL");
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
}

}  // namespace
}  // namespace crashdrill

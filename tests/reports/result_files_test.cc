// Result files: a damaged or truncated file is refused with its name; a
// report is written whole or not at all, and a failed write names its step.
#include "reports/result_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/reports/result_test_support.h"
#include "tests/support/temp_dir.h"

namespace crashdrill::reports {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void Put(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(ResultFilesTest, AResultFileReadsBackToTheResultWritten) {
  crashdrill::testing::TempDir dir;
  const ResultRecord run = testing::MadeUpRun(5, {0, 1});
  ASSERT_EQ(WriteFileAtomically(dir.Join("result.json"), ResultFileText(ToJson(run))),
            std::nullopt);
  const Checked<ResultRecord> read = ReadResultFile(dir.Join("result.json"));
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(ToJson(*read), ToJson(run));
}

TEST(ResultFilesTest, ATruncatedFileIsRefusedWithItsNameAndTheByte) {
  crashdrill::testing::TempDir dir;
  const std::string text = ResultFileText(ToJson(testing::MadeUpRun(5, {0, 1})));
  Put(dir.Join("cut.json"), text.substr(0, text.size() / 2));
  const Checked<ResultRecord> read = ReadResultFile(dir.Join("cut.json"));
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(read.error().starts_with(dir.Join("cut.json") +
                                       ": not a complete JSON document (truncated?): byte "))
      << read.error();
}

TEST(ResultFilesTest, AFieldRefusalNamesTheFile) {
  crashdrill::testing::TempDir dir;
  nlohmann::json result = ToJson(testing::MadeUpRun(5, {0, 1}));
  result["scenarios"][0].erase("samples_ms");
  Put(dir.Join("old.json"), result.dump());
  const Checked<ResultRecord> read = ReadResultFile(dir.Join("old.json"));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error(), dir.Join("old.json") + ": field 'scenarios[0].samples_ms' is missing");
}

TEST(ResultFilesTest, AMissingFileIsRefusedWithItsName) {
  const Checked<nlohmann::json> read = ReadJsonFile("/nonexistent/result.json");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error(), "/nonexistent/result.json: cannot be opened: No such file or directory");
}

TEST(ResultFilesTest, AnAtomicWriteReplacesTheWholeFileAndLeavesNoTemporary) {
  crashdrill::testing::TempDir dir;
  Put(dir.Join("merged.json"), "an older and much longer merged result\n");
  ASSERT_EQ(WriteFileAtomically(dir.Join("merged.json"), "{}\n"), std::nullopt);
  EXPECT_EQ(Slurp(dir.Join("merged.json")), "{}\n");
  EXPECT_FALSE(std::filesystem::exists(dir.Join("merged.json.tmp")));
}

TEST(ResultFilesTest, AFailedAtomicWriteNamesItsStep) {
  crashdrill::testing::TempDir dir;
  const std::string path = dir.Join("no-such-dir/merged.json");
  EXPECT_EQ(WriteFileAtomically(path, "{}\n"),
            path + ".tmp: step 'create temp file' failed: No such file or directory");
  // A directory in the way of the rename: the temporary file is removed.
  std::filesystem::create_directories(dir.Join("taken/inside"));
  EXPECT_EQ(WriteFileAtomically(dir.Join("taken"), "{}\n"),
            dir.Join("taken") + ": step 'rename into place' failed: Is a directory");
  EXPECT_FALSE(std::filesystem::exists(dir.Join("taken.tmp")));
}

}  // namespace
}  // namespace crashdrill::reports

#include "system/io/status.h"

#include <cerrno>

#include <gtest/gtest.h>

#include "system/io/result.h"

namespace crashdrill::system {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kOk);
  EXPECT_EQ(status.ToString(), "ok");
}

TEST(StatusTest, FromErrnoMapsFullDiskToNoSpaceAndNamesPath) {
  Status status = Status::FromErrno(ENOSPC, "write", "/state/l2/tmp");
  EXPECT_TRUE(status.IsNoSpace());
  EXPECT_EQ(status.error_number(), ENOSPC);
  EXPECT_EQ(status.path(), "/state/l2/tmp");
  EXPECT_EQ(status.operation(), "write");
  EXPECT_NE(status.ToString().find("/state/l2/tmp"), std::string::npos);
}

TEST(StatusTest, FromErrnoMapsMissingFileToNotFound) {
  EXPECT_TRUE(Status::FromErrno(ENOENT, "open", "x").IsNotFound());
  EXPECT_EQ(Status::FromErrno(EIO, "sync", "x").code(), StatusCode::kIoError);
}

TEST(StatusTest, CorruptionNamesFieldAndOffset) {
  Status status = Status::Corruption("ckpt", 42, "trading.state_seq", "truncated");
  EXPECT_TRUE(status.IsCorruption());
  EXPECT_EQ(status.offset(), 42);
  EXPECT_EQ(status.field(), "trading.state_seq");
  const std::string text = status.ToString();
  EXPECT_NE(text.find("offset 42"), std::string::npos) << text;
  EXPECT_NE(text.find("trading.state_seq"), std::string::npos) << text;
}

TEST(StatusTest, InjectedFlagSurvivesCopy) {
  Status status = Status::FromErrno(EIO, "read", "f");
  status.MarkInjected();
  Status copy = status;
  EXPECT_TRUE(copy.injected());
  EXPECT_NE(copy.ToString().find("[injected]"), std::string::npos);
}

Result<int> Half(int value) {
  if (value % 2 != 0) return Status::InvalidArgument("half", "odd value");
  return value / 2;
}

Result<int> Quarter(int value) {
  CD_ASSIGN_OR_RETURN(int half, Half(value));
  CD_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(ResultTest, AssignOrReturnPropagatesFirstError) {
  ASSERT_TRUE(Quarter(8).ok());
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> odd = Quarter(6);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace crashdrill::system

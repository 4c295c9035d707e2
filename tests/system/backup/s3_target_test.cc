// S3Target against a real S3 server (s3rver): objects round-trip under a
// prefix that needs URL-encoding, List follows continuation tokens, transient
// failures are retried a bounded number of times and a 4xx never, and no
// error ever carries the credentials.
#include "system/backup/s3_target.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "tests/system/backup/s3rver.h"

namespace crashdrill::system {
namespace {

using testing::S3rver;

std::vector<std::byte> Bytes(size_t size, uint8_t seed) {
  std::vector<std::byte> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = std::byte(static_cast<uint8_t>(seed + i * 31));
  return bytes;
}

class S3TargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::S3SkipReason().empty()) GTEST_SKIP() << testing::S3SkipReason();
    const Status started = server_.Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }
  // An open target on the server; backoffs are counted in retries_.
  std::unique_ptr<S3Target> Target(S3Options options) {
    auto target = std::make_unique<S3Target>(std::move(options));
    const Status opened = target->Open();
    EXPECT_TRUE(opened.ok()) << opened.ToString();
    return target;
  }
  std::unique_ptr<S3Target> Target(const std::string& prefix) {
    return Target(server_.Options(prefix, &retries_));
  }

  S3rver server_;
  int retries_ = 0;
};

TEST_F(S3TargetTest, ObjectsRoundTripUnderAPrefixThatNeedsUrlEncoding) {
  const std::string prefix = "backups & co/run+1 \xC3\xA4=?#%;<x>/";
  auto target = Target(prefix);
  const std::map<std::string, std::vector<std::byte>> objects = {
      {"empty", {}}, {"set-000001.manifest", Bytes(100, 1)}, {"big_file.obj", Bytes(3 << 20, 7)}};
  for (const auto& [name, bytes] : objects) ASSERT_TRUE(target->Put(name, bytes).ok()) << name;
  for (const auto& [name, bytes] : objects) {
    Result<std::vector<std::byte>> got = target->Get(name);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(*got == bytes) << name;
  }
  Result<std::vector<std::string>> names = target->List();
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, (std::vector<std::string>{"big_file.obj", "empty", "set-000001.manifest"}));
  ASSERT_TRUE(target->Delete("empty").ok());
  names = target->List();
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"big_file.obj", "set-000001.manifest"}));
  EXPECT_EQ(retries_, 0);
}

TEST_F(S3TargetTest, ListFollowsContinuationTokensAndStaysInsideItsPrefix) {
  S3Options options = server_.Options("paged/", &retries_);
  options.list_page_keys_max = 2;  // 7 objects: 4 pages
  auto target = Target(std::move(options));
  auto neighbour = Target("paged-not/");  // shares the "paged" spelling, not the prefix
  ASSERT_TRUE(neighbour->Put("other", Bytes(3, 0)).ok());
  std::vector<std::string> expected;
  for (int i = 0; i < 7; ++i) {
    expected.push_back("object-" + std::to_string(i));
    ASSERT_TRUE(target->Put(expected.back(), Bytes(10, static_cast<uint8_t>(i))).ok());
  }
  Result<std::vector<std::string>> names = target->List();
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, expected);
}

TEST_F(S3TargetTest, GetOfAMissingObjectIsNotFoundNamingBucketAndKey) {
  auto target = Target("p/");
  const Result<std::vector<std::byte>> got = target->Get("absent");
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(got.status().IsNotFound()) << got.status().ToString();
  const std::string text = got.status().ToString();
  EXPECT_NE(text.find("s3://crashdrill-backups/p/absent"), std::string::npos) << text;
  EXPECT_NE(text.find("HTTP 404"), std::string::npos) << text;
  EXPECT_EQ(retries_, 0);
}

TEST_F(S3TargetTest, DeleteOfAMissingObjectIsOk) {
  auto target = Target("p/");
  EXPECT_TRUE(target->Delete("absent").ok());
}

TEST_F(S3TargetTest, AStoppedServerFailsEveryOperationNamingTheEndpointAfterBoundedRetries) {
  auto target = Target("p/");
  ASSERT_TRUE(target->Put("before", Bytes(5, 1)).ok());
  server_.Stop();
  const std::vector<Status> failed = {target->Put("after", Bytes(5, 2)),
                                      target->Get("before").status(), target->List().status(),
                                      target->Delete("before")};
  for (const Status& status : failed) {
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
    const std::string text = status.ToString();
    EXPECT_NE(text.find(server_.endpoint()), std::string::npos) << text;
    EXPECT_NE(text.find("after 3 attempts"), std::string::npos) << text;
  }
  EXPECT_NE(failed[0].ToString().find("s3 put s3://crashdrill-backups/p/after"), std::string::npos)
      << failed[0].ToString();
  EXPECT_NE(failed[1].ToString().find("s3 get s3://crashdrill-backups/p/before"), std::string::npos)
      << failed[1].ToString();
  EXPECT_EQ(retries_, 4 * 2);  // attempts_max 3: two retries each
}

TEST_F(S3TargetTest, AnUnknownAccessKeyIdIsRefusedWith403AndNotRetried) {
  S3Options options = server_.Options("p/", &retries_);
  options.access_key_id = "NOSUCHKEYID1234";
  auto target = Target(std::move(options));
  const Status put = target->Put("x", Bytes(5, 1));
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.code(), StatusCode::kFailedPrecondition) << put.ToString();
  EXPECT_NE(put.ToString().find("HTTP 403 InvalidAccessKeyId"), std::string::npos)
      << put.ToString();
  EXPECT_NE(put.ToString().find("after 1 attempt"), std::string::npos) << put.ToString();
  EXPECT_FALSE(target->List().ok());
  EXPECT_EQ(retries_, 0);
}

TEST_F(S3TargetTest, NoErrorCarriesTheKeyIdOrTheSecret) {
  const std::string secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
  const std::string key_id = "AKIDUNKNOWN77";
  S3Options refused = server_.Options("p/", &retries_);
  refused.access_key_id = key_id;
  refused.secret_access_key = secret;
  S3Options accepted = server_.Options("p/", &retries_);  // s3rver checks no signature
  accepted.secret_access_key = secret;
  auto refused_target = Target(std::move(refused));
  auto accepted_target = Target(std::move(accepted));
  std::vector<Status> errors;
  for (S3Target* target : {refused_target.get(), accepted_target.get()}) {
    errors.push_back(target->Put("x", Bytes(5, 1)));
    errors.push_back(target->Get("absent").status());
    errors.push_back(target->List().status());
    errors.push_back(target->Delete("x"));
  }
  server_.Stop();
  errors.push_back(accepted_target->Put("x", Bytes(5, 1)));
  errors.push_back(accepted_target->Get("x").status());
  size_t failures = 0;
  for (const Status& status : errors) {
    if (status.ok()) continue;
    ++failures;
    const std::string text = status.ToString();
    EXPECT_EQ(text.find(secret), std::string::npos) << text;
    EXPECT_EQ(text.find(key_id), std::string::npos) << text;
  }
  EXPECT_GE(failures, 7u);
  EXPECT_EQ(accepted_target->Describe().find(secret), std::string::npos);
}

// Restores an environment variable when the test ends.
class ScopedEnvironment {
 public:
  explicit ScopedEnvironment(const char* name) : name_(name) {
    if (const char* value = getenv(name)) saved_ = value;
  }
  ~ScopedEnvironment() {
    if (saved_) {
      setenv(name_, saved_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

TEST_F(S3TargetTest, CredentialsComeFromTheEnvironmentByDefault) {
  ScopedEnvironment key_id("AWS_ACCESS_KEY_ID"), secret("AWS_SECRET_ACCESS_KEY");
  S3Options options = server_.Options("p/", &retries_);
  options.access_key_id.clear();
  options.secret_access_key.clear();
  setenv("AWS_ACCESS_KEY_ID", testing::kS3rverKeyId, 1);
  setenv("AWS_SECRET_ACCESS_KEY", "from-the-environment", 1);
  auto target = Target(options);
  EXPECT_TRUE(target->Put("x", Bytes(5, 1)).ok());
  unsetenv("AWS_ACCESS_KEY_ID");
  S3Target missing(options);
  const Status opened = missing.Open();
  EXPECT_EQ(opened.code(), StatusCode::kFailedPrecondition) << opened.ToString();
  EXPECT_NE(opened.ToString().find("AWS_ACCESS_KEY_ID"), std::string::npos) << opened.ToString();
}

TEST(S3TargetRetryTest, FiveHundredsAreTransientAndFourHundredsAreNot) {
  for (long status : {500L, 502L, 503L, 504L}) EXPECT_TRUE(S3StatusIsTransient(status)) << status;
  for (long status : {400L, 401L, 403L, 404L, 409L, 429L}) {
    EXPECT_FALSE(S3StatusIsTransient(status)) << status;
  }
}

TEST(S3UrlTest, BucketAndPrefixAreSplitAndThePrefixEndsWithASlash) {
  Result<S3Location> location = ParseS3Url("s3://my-bucket.prod/nightly/engine-1");
  ASSERT_TRUE(location.ok()) << location.status().ToString();
  EXPECT_EQ(location->bucket, "my-bucket.prod");
  EXPECT_EQ(location->prefix, "nightly/engine-1/");
  location = ParseS3Url("s3://bucket");
  ASSERT_TRUE(location.ok());
  EXPECT_EQ(location->prefix, "");
  location = ParseS3Url("s3://bucket/");
  ASSERT_TRUE(location.ok());
  EXPECT_EQ(location->prefix, "");
}

TEST(S3UrlTest, MalformedUrlsAreRefusedSayingWhy) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"bucket/prefix", "does not start with s3://"},
      {"https://bucket/prefix", "does not start with s3://"},
      {"s3://", "names no bucket"},
      {"s3:///prefix", "names no bucket"},
      {"s3://My_Bucket/x", "not a valid S3 bucket name"},
      {"s3://ab/x", "not a valid S3 bucket name"},
      {"s3://-bucket/x", "not a valid S3 bucket name"},
  };
  for (const auto& [url, why] : cases) {
    const Result<S3Location> location = ParseS3Url(url);
    ASSERT_FALSE(location.ok()) << url;
    EXPECT_EQ(location.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(location.status().ToString().find(why), std::string::npos)
        << location.status().ToString();
  }
}

}  // namespace
}  // namespace crashdrill::system

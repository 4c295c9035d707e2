// S3Target: backup objects in an S3 bucket (AWS or any S3-compatible server),
// over libcurl. Signing is libcurl's (CURLOPT_AWS_SIGV4); this file builds
// URLs, reads answers and decides what to retry, nothing more.
//
// Contract (BackupTarget): Put is one PUT, which S3 makes atomic (the object
// is whole or absent, never a prefix); S3's read-after-write consistency makes
// Put, Delete and List durable and ordered when they return. Transient
// failures (no connection, a timeout, HTTP 5xx) are retried a bounded number
// of times with a doubling backoff; a 4xx is an answer and is never retried.
// Every error names the operation, s3://bucket/key, the endpoint and the HTTP
// status or curl's error text — never the access key id or the secret.
// One thread at a time per S3Target.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "system/backup/backup_target.h"

namespace crashdrill::system {

// "s3://BUCKET/PREFIX" of a command line, split.
struct S3Location {
  std::string bucket;
  std::string prefix;  // "" or ends with '/'
};

// kInvalidArgument naming what is wrong: no s3:// scheme, no bucket, or a
// bucket name S3 would refuse (3-63 of [a-z0-9.-], starting and ending with a
// letter or digit).
Result<S3Location> ParseS3Url(std::string_view url);

struct S3Options {
  std::string endpoint;  // "https://s3.eu-west-1.amazonaws.com", "http://127.0.0.1:4568"
  std::string bucket;
  // Put in front of every object name; a '/' is added when it lacks one.
  // Any characters: keys are URL-encoded.
  std::string prefix;
  std::string region = "us-east-1";
  // Empty: read from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY at Open().
  std::string access_key_id;
  std::string secret_access_key;
  // http://endpoint/bucket/key (S3-compatible servers) instead of
  // http://bucket.endpoint/key.
  bool path_style = true;
  int64_t connect_timeout_ms = 5'000;
  int64_t request_timeout_ms = 120'000;  // the whole request, body included
  int attempts_max = 4;                  // tries of one request, first included
  int64_t backoff_ms_first = 200;        // before the first retry; doubles after
  int64_t backoff_ms_max = 5'000;
  int list_page_keys_max = 1000;  // max-keys of one ListObjectsV2 page (S3: at most 1000)
  // Waits `backoff_ns` before a retry. Empty: really sleeps. Tests count retries here.
  std::function<void(int64_t backoff_ns)> backoff_wait;
};

// True for an HTTP status worth another try: 5xx. A 4xx is never retried.
bool S3StatusIsTransient(long http_status);

class S3Target final : public BackupTarget {
 public:
  explicit S3Target(S3Options options);
  ~S3Target() override;
  S3Target(const S3Target&) = delete;
  S3Target& operator=(const S3Target&) = delete;

  // Checks the options and finds the credentials (kFailedPrecondition naming
  // the missing environment variable). Makes no request. REQUIRES: before
  // any other call.
  Status Open();

  Status Put(const std::string& name, ByteSpan bytes) override;
  Result<std::vector<std::byte>> Get(const std::string& name) override;
  // Follows continuation tokens; keys under the prefix that are not valid
  // object names (ValidObjectName) are not listed.
  Result<std::vector<std::string>> List() override;
  Status Delete(const std::string& name) override;
  // "s3://bucket/prefix/ at http://127.0.0.1:4568"
  std::string Describe() const override;

 private:
  struct Request;
  struct Response;
  Result<Response> PerformOnce(const Request& request);
  Result<Response> Perform(const Request& request);
  std::string ObjectUrl(std::string_view key) const;
  std::string BucketUrl() const;
  std::string S3Path(std::string_view key) const;  // "s3://bucket/key"
  Status HttpError(const Request& request, const Response& response) const;

  S3Options options_;
  std::string endpoint_;  // without a trailing '/'
  std::unique_ptr<void, void (*)(void*)> curl_;
};

}  // namespace crashdrill::system

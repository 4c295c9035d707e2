#include "system/backup/s3_target.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "system/backup/s3_xml.h"
#include "system/io/clock.h"

namespace crashdrill::system {
namespace {

// A bound on the pages of one List: 10^6 pages of up to 1000 keys.
constexpr int kListPagesMax = 1'000'000;
// SHA-256 of no bytes: the payload hash of GET, DELETE and LIST (S3 also
// accepts UNSIGNED-PAYLOAD; a real hash costs nothing here).
constexpr char kEmptyPayloadSha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// RFC 3986 percent-encoding as S3 wants it: unreserved characters stay, every
// other byte is %XX (upper case); '/' stays in a path, not in a query value.
std::string UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

std::string Sha256Hex(ByteSpan bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  return hex;
}

// Failures of the connection, not answers of the server: worth another try.
bool CurlErrorIsTransient(int code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return true;
    default:
      return false;
  }
}

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

struct UploadCursor {
  ByteSpan bytes;
  size_t offset = 0;
};

size_t ReadUpload(char* out, size_t size, size_t count, void* user) {
  auto* cursor = static_cast<UploadCursor*>(user);
  const size_t n = std::min(size * count, cursor->bytes.size() - cursor->offset);
  std::memcpy(out, cursor->bytes.data() + cursor->offset, n);
  cursor->offset += n;
  return n;
}

void SleepFor(int64_t ns) {
  timespec remaining{.tv_sec = ns / kNanosPerSecond, .tv_nsec = ns % kNanosPerSecond};
  while (nanosleep(&remaining, &remaining) != 0) {
  }
}

Status GlobalInit() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) {
    return Status::Error(StatusCode::kInternal, "s3 open", "curl_global_init",
                         curl_easy_strerror(result));
  }
  if (sodium_init() < 0) {
    return Status::Error(StatusCode::kInternal, "s3 open", "sodium_init", "libsodium failed");
  }
  return Status::Ok();
}

// Reads `variable` into `value` unless already set.
Status CredentialFromEnvironment(std::string& value, const char* variable) {
  if (!value.empty()) return Status::Ok();
  const char* from_environment = std::getenv(variable);
  if (from_environment == nullptr || *from_environment == '\0') {
    return Status::Error(StatusCode::kFailedPrecondition, "s3 open", variable,
                         "no credential given and the environment variable is unset");
  }
  value = from_environment;
  return Status::Ok();
}

bool ValidBucketName(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(bucket.front()) || !alnum(bucket.back())) return false;
  return std::all_of(bucket.begin(), bucket.end(),
                     [&](char c) { return alnum(c) || c == '.' || c == '-'; });
}

}  // namespace

struct S3Target::Request {
  std::string_view operation;  // "s3 put"
  const char* method;          // "PUT", "GET", "DELETE"
  std::string url;
  std::string s3_path;  // for errors: "s3://bucket/key"
  ByteSpan body;        // uploaded when `upload`
  bool upload = false;
};

struct S3Target::Response {
  int curl_code = CURLE_OK;  // not OK: no HTTP answer came
  std::string curl_error;
  long http_status = 0;
  std::string body;
  int attempts = 0;
};

bool S3StatusIsTransient(long http_status) { return http_status >= 500 && http_status <= 599; }

Result<S3Location> ParseS3Url(std::string_view url) {
  constexpr std::string_view kScheme = "s3://";
  if (!url.starts_with(kScheme)) {
    return Status::InvalidArgument("parse s3 url",
                                   fmt::format("'{}' does not start with s3://", url));
  }
  const std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  S3Location location;
  location.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) location.prefix = std::string(rest.substr(slash + 1));
  if (location.bucket.empty()) {
    return Status::InvalidArgument("parse s3 url", fmt::format("'{}' names no bucket", url));
  }
  if (!ValidBucketName(location.bucket)) {
    return Status::InvalidArgument(
        "parse s3 url", fmt::format("bucket '{}' of '{}' is not a valid S3 bucket name (3-63 of "
                                    "a-z, 0-9, '.' and '-', starting and ending with a letter "
                                    "or digit)",
                                    location.bucket, url));
  }
  if (!location.prefix.empty() && !location.prefix.ends_with('/')) location.prefix += '/';
  return location;
}

S3Target::S3Target(S3Options options)
    : options_(std::move(options)), curl_(nullptr, [](void* curl) { curl_easy_cleanup(curl); }) {
  endpoint_ = options_.endpoint;
  while (endpoint_.ends_with('/')) endpoint_.pop_back();
  if (!options_.prefix.empty() && !options_.prefix.ends_with('/')) options_.prefix += '/';
}

S3Target::~S3Target() {
  sodium_memzero(options_.secret_access_key.data(), options_.secret_access_key.size());
}

Status S3Target::Open() {
  const auto invalid = [](std::string_view message) {
    return Status::InvalidArgument("s3 open", message);
  };
  if (!endpoint_.starts_with("http://") && !endpoint_.starts_with("https://")) {
    return invalid(fmt::format("endpoint '{}' is not an http:// or https:// URL", endpoint_));
  }
  if (options_.bucket.empty()) return invalid("no bucket");
  if (options_.attempts_max < 1) return invalid("attempts_max must be at least 1");
  if (options_.list_page_keys_max < 1 || options_.list_page_keys_max > 1000) {
    return invalid("list_page_keys_max must be in 1..1000");
  }
  CD_RETURN_IF_ERROR(CredentialFromEnvironment(options_.access_key_id, "AWS_ACCESS_KEY_ID"));
  CD_RETURN_IF_ERROR(
      CredentialFromEnvironment(options_.secret_access_key, "AWS_SECRET_ACCESS_KEY"));
  // CURLOPT_USERPWD splits at the first ':'; a secret may hold one, a key id not.
  if (options_.access_key_id.find(':') != std::string::npos) {
    return invalid("the access key id contains ':'");
  }
  CD_RETURN_IF_ERROR(GlobalInit());
  curl_.reset(curl_easy_init());
  if (!curl_) return Status::Error(StatusCode::kInternal, "s3 open", "", "curl_easy_init failed");
  return Status::Ok();
}

std::string S3Target::Describe() const {
  return fmt::format("s3://{}/{} at {}", options_.bucket, options_.prefix, endpoint_);
}

std::string S3Target::S3Path(std::string_view key) const {
  return fmt::format("s3://{}/{}", options_.bucket, key);
}

std::string S3Target::BucketUrl() const {
  if (options_.path_style) return endpoint_ + "/" + UriEncode(options_.bucket, false);
  const size_t host = endpoint_.find("://") + 3;
  return endpoint_.substr(0, host) + options_.bucket + "." + endpoint_.substr(host);
}

std::string S3Target::ObjectUrl(std::string_view key) const {
  return BucketUrl() + "/" + UriEncode(key, true);
}

Result<S3Target::Response> S3Target::PerformOnce(const Request& request) {
  CURL* curl = curl_.get();
  if (curl == nullptr) {
    return Status::Error(StatusCode::kFailedPrecondition, request.operation, request.s3_path,
                         "the S3 target is not open");
  }
  curl_easy_reset(curl);
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(nullptr, curl_slist_free_all);
  const auto add_header = [&](const std::string& header) {
    curl_slist* appended = curl_slist_append(headers.get(), header.c_str());
    if (appended == nullptr) return false;
    if (!headers) headers.reset(appended);  // later appends return the same head
    return true;
  };
  const std::string payload_sha256 = request.upload ? Sha256Hex(request.body) : kEmptyPayloadSha256;
  bool headers_ok = add_header("x-amz-content-sha256: " + payload_sha256);
  if (request.upload) {
    headers_ok = headers_ok && add_header("Content-Type: application/octet-stream") &&
                 add_header("Expect:");  // no 100-continue round trip
  }
  if (!headers_ok) {
    return Status::Error(StatusCode::kInternal, request.operation, request.s3_path,
                         "curl_slist_append failed");
  }
  const std::string sigv4 = "aws:amz:" + options_.region + ":s3";
  std::string credentials = options_.access_key_id + ":" + options_.secret_access_key;
  Response response;
  UploadCursor cursor{.bytes = request.body};
  char error_text[CURL_ERROR_SIZE] = {};
  CURLcode set = CURLE_OK;
  const auto option = [&](CURLoption name, auto value) {
    if (set == CURLE_OK) set = curl_easy_setopt(curl, name, value);
  };
  option(CURLOPT_URL, request.url.c_str());
  option(CURLOPT_PROTOCOLS_STR, "http,https");
  option(CURLOPT_NOSIGNAL, 1L);
  option(CURLOPT_ERRORBUFFER, error_text);
  option(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  option(CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout_ms));
  option(CURLOPT_AWS_SIGV4, sigv4.c_str());
  option(CURLOPT_USERPWD, credentials.c_str());
  option(CURLOPT_HTTPHEADER, headers.get());
  option(CURLOPT_WRITEFUNCTION, AppendBody);
  option(CURLOPT_WRITEDATA, &response.body);
  if (request.upload) {
    option(CURLOPT_UPLOAD, 1L);
    option(CURLOPT_READFUNCTION, ReadUpload);
    option(CURLOPT_READDATA, &cursor);
    option(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else {
    option(CURLOPT_CUSTOMREQUEST, request.method);
  }
  sodium_memzero(credentials.data(), credentials.size());  // curl keeps its own copy
  if (set != CURLE_OK) {
    return Status::Error(StatusCode::kInternal, request.operation, request.s3_path,
                         fmt::format("curl_easy_setopt: {}", curl_easy_strerror(set)));
  }
  const CURLcode performed = curl_easy_perform(curl);
  response.curl_code = performed;
  if (performed != CURLE_OK) {
    response.curl_error = error_text[0] != '\0' ? error_text : curl_easy_strerror(performed);
    return response;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.http_status);
  return response;
}

Result<S3Target::Response> S3Target::Perform(const Request& request) {
  int64_t backoff_ms = options_.backoff_ms_first;
  for (int attempt = 1;; ++attempt) {
    CD_ASSIGN_OR_RETURN(Response response, PerformOnce(request));
    response.attempts = attempt;
    const bool transient = response.curl_code != CURLE_OK
                               ? CurlErrorIsTransient(response.curl_code)
                               : S3StatusIsTransient(response.http_status);
    if (!transient || attempt >= options_.attempts_max) return response;
    const int64_t backoff_ns = backoff_ms * kNanosPerMilli;
    if (options_.backoff_wait) {
      options_.backoff_wait(backoff_ns);
    } else {
      SleepFor(backoff_ns);
    }
    backoff_ms = std::min(backoff_ms * 2, options_.backoff_ms_max);
  }
}

// OK for a 2xx answer; otherwise the error, naming the operation, the object,
// the endpoint and what went wrong (never the credentials).
Status S3Target::HttpError(const Request& request, const Response& response) const {
  const std::string attempts =
      fmt::format("{} attempt{}", response.attempts, response.attempts == 1 ? "" : "s");
  if (response.curl_code != CURLE_OK) {
    return Status::Error(StatusCode::kUnavailable, request.operation, request.s3_path,
                         fmt::format("no answer from {}: {} (curl error {}), after {}", endpoint_,
                                     response.curl_error, response.curl_code, attempts));
  }
  const long http = response.http_status;
  if (http >= 200 && http <= 299) return Status::Ok();
  const S3ErrorBody body = ParseS3Error(response.body);
  const StatusCode code = http == 404                 ? StatusCode::kNotFound
                          : S3StatusIsTransient(http) ? StatusCode::kUnavailable
                                                      : StatusCode::kFailedPrecondition;
  std::string what = fmt::format("HTTP {}", http);
  if (!body.code.empty()) what += " " + body.code;
  if (!body.message.empty()) what += ": " + body.message;
  return Status::Error(code, request.operation, request.s3_path,
                       fmt::format("{} from {}, after {}", what, endpoint_, attempts));
}

Status S3Target::Put(const std::string& name, ByteSpan bytes) {
  if (!ValidObjectName(name)) return Status::InvalidArgument("s3 put", name);
  const std::string key = options_.prefix + name;
  const Request request{.operation = "s3 put",
                        .method = "PUT",
                        .url = ObjectUrl(key),
                        .s3_path = S3Path(key),
                        .body = bytes,
                        .upload = true};
  CD_ASSIGN_OR_RETURN(const Response response, Perform(request));
  return HttpError(request, response);
}

Result<std::vector<std::byte>> S3Target::Get(const std::string& name) {
  if (!ValidObjectName(name)) return Status::InvalidArgument("s3 get", name);
  const std::string key = options_.prefix + name;
  const Request request{
      .operation = "s3 get", .method = "GET", .url = ObjectUrl(key), .s3_path = S3Path(key)};
  CD_ASSIGN_OR_RETURN(const Response response, Perform(request));
  CD_RETURN_IF_ERROR(HttpError(request, response));
  const auto* begin = reinterpret_cast<const std::byte*>(response.body.data());
  return std::vector<std::byte>(begin, begin + response.body.size());
}

Status S3Target::Delete(const std::string& name) {
  if (!ValidObjectName(name)) return Status::InvalidArgument("s3 delete", name);
  const std::string key = options_.prefix + name;
  const Request request{
      .operation = "s3 delete", .method = "DELETE", .url = ObjectUrl(key), .s3_path = S3Path(key)};
  CD_ASSIGN_OR_RETURN(const Response response, Perform(request));
  Status deleted = HttpError(request, response);
  return deleted.IsNotFound() ? Status::Ok() : deleted;  // S3 itself says 204 when absent
}

Result<std::vector<std::string>> S3Target::List() {
  std::vector<std::string> names;
  std::string token;
  std::string previous_key;
  for (int page = 1;; ++page) {
    if (page > kListPagesMax) {
      return Status::Error(StatusCode::kInternal, "s3 list", S3Path(options_.prefix),
                           fmt::format("more than {} pages", kListPagesMax));
    }
    // Query parameters in the order SigV4's canonical request sorts them.
    std::string query = token.empty() ? "" : "continuation-token=" + UriEncode(token, false) + "&";
    query += fmt::format("list-type=2&max-keys={}&prefix={}", options_.list_page_keys_max,
                         UriEncode(options_.prefix, false));
    const Request request{.operation = "s3 list",
                          .method = "GET",
                          .url = BucketUrl() + "?" + query,
                          .s3_path = S3Path(options_.prefix)};
    CD_ASSIGN_OR_RETURN(const Response response, Perform(request));
    CD_RETURN_IF_ERROR(HttpError(request, response));
    CD_ASSIGN_OR_RETURN(
        const S3ListPage parsed,
        ParseS3ListPage(response.body, fmt::format("{} list page {}", request.s3_path, page)));
    for (const std::string& key : parsed.keys) {
      // S3 lists in ascending key order across pages: a key that does not
      // follow the last one means the pages do not continue each other.
      if (!previous_key.empty() && key <= previous_key) {
        return Status::Error(StatusCode::kCorruption, "s3 list", request.s3_path,
                             fmt::format("{} listed key '{}' after '{}' on page {}", endpoint_, key,
                                         previous_key, page));
      }
      previous_key = key;
      if (!key.starts_with(options_.prefix)) continue;
      std::string name = key.substr(options_.prefix.size());
      if (ValidObjectName(name)) names.push_back(std::move(name));
    }
    if (!parsed.is_truncated) break;
    if (parsed.next_continuation_token == token) {
      return Status::Error(
          StatusCode::kCorruption, "s3 list", request.s3_path,
          fmt::format("{} repeated continuation token on page {}", endpoint_, page));
    }
    token = parsed.next_continuation_token;
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace crashdrill::system

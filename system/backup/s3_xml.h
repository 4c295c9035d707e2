// The few parts of S3's XML answers the S3 target reads: the keys and the
// continuation of a ListObjectsV2 page, and the code and message of an error.
// Not an XML parser: it finds elements by exact tag in the documents S3 sends
// (no attributes, no CDATA on these elements) and decodes the five named
// entities and numeric character references, so a key such as "a&b" comes
// back as sent. A malformed or truncated document is kCorruption, naming the
// element; it is never taken as a shorter list.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "system/io/result.h"

namespace crashdrill::system {

struct S3ListPage {
  std::vector<std::string> keys;  // in the order sent (S3: ascending)
  bool is_truncated = false;
  std::string next_continuation_token;  // non-empty when is_truncated
};

// `what` names the document in errors ("s3://bucket/prefix list page 3").
Result<S3ListPage> ParseS3ListPage(std::string_view xml, std::string_view what);

struct S3ErrorBody {
  std::string code;     // "NoSuchKey", "InvalidAccessKeyId"; empty if none
  std::string message;  // S3's text; empty if none
};

// Best effort: an answer that is not an S3 <Error> gives empty fields.
S3ErrorBody ParseS3Error(std::string_view xml);

// "a&amp;b&#38;c" -> "a&b&c"; kCorruption for an unknown or unterminated entity.
Result<std::string> XmlUnescape(std::string_view text, std::string_view what);

}  // namespace crashdrill::system

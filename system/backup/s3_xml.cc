#include "system/backup/s3_xml.h"

#include <charconv>

namespace crashdrill::system {
namespace {

Status Malformed(std::string_view what, size_t offset, std::string_view field,
                 std::string_view message) {
  return Status::Corruption(what, offset, field, message);
}

// Appends `code_point` as UTF-8.
void AppendUtf8(uint32_t code_point, std::string& out) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

// The decoded character of `entity` (the text between '&' and ';'), or an error.
Result<std::string> DecodeEntity(std::string_view entity, std::string_view what, size_t offset) {
  if (entity == "amp") return std::string("&");
  if (entity == "lt") return std::string("<");
  if (entity == "gt") return std::string(">");
  if (entity == "quot") return std::string("\"");
  if (entity == "apos") return std::string("'");
  if (entity.size() >= 2 && entity[0] == '#') {
    const bool hex = entity[1] == 'x' || entity[1] == 'X';
    const std::string_view digits = entity.substr(hex ? 2 : 1);
    uint32_t code_point = 0;
    const auto [end, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), code_point, hex ? 16 : 10);
    const bool valid = !digits.empty() && error == std::errc() &&
                       end == digits.data() + digits.size() && code_point > 0 &&
                       code_point <= 0x10FFFF && (code_point < 0xD800 || code_point > 0xDFFF);
    if (valid) {
      std::string out;
      AppendUtf8(code_point, out);
      return out;
    }
  }
  return Malformed(what, offset, "entity", "unknown XML entity &" + std::string(entity) + ";");
}

// Texts of every <tag>...</tag>, in order. `tag` is matched exactly, so
// "Key" does not match <KeyCount>.
Result<std::vector<std::string>> ElementTexts(std::string_view xml, std::string_view tag,
                                              std::string_view what) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  std::vector<std::string> texts;
  for (size_t at = xml.find(open); at != std::string_view::npos; at = xml.find(open, at)) {
    const size_t begin = at + open.size();
    const size_t end = xml.find(close, begin);
    const size_t next_open = xml.find('<', begin);
    if (end == std::string_view::npos || next_open != end) {
      return Malformed(what, at, tag, "element <" + std::string(tag) + "> is not closed");
    }
    CD_ASSIGN_OR_RETURN(std::string text, XmlUnescape(xml.substr(begin, end - begin), what));
    texts.push_back(std::move(text));
    at = end + close.size();
  }
  return texts;
}

}  // namespace

Result<std::string> XmlUnescape(std::string_view text, std::string_view what) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const size_t semicolon = text.find(';', i);
    if (semicolon == std::string_view::npos || semicolon - i > 12) {
      return Malformed(what, i, "entity", "unterminated XML entity");
    }
    CD_ASSIGN_OR_RETURN(const std::string decoded,
                        DecodeEntity(text.substr(i + 1, semicolon - i - 1), what, i));
    out += decoded;
    i = semicolon;
  }
  return out;
}

Result<S3ListPage> ParseS3ListPage(std::string_view xml, std::string_view what) {
  if (xml.find("<ListBucketResult") == std::string_view::npos ||
      xml.find("</ListBucketResult>") == std::string_view::npos) {
    return Malformed(what, 0, "ListBucketResult", "not a whole ListObjectsV2 answer");
  }
  S3ListPage page;
  CD_ASSIGN_OR_RETURN(page.keys, ElementTexts(xml, "Key", what));
  CD_ASSIGN_OR_RETURN(const std::vector<std::string> truncated,
                      ElementTexts(xml, "IsTruncated", what));
  if (truncated.size() != 1 || (truncated[0] != "true" && truncated[0] != "false")) {
    return Malformed(what, 0, "IsTruncated", "expected one <IsTruncated> of true or false");
  }
  page.is_truncated = truncated[0] == "true";
  CD_ASSIGN_OR_RETURN(const std::vector<std::string> tokens,
                      ElementTexts(xml, "NextContinuationToken", what));
  if (tokens.size() > 1) {
    return Malformed(what, 0, "NextContinuationToken", "more than one continuation token");
  }
  if (!tokens.empty()) page.next_continuation_token = tokens[0];
  if (page.is_truncated && page.next_continuation_token.empty()) {
    return Malformed(what, 0, "NextContinuationToken",
                     "the page is truncated but names no continuation token");
  }
  return page;
}

S3ErrorBody ParseS3Error(std::string_view xml) {
  S3ErrorBody body;
  if (xml.find("<Error>") == std::string_view::npos) return body;
  const Result<std::vector<std::string>> codes = ElementTexts(xml, "Code", "s3 error");
  if (codes.ok() && !codes->empty()) body.code = codes->front();
  const Result<std::vector<std::string>> messages = ElementTexts(xml, "Message", "s3 error");
  if (messages.ok() && !messages->empty()) body.message = messages->front();
  return body;
}

}  // namespace crashdrill::system

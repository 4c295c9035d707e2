// The S3 answers the S3 target reads: keys come back exactly as stored
// (entities decoded), a truncated page names its continuation, and a damaged
// answer is an error, never a shorter list.
#include "system/backup/s3_xml.h"

#include <gtest/gtest.h>

namespace crashdrill::system {
namespace {

std::string Page(const std::string& contents, const std::string& tail) {
  return R"(<?xml version="1.0" encoding="UTF-8"?>)"
         R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
         "<Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>" +
         tail + contents + "</ListBucketResult>";
}

std::string Contents(const std::string& key) {
  return "<Contents><Key>" + key +
         "</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
         "<ETag>&quot;d41d8&quot;</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass>"
         "</Contents>";
}

TEST(S3XmlTest, KeysComeBackWithEntitiesDecodedAndKeyCountIsNotAKey) {
  const Result<S3ListPage> page =
      ParseS3ListPage(Page(Contents("p/a&amp;b &lt;c&gt; &quot;&apos;") + Contents("p/&#38;&#x26;"),
                           "<IsTruncated>false</IsTruncated>"),
                      "test");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->keys, (std::vector<std::string>{"p/a&b <c> \"'", "p/&&"}));
  EXPECT_FALSE(page->is_truncated);
  EXPECT_TRUE(page->next_continuation_token.empty());
}

TEST(S3XmlTest, ATruncatedPageNamesItsContinuationToken) {
  const Result<S3ListPage> page =
      ParseS3ListPage(Page(Contents("p/x"),
                           "<IsTruncated>true</IsTruncated><ContinuationToken>old</"
                           "ContinuationToken><NextContinuationToken>1/a+b=&amp;"
                           "</NextContinuationToken>"),
                      "test");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->is_truncated);
  EXPECT_EQ(page->next_continuation_token, "1/a+b=&");
}

TEST(S3XmlTest, NonAsciiCharacterReferencesBecomeUtf8) {
  const Result<std::string> text = XmlUnescape("&#228;&#x20AC;&#x1F600;", "test");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "\xC3\xA4\xE2\x82\xAC\xF0\x9F\x98\x80");
}

TEST(S3XmlTest, DamagedAnswersAreErrorsNamingTheElement) {
  const std::string ok_tail = "<IsTruncated>false</IsTruncated>";
  struct Case {
    std::string xml;
    std::string named;
  };
  const std::vector<Case> cases = {
      {Page(Contents("p/a"), ok_tail).substr(0, 150), "ListBucketResult"},  // cut short
      {Page("<Contents><Key>p/a</Contents>", ok_tail), "Key"},
      {Page(Contents("p/a&bogus;"), ok_tail), "entity"},
      {Page(Contents("p/a&amp"), ok_tail), "entity"},
      {Page(Contents("p/a&#xD800;"), ok_tail), "entity"},
      {Page(Contents("p/a"), ""), "IsTruncated"},
      {Page(Contents("p/a"), "<IsTruncated>maybe</IsTruncated>"), "IsTruncated"},
      {Page(Contents("p/a"), "<IsTruncated>true</IsTruncated>"), "NextContinuationToken"},
      {"<Error><Code>AccessDenied</Code></Error>", "ListBucketResult"},
  };
  for (const Case& c : cases) {
    const Result<S3ListPage> page = ParseS3ListPage(c.xml, "s3://b/p/ list page 1");
    ASSERT_FALSE(page.ok()) << c.xml;
    EXPECT_TRUE(page.status().IsCorruption()) << page.status().ToString();
    const std::string text = page.status().ToString();
    EXPECT_NE(text.find(c.named), std::string::npos) << text;
    EXPECT_NE(text.find("s3://b/p/ list page 1"), std::string::npos) << text;
  }
}

TEST(S3XmlTest, AnErrorAnswerGivesItsCodeAndMessage) {
  const S3ErrorBody body = ParseS3Error(
      R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code>)"
      "<Message>The key &amp; id</Message><AWSAccessKeyId>AKIA</AWSAccessKeyId></Error>");
  EXPECT_EQ(body.code, "InvalidAccessKeyId");
  EXPECT_EQ(body.message, "The key & id");
  EXPECT_TRUE(ParseS3Error("<html>bad gateway</html>").code.empty());
}

}  // namespace
}  // namespace crashdrill::system

#include "core/safe_name.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace pf {
namespace {

TEST(SafeName, ContainedNames) {
  for (const char* ok : {"a", "sub/dir/a_v1", "..a", "a..", "a/.b/c", "caf\xc3\xa9"})
    EXPECT_TRUE(is_contained_name(ok)) << ok;
  for (const char* bad : {"", "/a", "../a", "a/../../b", "..", ".", "./a", "a/.", "a//b", "a/",
                          "a\\..\\b", "a\nb", "a\x7f"})
    EXPECT_FALSE(is_contained_name(bad)) << bad;
  try {
    require_contained_name("../../x", "pair name");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("pair name '../../x'"), std::string::npos) << e.what();
  }
}

TEST(SafeName, Utf8ValidityAndEscapes) {
  EXPECT_TRUE(is_valid_utf8("plain caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  for (const char* bad : {"caf\xe9", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"})
    EXPECT_FALSE(is_valid_utf8(bad)) << escape_invalid_utf8(bad);
  EXPECT_EQ(escape_invalid_utf8("caf\xe9/\xc3\xa9"), "caf\\xe9/\xc3\xa9");
}

TEST(SafeName, HexRoundTrip) {
  const std::string bytes("a\0\xff\xe9/", 5);
  EXPECT_EQ(to_hex(bytes), "6100ffe92f");
  EXPECT_EQ(from_hex(to_hex(bytes), "x"), bytes);
  EXPECT_THROW(from_hex("abc", "x"), InputError);
  EXPECT_THROW(from_hex("zz", "x"), InputError);
}

}  // namespace
}  // namespace pf

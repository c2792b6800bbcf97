// Encoder option lists (ParamSpec::option_keys): only allow-listed keys reach an encoder.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/param.h"
#include "core/yaml_util.h"

namespace pf {
namespace {

struct P {
  std::string opts;
};

const Field<P>& field() {
  static const Field<P> f =
      text<P>("x265_params", &P::opts, "", "options").option_keys({"psy-rd", "sao", "aq-mode"});
  return f;
}

std::string refusal(const std::string& list) {
  try {
    field().spec.check(Value(list));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(OptionList, HarmlessKeysPass) {
  EXPECT_EQ(refusal(""), "");
  EXPECT_EQ(refusal("psy-rd=5:sao=0"), "");
  EXPECT_EQ(refusal("psy_rd=2.5:no-sao:aq-mode=1"), "");  // x265 spellings of the same keys
}

TEST(OptionList, FileWritingAndUnknownKeysAreRefused) {
  for (const std::string& bad : {"csv=/tmp/x.csv", "psy-rd=5:stats=/tmp/s", "analysis-save=a",
                                 "no-csv", "nocsv=1", "qpfile=q", "pools=8"}) {
    const std::string m = refusal(bad);
    EXPECT_NE(m.find("is not allowed"), std::string::npos) << bad << ": " << m;
  }
}

TEST(OptionList, QuotesEscapesAndBlanksAreRefused) {
  // av_get_token would unquote these into csv=...
  for (const std::string& bad : {"'csv'=/tmp/x", "psy-rd=1\\:csv=/tmp/x", " csv=x", "\"csv\"=x"}) {
    const std::string m = refusal(bad);
    EXPECT_NE(m.find("not allowed"), std::string::npos) << bad << ": " << m;
  }
}

TEST(OptionList, ConfigErrorHasLineAndColumn) {
  const YamlDoc doc = load_yaml_string("x265_params: psy-rd=1:csv=/tmp/a.csv\n", "c.yml");
  try {
    Distribution::parse(doc.root["x265_params"], field().spec, doc.file);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("c.yml:1:14: x265_params: option 'csv'", 0), 0u)
        << e.what();
  }
}

}  // namespace
}  // namespace pf

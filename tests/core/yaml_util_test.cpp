#include "core/yaml_util.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "temp_dir.h"

namespace pf {
namespace {

std::string config_error(const std::string& text) {
  try {
    load_yaml_string(text, "c.yml");
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.code(), ExitCode::kConfig);
    return e.what();
  }
  return "";
}

TEST(YamlUtil, DuplicateKeyIsAnErrorAtTheSecondKey) {
  EXPECT_EQ(config_error("a: 1\nb: 2\na: 3\n"),
            "c.yml:3:1: duplicate key 'a' (first at line 1, column 1)");
  // Nested maps and maps inside sequences are checked too.
  EXPECT_NE(
      config_error("ops:\n  - blur: {sigma: 1, sigma: 2}\n").find("c.yml:2:22: duplicate key"),
      std::string::npos);
}

TEST(YamlUtil, SecondDocumentIsAnError) {
  EXPECT_EQ(config_error("a: 1\n---\nb: 2\n"),
            "c.yml:3:1: a second YAML document starts here; a config is one document");
  // A trailing document marker with nothing after it is harmless.
  EXPECT_NO_THROW(load_yaml_string("a: 1\n---\n", "c.yml"));
  EXPECT_NO_THROW(load_yaml_string("---\na: 1\n...\n", "c.yml"));
  EXPECT_TRUE(load_yaml_string("", "c.yml").root.IsNull());
}

TEST(YamlUtil, AliasBombIsBoundedAndFast) {
  // Nine levels of ten aliases each: 10^9 nodes once expanded, 300 bytes of text.
  std::string text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    const std::string p = "*l" + std::to_string(i - 1);
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += (k ? ", " : "") + p;
    text += "]\n";
  }
  const std::string m = config_error(text);
  EXPECT_NE(m.find("once its aliases are followed"), std::string::npos) << m;
  EXPECT_EQ(m.rfind("c.yml:", 0), 0u) << m;
}

TEST(YamlUtil, SharedAliasesWithinTheBoundLoad) {
  const YamlDoc d = load_yaml_string("base: &b {sigma: 1}\nx: *b\ny: *b\n", "c.yml");
  EXPECT_EQ(d.root["y"]["sigma"].as<int>(), 1);
}

TEST(YamlUtil, FileLoaderRefusesNonRegularFilesNamingThem) {
  test::TempDir dir;
  try {
    load_yaml_file(dir.path());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'" + dir.path() + "' is a directory"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(load_yaml_file("/dev/zero"), InputError);
  std::ofstream(dir / "dup.yml") << "a: 1\na: 2\n";
  try {
    load_yaml_file(dir / "dup.yml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(dir / "dup.yml:2:1:", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace pf

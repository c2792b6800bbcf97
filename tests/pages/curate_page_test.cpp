// The curation page: its columns and rows in the page's data, text that cannot end the script.
#include "pages/curate_page.h"

#include <gtest/gtest.h>

#include "pages_test_util.h"
#include "test_util.h"

namespace pf::pages {
namespace {

TEST(CuratePage, HoldsTheColumnsAndRowsAndKeepsHostileNamesInsideTheScript) {
  test::TempDir dir;
  const nlohmann::json rows = nlohmann::json::array({{{"source", "a</script><b>.png"},
                                                      {"tile", false},
                                                      {"x", 0},
                                                      {"y", 0},
                                                      {"w", 8},
                                                      {"h", 8},
                                                      {"scores", {{"complexity", 1.5}}},
                                                      {"kept", false},
                                                      {"reasons", {"complexity 1.5 < 2"}},
                                                      {"thumb", "thumbs/000000_0000.jpg"}}});
  const std::string path =
      write_curate_page(dir.path(), "curate <set>", {{"complexity", "gradient", "≥ 2"}}, rows);
  const std::string html = test::read_file(path);
  EXPECT_EQ(html.find("{{"), std::string::npos);
  EXPECT_EQ(html.find("a</script>"), std::string::npos);
  EXPECT_NE(html.find("a\\u003c/script>"), std::string::npos);
  EXPECT_NE(html.find("<title>curate &lt;set&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("\"threshold\":\"≥ 2\""), std::string::npos);
  EXPECT_NE(html.find("thumbs/000000_0000.jpg"), std::string::npos);
}

}  // namespace
}  // namespace pf::pages

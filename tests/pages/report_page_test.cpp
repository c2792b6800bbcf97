// The report's files and data from the fixture run (tests/data/report_run): the curves as
// logged (a resumed iteration's latest line, the unfinished line left out), the validation
// images put into the page with LQ/HQ found beside experiments/, versions newest first, and
// updates when the log grows.
#include "pages/report_page.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "pages/page_util.h"
#include "pages_test_util.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace pf::pages {
namespace {

#define PF_REQUIRE_UPLOT()            \
  if (page_asset("uplot.js").empty()) \
  GTEST_SKIP() << "built without tools/node_modules/uplot: run scripts/install-deps.sh, rebuild"

// A copy of the fixture run (the tests append to its log).
std::string copy_fixture(const test::TempDir& tmp) {
  fs::copy(std::string(PAIRFORGE_SOURCE_DIR) + "/tests/data/report_run", tmp.path(),
           fs::copy_options::recursive);
  return tmp / "experiments/2x_tiny";
}

TEST(ReportPage, DataHoldsTheLoggedCurvesAndTheValidationImages) {
  PF_REQUIRE_UPLOT();
  test::TempDir tmp;
  const std::string run = copy_fixture(tmp);
  ReportPage page(run);
  EXPECT_EQ(page.out_dir(), fs::path(run) / "report");
  const auto s = page.update();
  EXPECT_EQ(s.train_points, 7u);
  EXPECT_EQ(s.val_points, 2u);
  EXPECT_EQ(s.images, 2u);
  EXPECT_EQ(s.last_iter, 3000);
  EXPECT_FALSE(page.log_changed());

  const json d = test::page_data(run + "/report/data.js");
  ASSERT_TRUE(d.is_object());
  EXPECT_EQ(d["title"], "2x_tiny");
  EXPECT_EQ(d["train"]["iter"], json({100, 500, 1000, 1500, 2000, 2500, 3000}));
  // Iteration 2500 was logged twice (a resume): the later line holds.
  EXPECT_EQ(d["train"]["losses"]["l1loss"][5], 0.034);
  EXPECT_EQ(d["train"]["it_per_s"][5], 2.9);
  EXPECT_EQ(d["train"]["lr"][6], 0.00005);
  EXPECT_EQ(d["last"]["iter"], 3000);
  EXPECT_EQ(d["last"]["eta_s"], 0.0);
  EXPECT_EQ(d["val"]["iter"], json({1000, 2000}));
  EXPECT_EQ(d["val"]["metrics"]["psnr"], json({24.1, 26.3}));

  const json& viewer = d["viewer"];
  ASSERT_EQ(viewer["versions"].size(), 4u);
  EXPECT_EQ(viewer["versions"][2]["label"], "iter 2000");
  EXPECT_EQ(viewer["versions"][3]["label"], "iter 1000");
  ASSERT_EQ(viewer["images"].size(), 2u);
  const json& im = viewer["images"][0];
  EXPECT_EQ(im["name"], "0007");
  EXPECT_EQ(im["w"], 32);
  EXPECT_EQ(im["h"], 24);
  EXPECT_EQ(im["v"][0]["src"], "img/0007/lq.png");
  EXPECT_EQ(im["v"][0]["scale"], 2.0);
  EXPECT_EQ(im["v"][2]["src"], "img/0007/iter_2000.png");
  EXPECT_EQ(im["v"][2]["q"]["psnr"], 26.0);
  EXPECT_EQ(im["v"][3]["q"]["ssim"], 0.70);
  // The page's images are the run's files (LQ/HQ found beside experiments/).
  const std::string fixture = std::string(PAIRFORGE_SOURCE_DIR) + "/tests/data/report_run/";
  EXPECT_EQ(test::read_file(run + "/report/img/0007/lq.png"),
            test::read_file(fixture + "datasets/val/lq/0007.png"));
  EXPECT_EQ(test::read_file(run + "/report/img/0012/iter_1000.png"),
            test::read_file(fixture + "experiments/2x_tiny/visualization/0012/0012_1000.png"));
  // The page itself carries the chart library and needs nothing from the network.
  const std::string html = test::read_file(run + "/report/index.html");
  EXPECT_NE(html.find(std::string(page_asset("uplot.js")).substr(0, 200)), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("<script src=\"http"), std::string::npos);
  EXPECT_NE(html.find("<script src=\"data.js\"></script>"), std::string::npos);
}

TEST(ReportPage, UpdatesWhenTheLogGrowsAndLeavesOutMissingImages) {
  PF_REQUIRE_UPLOT();
  test::TempDir tmp;
  const std::string run = copy_fixture(tmp);
  ReportPage page(run, tmp / "out");
  page.update();
  // The trainer finishes its line, validates again, and one output is not there.
  {
    std::ofstream log(run + "/train_log.jsonl", std::ios::app);
    log << R"(ses":{"l1loss":0.031},"it_per_s":3.3})"
        << "\n"
        << R"({"event":"val","iter":3000,"metrics":{"psnr":27.0},"images":[)"
        << R"({"name":"0007","output":"visualization/0007/0007_3000.png","lq":"datasets/val/lq/0007.png","gt":"datasets/val/hq/0007.png"},)"
        << R"({"name":"0012","output":"visualization/0012/0012_2000.png","lq":"datasets/val/lq/0012.png","gt":"datasets/val/hq/0012.png"}]})"
        << "\n";
  }
  EXPECT_TRUE(page.log_changed());
  const auto s = page.update();
  EXPECT_EQ(s.train_points, 8u);
  EXPECT_EQ(s.val_points, 3u);
  EXPECT_EQ(s.last_iter, 3100);
  const json d = test::page_data(tmp / "out/data.js");
  EXPECT_EQ(d["train"]["iter"].back(), 3100);
  EXPECT_EQ(d["viewer"]["versions"][2]["label"], "iter 3000");
  EXPECT_TRUE(d["viewer"]["images"][0]["v"][2].is_null()) << "0007_3000.png does not exist";
  EXPECT_EQ(d["viewer"]["images"][1]["v"][2]["src"], "img/0012/iter_3000.png");
  EXPECT_FALSE(d["viewer"]["images"][1]["v"][2].contains("q")) << "no numbers logged";
}

TEST(ReportPage, AFolderWithoutALogIsRefusedByName) {
  test::TempDir tmp;
  try {
    ReportPage page(tmp.path());
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(tmp / "train_log.jsonl"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pf::pages

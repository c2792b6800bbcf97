// `pairforge compare`, `validate --html` and `report` through the real binary: a model's page
// shows exactly the numbers `validate` prints, and the commands' errors and exit codes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <sstream>

#include "io/image.h"
#include "models/fixtures.h"
#include "pages/pages_test_util.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace pf {
namespace {

const char* const kCompact = "models/2x_AnimeJaNai_Standard_V1_Compact.safetensors";

bool binary_has_torch() {
  return test::run_pairforge("upscale --help") == 0;
}

// Pairs from two crops of a fixture image: HQ 64x48, LQ its 2x area downscale.
void make_pairs(const std::string& dir) {
  const cv::Mat image = io::read_image(test::fixture("images/anime_bg_club.png")).rgb;
  fs::create_directories(dir + "/hq");
  fs::create_directories(dir + "/lq");
  for (const auto& [name, x] : {std::pair<std::string, int>{"left", 10}, {"right", 120}}) {
    const cv::Mat hq = image(cv::Rect(x, 20, 64, 48)).clone();
    cv::Mat lq;
    cv::resize(hq, lq, cv::Size(32, 24), 0, 0, cv::INTER_AREA);
    test::write_png(dir + "/hq/" + name + ".png", hq);
    test::write_png(dir + "/lq/" + name + ".png", lq);
  }
}

TEST(CompareCommand, AModelsPageShowsTheNumbersValidatePrints) {
  if (!binary_has_torch()) GTEST_SKIP() << "pairforge was built without LibTorch";
  PF_REQUIRE_FIXTURE(kCompact);
  test::TempDir tmp;
  make_pairs(tmp / "pairs");
  const std::string model = test::fixture(kCompact);
  std::string printed, out;
  ASSERT_EQ(test::run_pairforge("validate -m " + model + " --pairs " + (tmp / "pairs") +
                                    " --html " + (tmp / "validate") + " --device cpu --no-progress",
                                &printed),
            0)
      << printed;
  ASSERT_EQ(test::run_pairforge("compare -o " + (tmp / "compare") + " --pairs " + (tmp / "pairs") +
                                    " -m " + model + " --device cpu --no-progress",
                                &out),
            0)
      << out;
  const json v = test::page_data(tmp / "validate/index.html");
  const json c = test::page_data(tmp / "compare/index.html");
  ASSERT_TRUE(v.is_object() && c.is_object());
  const std::string stem = fs::path(model).stem().string();
  EXPECT_EQ(v["versions"], c["versions"]);
  EXPECT_EQ(c["versions"][1]["label"], stem);
  ASSERT_EQ(c["images"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const json& qv = v["images"][i]["v"][1]["q"];
    const json& qc = c["images"][i]["v"][1]["q"];
    for (const char* k : {"psnr", "ssim", "psnr_y", "ssim_y"})
      EXPECT_DOUBLE_EQ(qc[k].get<double>(), qv[k].get<double>()) << k;
    // validate's table row: name, PSNR RGB, SSIM RGB, PSNR Y, SSIM Y.
    const std::string name = c["images"][i]["name"];
    const std::string row = fmt::format("{:<32} {:>9.3f} {:>8.4f} {:>9.3f} {:>8.4f}", name + ".png",
                                        qc["psnr"].get<double>(), qc["ssim"].get<double>(),
                                        qc["psnr_y"].get<double>(), qc["ssim_y"].get<double>());
    EXPECT_NE(printed.find(row), std::string::npos) << row << "\nnot in\n" << printed;
    // The same output image in both pages.
    const auto pixels = [&](const std::string& page, const json& data) {
      return io::read_image(page + "/" + data["images"][i]["v"][1]["src"].get<std::string>()).rgb;
    };
    EXPECT_EQ(cv::norm(pixels(tmp / "compare", c), pixels(tmp / "validate", v), cv::NORM_INF), 0);
  }
}

TEST(CompareCommand, MistakesGetTheirExitCodes) {
  test::TempDir tmp;
  fs::create_directories(tmp / "a");
  test::write_png(tmp / "a/x.png", test::textured_image(16, 16, 1));
  std::string out;
  EXPECT_EQ(test::run_pairforge("compare -o " + (tmp / "p") + " " + (tmp / "a"), &out), 2)
      << "one version is no comparison\n"
      << out;
  EXPECT_EQ(test::run_pairforge(
                "compare -o " + (tmp / "p") + " -m " + (tmp / "m.pth") + " " + (tmp / "a"), &out),
            4)
      << out;
  EXPECT_NE(out.find(tmp / "m.pth"), std::string::npos) << out;
  EXPECT_EQ(test::run_pairforge(
                "compare -o " + (tmp / "p") + " " + (tmp / "a") + " " + (tmp / "a/x.png"), &out),
            4)
      << "an image is not a SOURCE\n"
      << out;
  // Two folders compare without any model: the page is written.
  EXPECT_EQ(test::run_pairforge("compare -o " + (tmp / "p") + " " + (tmp / "a") +
                                    " other=" + (tmp / "a") + " --no-progress",
                                &out),
            0)
      << out;
  EXPECT_EQ(test::page_data(tmp / "p/index.html")["versions"][1]["label"], "other");
}

TEST(ReportCommand, WritesThePageOrNamesTheMissingLog) {
  test::TempDir tmp;
  std::string out;
  EXPECT_EQ(test::run_pairforge("report " + tmp.path(), &out), 4) << out;
  EXPECT_NE(out.find(tmp / "train_log.jsonl"), std::string::npos) << out;
  fs::copy(std::string(PAIRFORGE_SOURCE_DIR) + "/tests/data/report_run", tmp / "r",
           fs::copy_options::recursive);
  const int rc = test::run_pairforge("report " + (tmp / "r/experiments/2x_tiny"), &out);
  if (out.find("without the chart library") != std::string::npos)
    GTEST_SKIP() << "built without tools/node_modules/uplot: run scripts/install-deps.sh";
  EXPECT_EQ(rc, 0) << out;
  EXPECT_TRUE(fs::is_regular_file(tmp / "r/experiments/2x_tiny/report/index.html"));
  EXPECT_TRUE(fs::is_regular_file(tmp / "r/experiments/2x_tiny/report/data.js"));
  EXPECT_NE(out.find("7 train lines, 2 validations, 2 validation images, last iter 3000"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace pf

// Smoke test of `pairforge curate`: exit codes, the files it writes, flags from the measures table.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgproc.hpp>

#include "cli_util.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace pf {
namespace {

cv::Mat frame(const char* name) {
  const cv::Mat rgb =
      io::read_image(std::string(PAIRFORGE_SOURCE_DIR) + "/datasets/samples/" + name).rgb;
  cv::Mat out;
  cv::resize(rgb, out, cv::Size(192, 128), 0, 0, cv::INTER_AREA);
  return out;
}

size_t lines(const std::string& path) {
  std::ifstream in(path);
  size_t n = 0;
  for (std::string l; std::getline(in, l);) n += !l.empty();
  return n;
}

class CurateCommand : public ::testing::Test {
 protected:
  test::TempDir tmp_;
  std::string in_ = tmp_ / "in", out_ = tmp_ / "out";
  void SetUp() override {
    fs::create_directories(in_ + "/sub");
    test::write_png(in_ + "/a.png", frame("photo_stream.jpg"));
    test::write_png(in_ + "/sub/b.png", frame("anime_bg_club.jpg"));
    test::write_png(in_ + "/flat.png", cv::Mat(128, 192, CV_32FC3, cv::Scalar::all(0.5)));
  }
};

TEST_F(CurateCommand, WritesKeptImagesScoresAndThePage) {
  const auto r = test::run_pairforge("curate " + in_ + " -o " + out_ + " --no-progress");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(out_ + "/images/a.png")) << r.output;
  EXPECT_TRUE(fs::exists(out_ + "/images/sub/b.png"));
  EXPECT_FALSE(fs::exists(out_ + "/images/flat.png"));  // no complexity
  EXPECT_EQ(lines(out_ + "/scores.jsonl"), 3u);
  EXPECT_EQ(lines(out_ + "/kept.txt"), 2u);
  EXPECT_NE(test::read_file(out_ + "/scores.jsonl").find("\"complexity 0 < 2\""),
            std::string::npos);
  const std::string page = test::read_file(out_ + "/index.html");
  EXPECT_NE(page.find("complexity 0 \\u003c 2"), std::string::npos);  // '<' in <script>
  EXPECT_NE(page.find("thumbs/"), std::string::npos);
  EXPECT_EQ(page.find("{{"), std::string::npos);
  EXPECT_NE(r.output.find("3 images"), std::string::npos) << r.output;
}

TEST_F(CurateCommand, DryRunTilesAndThresholdFlags) {
  const auto r = test::run_pairforge("curate " + in_ + " -o " + out_ +
                                     " --dry-run --tile 64 --stride 64 --top 2 --min-complexity 0"
                                     " --min-contrast 0 --min-sharpness 0 --no-page --threads 2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(lines(out_ + "/scores.jsonl"), 3u * 6u);
  EXPECT_EQ(lines(out_ + "/kept.txt"), 3u * 2u);
  EXPECT_FALSE(fs::exists(out_ + "/images"));
  EXPECT_FALSE(fs::exists(out_ + "/index.html"));
}

TEST_F(CurateCommand, UnreadableImagesExitWith7AndTheRestIsDone) {
  std::ofstream(in_ + "/broken.jpg") << "not a jpeg";
  const auto r = test::run_pairforge("curate " + in_ + " -o " + out_ + " --no-progress");
  EXPECT_EQ(r.code, 7) << r.output;
  EXPECT_NE(r.output.find("broken.jpg"), std::string::npos);
  EXPECT_TRUE(fs::exists(out_ + "/images/a.png"));
  EXPECT_EQ(lines(out_ + "/scores.jsonl"), 4u);
}

TEST_F(CurateCommand, BadUsageAndMissingInput) {
  EXPECT_EQ(test::run_pairforge("curate " + in_ + " -o " + out_ + " --top 3").code, 2);
  EXPECT_EQ(test::run_pairforge("curate " + in_ + " -o " + out_ + " --max-nothing 3").code, 2);
  EXPECT_EQ(test::run_pairforge("curate " + tmp_ / "missing" + " -o " + out_).code, 4);
  const auto help = test::run_pairforge("curate --help");
  EXPECT_EQ(help.code, 0);
  for (const char* flag :
       {"--min-complexity", "--max-blockiness", "--min-sharpness", "--max-shadows",
        "--max-highlights", "--min-contrast", "--max-border", "--min-compression"})
    EXPECT_NE(help.output.find(flag), std::string::npos) << flag;
  EXPECT_EQ(help.output.find("--min-brightness"), std::string::npos);
}

}  // namespace
}  // namespace pf

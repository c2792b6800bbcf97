// Smoke test of `pairforge frames`: a clip made here, frames extracted by the real binary.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "io/image.h"
#include "io/video_writer.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace pf {
namespace {

cv::Mat frame(int i) {
  cv::Mat f(24, 32, CV_32FC3, cv::Scalar(0.1 + 0.1 * i, 0.5, 0.9 - 0.1 * i));
  return f;
}

int run_frames(const std::string& args) {
  const int rc = std::system((std::string(PAIRFORGE_BINARY) + " frames " + args).c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class FramesCommand : public ::testing::Test {
 protected:
  test::TempDir tmp_;
  fs::path dir_ = tmp_.path();
  std::string clip_;
  void SetUp() override {
    clip_ = (dir_ / "clip.mkv").string();
    io::VideoWriterOptions opt;
    opt.codec = "ffv1", opt.pix_fmt = "bgr0", opt.fps = 8;
    io::VideoWriter w(clip_, 32, 24, opt);
    for (int i = 0; i < 8; ++i) w.write(frame(i));
  }
};

TEST_F(FramesCommand, WritesEveryNthFrameAsNamedSixteenBitPng) {
  const fs::path out = dir_ / "out";
  ASSERT_EQ(run_frames(clip_ + " -o " + out.string() + " --every 3 --depth 16"), 0);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(out)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"clip_000000.png", "clip_000003.png",
                                             "clip_000006.png", "frames.json"}));
  const io::Image img = io::read_image((out / "clip_000003.png").string());
  EXPECT_EQ(img.bit_depth, 16);
  EXPECT_LT(cv::norm(img.rgb, frame(3), cv::NORM_INF), 0.51 / 255);
}

TEST_F(FramesCommand, EightBitAndTimeRange) {
  const fs::path out = dir_ / "out8";
  ASSERT_EQ(run_frames(clip_ + " -o " + out.string() + " --start 0.5 --end 0.75 --depth 8"), 0);
  ASSERT_TRUE(fs::exists(out / "clip_000004.png"));
  EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 3);  // + json
  EXPECT_EQ(io::read_image((out / "clip_000004.png").string()).bit_depth, 8);
}

TEST_F(FramesCommand, BadInputsGiveTheirExitCodes) {
  const std::string bogus = (dir_ / "bogus.mkv").string();
  std::ofstream(bogus) << "not a video";
  EXPECT_EQ(run_frames(bogus + " -o " + (dir_ / "x").string() + " 2>/dev/null"), 4);  // kInput
  EXPECT_NE(run_frames(clip_ + " -o " + (dir_ / "y").string() + " --depth 12 2>/dev/null"), 0);
}

}  // namespace
}  // namespace pf

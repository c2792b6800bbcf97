#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/rng.h"
#include "io/phash.h"
#include "io/video_reader.h"
#include "io/video_writer.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace pf::io {
namespace {

constexpr int kW = 64, kH = 48, kFrames = 30, kCut = 15;
constexpr double kFps = 10;

// A smooth scene with a square that moves 2 px a frame; a different scene from frame kCut on.
cv::Mat moving_frame(int i) {
  cv::Mat f(kH, kW, CV_32FC3);
  const bool second = i >= kCut;
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) {
      const float g = static_cast<float>(x) / kW, v = static_cast<float>(y) / kH;
      f.at<cv::Vec3f>(y, x) = second ? cv::Vec3f(0.9f - 0.6f * v, 0.2f, 0.3f + 0.5f * g)
                                     : cv::Vec3f(0.2f + 0.6f * g, 0.3f + 0.4f * v, 0.5f);
    }
  cv::rectangle(f, cv::Rect(2 * (i % kCut), 10, 12, 12), cv::Scalar(1, 1, 1), cv::FILLED);
  return f;
}

// Random 8x8 blocks, a new picture every frame except frames 10..19 (a held still).
cv::Mat blocks_frame(int i) {
  Rng rng(i >= 10 && i < 20 ? 10 : i);
  cv::Mat small(kH / 8, kW / 8, CV_32FC3);
  for (auto it = small.begin<cv::Vec3f>(); it != small.end<cv::Vec3f>(); ++it)
    *it = cv::Vec3f(rng.uniform(), rng.uniform(), rng.uniform());
  cv::Mat f;
  cv::resize(small, f, cv::Size(kW, kH), 0, 0, cv::INTER_NEAREST);
  return f;
}

// A gentle gradient: 10-bit keeps levels between the 8-bit ones.
cv::Mat gradient_frame(int) {
  cv::Mat f(kH, kW, CV_32FC3);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) {
      const float t = 0.4f + 0.1f * (y * kW + x) / (kW * kH);
      f.at<cv::Vec3f>(y, x) = cv::Vec3f(t, t, t);
    }
  return f;
}

class VideoTest : public ::testing::Test {
 protected:
  test::TempDir tmp_;
  fs::path dir_ = tmp_.path();

  template <class Make>
  std::string make_clip(const std::string& name, Make frame, VideoWriterOptions opt = lossless()) {
    const std::string path = (dir_ / name).string();
    VideoWriter w(path, kW, kH, opt);
    for (int i = 0; i < kFrames; ++i) w.write(frame(i));
    w.finish();
    return path;
  }
  static VideoWriterOptions lossless(const char* pix_fmt = "yuv444p") {
    VideoWriterOptions o;
    o.codec = "ffv1", o.pix_fmt = pix_fmt, o.fps = kFps;
    return o;
  }
};

std::vector<VideoFrame> read_all(const std::string& path, FrameSelection sel = {},
                                 int* warnings = nullptr) {
  VideoReader r(path, sel);
  std::vector<VideoFrame> frames;
  VideoFrame f;
  while (r.next(f)) frames.push_back(f);
  if (warnings) *warnings = r.warnings();
  return frames;
}

std::vector<int64_t> indices(const std::vector<VideoFrame>& frames) {
  std::vector<int64_t> out;
  for (const auto& f : frames) out.push_back(f.index);
  return out;
}

TEST_F(VideoTest, EveryFrameComesBackWithItsNumberTimeAndPixels) {
  const std::string path = make_clip("moving.mkv", moving_frame);
  VideoReader r(path);
  EXPECT_EQ(r.width(), kW);
  EXPECT_EQ(r.height(), kH);
  EXPECT_NEAR(r.fps(), kFps, 1e-9);
  const auto frames = read_all(path);
  ASSERT_EQ(frames.size(), size_t(kFrames));
  for (int i = 0; i < kFrames; ++i) {
    EXPECT_EQ(frames[i].index, i);
    EXPECT_NEAR(frames[i].time_s, i / kFps, 1e-6);
    EXPECT_EQ(frames[i].bit_depth, 8);
    ASSERT_EQ(frames[i].rgb.type(), CV_32FC3);
    // Lossless 4:4:4 YUV: only the rounding to limited-range 8-bit YUV (219 luma levels) is lost.
    EXPECT_LT(cv::norm(frames[i].rgb, moving_frame(i), cv::NORM_INF), 4.0 / 255) << i;
  }
  EXPECT_EQ(frame_name(path, frames[7].index), "moving_000007");
  EXPECT_EQ(r.warnings(), 0);
}

TEST_F(VideoTest, EveryNKeepsOneFrameInN) {
  const std::string path = make_clip("moving.mkv", moving_frame);
  FrameSelection sel;
  sel.every = 4;
  EXPECT_EQ(indices(read_all(path, sel)), (std::vector<int64_t>{0, 4, 8, 12, 16, 20, 24, 28}));
}

TEST_F(VideoTest, SceneModeKeepsTheFirstFrameOfEachScene) {
  const std::string path = make_clip("moving.mkv", moving_frame);
  FrameSelection sel;
  sel.scene_threshold = 0.15;
  EXPECT_EQ(indices(read_all(path, sel)), (std::vector<int64_t>{0, kCut}));
  // ffmpeg's scene score is the change of the frame difference: a square moving steadily is
  // no cut even at a threshold this low (the old mean-luma-change score kept every frame).
  sel.scene_threshold = 0.001;
  EXPECT_LT(read_all(path, sel).size(), 6u);
}

TEST_F(VideoTest, StartAndEndTimesBoundTheRange) {
  const std::string path = make_clip("moving.mkv", moving_frame);
  FrameSelection sel;
  sel.start_s = 1.0, sel.end_s = 2.0, sel.every = 3;
  EXPECT_EQ(indices(read_all(path, sel)), (std::vector<int64_t>{10, 13, 16, 19}));
  sel.every = 1, sel.end_s = 0, sel.start_s = 2.58;  // frame 26 is at 2.6 s
  EXPECT_EQ(indices(read_all(path, sel)).front(), 26);
}

TEST_F(VideoTest, DedupSkipsTheHeldStill) {
  const std::string path = make_clip("blocks.mkv", blocks_frame);
  EXPECT_EQ(read_all(path).size(), size_t(kFrames));
  FrameSelection sel;
  sel.dedup_distance = 6;
  const auto kept = indices(read_all(path, sel));
  // 10 identical frames collapse into their first one; every other frame is a new picture.
  EXPECT_EQ(kept.size(), size_t(kFrames - 9));
  EXPECT_EQ(std::count(kept.begin(), kept.end(), 10), 1);
  EXPECT_EQ(std::count(kept.begin(), kept.end(), 11), 0);
  EXPECT_EQ(std::count(kept.begin(), kept.end(), 20), 1);
}

TEST_F(VideoTest, FollowingFramesAreTheNextDecodedOnesAndStaySelectable) {
  const std::string path = make_clip("moving.mkv", moving_frame);
  const auto all = read_all(path);
  FrameSelection sel;
  sel.every = 2;
  VideoReader r(path, sel);
  VideoFrame f;
  std::vector<cv::Mat> following;
  std::vector<int64_t> got;
  while (r.next(f, &following, 3)) {
    got.push_back(f.index);
    const size_t expected = std::min<int64_t>(3, kFrames - 1 - f.index);
    ASSERT_EQ(following.size(), expected) << f.index;
    for (size_t k = 0; k < following.size(); ++k) {
      EXPECT_EQ(cv::norm(following[k], all[f.index + 1 + k].rgb, cv::NORM_INF), 0.0);
      following[k].setTo(cv::Scalar::all(0));  // drawing on them must not change later frames
    }
    EXPECT_EQ(cv::norm(f.rgb, all[f.index].rgb, cv::NORM_INF), 0.0) << f.index;
  }
  EXPECT_EQ(got.size(), size_t(kFrames / 2));
}

// Share of samples that fall between two 8-bit levels.
double off_8bit_share(const cv::Mat& rgb) {
  int off = 0;
  for (auto it = rgb.begin<cv::Vec3f>(); it != rgb.end<cv::Vec3f>(); ++it)
    for (int c = 0; c < 3; ++c) {
      const double v = (*it)[c] * 255.0;
      off += std::abs(v - std::round(v)) > 0.05;
    }
  return off / (3.0 * rgb.total());
}

TEST_F(VideoTest, TenBitSourceKeepsMoreThanEightBits) {
  const auto ten = read_all(make_clip("ten.mkv", gradient_frame, lossless("yuv420p10le")));
  ASSERT_EQ(ten.size(), size_t(kFrames));
  EXPECT_EQ(ten[0].bit_depth, 10);
  EXPECT_GT(off_8bit_share(ten[0].rgb), 0.5);
  EXPECT_LT(cv::norm(ten[0].rgb, gradient_frame(0), cv::NORM_INF), 1.5 / 255);
  const auto eight = read_all(make_clip("eight.mkv", gradient_frame, lossless("yuv420p")));
  EXPECT_EQ(eight[0].bit_depth, 8);
  EXPECT_EQ(off_8bit_share(eight[0].rgb), 0.0);
}

TEST_F(VideoTest, LossyMp4RoundTripsClosely) {
  VideoWriterOptions opt;
  opt.codec = "libx264", opt.crf = 12, opt.fps = kFps, opt.preset = "ultrafast";
  const auto frames = read_all(make_clip("moving.mp4", moving_frame, opt));
  ASSERT_EQ(frames.size(), size_t(kFrames));
  double err = 0;
  for (int i = 0; i < kFrames; ++i)
    err += cv::norm(frames[i].rgb, moving_frame(i), cv::NORM_L1) / (3.0 * kW * kH);
  EXPECT_LT(err / kFrames, 0.02);  // mean absolute error per sample at crf 12, 4:2:0
}

TEST_F(VideoTest, TruncatedCopyYieldsTheFramesThatDecodeAndWarns) {
  const std::string path = make_clip("blocks.mkv", blocks_frame, lossless("bgr0"));
  const auto size = fs::file_size(path);
  const std::string cut = (dir_ / "cut.mkv").string();
  {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> bytes(size * 6 / 10);
    in.read(bytes.data(), bytes.size());
    std::ofstream(cut, std::ios::binary).write(bytes.data(), bytes.size());
  }
  int warnings = 0;
  std::vector<VideoFrame> frames;
  ASSERT_NO_THROW(frames = read_all(cut, {}, &warnings));
  EXPECT_GE(frames.size(), 5u);
  EXPECT_LT(frames.size(), size_t(kFrames));
  EXPECT_GT(warnings, 0);
  for (const auto& f : frames)  // what comes back is the real picture (lossless RGB), not garbage
    EXPECT_LT(cv::norm(f.rgb, blocks_frame(static_cast<int>(f.index)), cv::NORM_INF), 0.51 / 255);
}

TEST_F(VideoTest, CorruptMiddleYieldsFramesAndWarnings) {
  VideoWriterOptions opt;
  opt.codec = "libx264", opt.crf = 10, opt.fps = kFps, opt.preset = "ultrafast", opt.gop = 5;
  const std::string path = make_clip("blocks.mkv", blocks_frame, opt);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    const auto size = static_cast<std::streamoff>(fs::file_size(path));
    Rng rng(99);
    f.seekp(size / 2);
    for (int i = 0; i < 2000; ++i) f.put(static_cast<char>(rng.uniform_int(0, 255)));
  }
  int warnings = 0;
  std::vector<VideoFrame> frames;
  ASSERT_NO_THROW(frames = read_all(path, {}, &warnings));
  EXPECT_GE(frames.size(), size_t(kFrames / 3));  // 17 of 30 survive this damage
  EXPECT_GT(warnings, 0);
}

TEST_F(VideoTest, MissingOrBogusFilesAreInputErrors) {
  EXPECT_THROW(VideoReader((dir_ / "none.mkv").string()), InputError);
  const std::string bogus = (dir_ / "bogus.mp4").string();
  std::ofstream(bogus) << "this is not a video";
  EXPECT_THROW(VideoReader{bogus}, InputError);
  FrameSelection bad;
  bad.every = 0;
  EXPECT_THROW(VideoReader(make_clip("moving.mkv", moving_frame), bad), InputError);
}

TEST_F(VideoTest, WriterRejectsUnknownCodecsAndWrongSizes) {
  VideoWriterOptions opt;
  opt.codec = "no_such_codec";
  EXPECT_THROW(VideoWriter((dir_ / "a.mkv").string(), kW, kH, opt), ConfigError);
  VideoWriter w((dir_ / "b.mkv").string(), kW, kH, lossless());
  EXPECT_THROW(w.write(cv::Mat(10, 10, CV_32FC3, cv::Scalar::all(0))), Error);
}

TEST(VideoFiles, ExtensionsAndNames) {
  for (const char* p : {"a.mkv", "b.MP4", "c.m2ts", "d.ts", "e.webm", "f.avi", "g.mov"})
    EXPECT_TRUE(is_video_file(p)) << p;
  for (const char* p : {"a.png", "b.mkv.txt", "c"}) EXPECT_FALSE(is_video_file(p)) << p;
  EXPECT_EQ(frame_name("/x/y/Movie.Name.mkv", 1234), "Movie.Name_001234");
}

TEST(PerceptualHash, NearCopiesAreCloseDifferentPicturesFar) {
  const cv::Mat a = blocks_frame(1), b = blocks_frame(2);
  EXPECT_EQ(hamming_distance(perceptual_hash(a), perceptual_hash(a.clone())), 0);
  cv::Mat brighter = a * 0.9 + 0.05;
  EXPECT_LE(hamming_distance(perceptual_hash(a), perceptual_hash(brighter)), 2);
  EXPECT_GE(hamming_distance(perceptual_hash(a), perceptual_hash(b)), 16);
}

}  // namespace
}  // namespace pf::io

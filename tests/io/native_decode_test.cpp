#include "io/native_decode.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/rng.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace pf::io {
namespace {

constexpr int kUnchanged = cv::IMREAD_UNCHANGED | cv::IMREAD_ANYDEPTH;

std::vector<uint8_t> read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// The native decoders lay pixels out exactly as cv::imdecode does (what decode_image was built
// on): same type, same samples.
void expect_as_opencv(const std::vector<uint8_t>& bytes, const std::string& what) {
  const std::optional<cv::Mat> native = decode_native(bytes, what);
  ASSERT_TRUE(native.has_value()) << what;
  const cv::Mat want = cv::imdecode(bytes, kUnchanged);
  ASSERT_EQ(native->type(), want.type()) << what;
  ASSERT_EQ(native->size(), want.size()) << what;
  EXPECT_EQ(cv::norm(*native, want, cv::NORM_INF), 0) << what;
  // In the file's own order: the same samples, red first.
  const std::optional<cv::Mat> rgb = decode_native(bytes, what, ChannelOrder::kRgb);
  ASSERT_TRUE(rgb.has_value()) << what;
  cv::Mat want_rgb = want;
  if (want.channels() == 3) cv::cvtColor(want, want_rgb, cv::COLOR_BGR2RGB);
  if (want.channels() == 4) cv::cvtColor(want, want_rgb, cv::COLOR_BGRA2RGBA);
  ASSERT_EQ(rgb->type(), want.type()) << what;
  EXPECT_EQ(cv::norm(*rgb, want_rgb, cv::NORM_INF), 0) << what;
}

cv::Mat noise(int rows, int cols, int type, uint64_t seed) {
  cv::Mat m(rows, cols, type);
  cv::theRNG().state = seed;
  cv::randu(m, 0, CV_MAT_DEPTH(type) == CV_16U ? 65536 : 256);
  return m;
}

TEST(NativeDecode, PngOfEveryDepthAndChannelCountAsOpenCv) {
  for (int depth : {CV_8U, CV_16U})
    for (int channels : {1, 3, 4}) {
      std::vector<uint8_t> png;
      ASSERT_TRUE(cv::imencode(".png", noise(29, 53, CV_MAKETYPE(depth, channels), 5), png));
      expect_as_opencv(png,
                       "png depth " + std::to_string(depth) + " ch " + std::to_string(channels));
    }
}

TEST(NativeDecode, JpegColourAndGreyAsOpenCv) {
  for (int channels : {1, 3}) {
    cv::Mat m = noise(40, 64, CV_MAKETYPE(CV_8U, channels), 9);
    cv::GaussianBlur(m, m, cv::Size(5, 5), 0);  // something JPEG-like
    for (int progressive : {0, 1}) {
      std::vector<uint8_t> jpg;
      ASSERT_TRUE(
          cv::imencode(".jpg", m, jpg,
                       {cv::IMWRITE_JPEG_QUALITY, 80, cv::IMWRITE_JPEG_PROGRESSIVE, progressive}));
      expect_as_opencv(jpg, "jpeg ch " + std::to_string(channels));
    }
  }
}

// The fixtures and the sample data set: photos, line art, an RGBA sprite, progressive JPEGs.
TEST(NativeDecode, FixtureAndSampleFilesAsOpenCv) {
  int files = 0;
  for (const char* dir : {"datasets/samples"}) {
    for (const auto& e : fs::directory_iterator(fs::path(PAIRFORGE_SOURCE_DIR) / dir)) {
      const std::string ext = e.path().extension().string();
      if (ext != ".png" && ext != ".jpg") continue;
      expect_as_opencv(read_file(e.path()), e.path().string());
      ++files;
    }
  }
  EXPECT_GE(files, 5);
}

// Palette (with and without transparency), grey + alpha, 1/2/4-bit grey and Adam7 interlacing,
// which OpenCV's encoder never writes: made with ImageMagick's convert when it is installed.
TEST(NativeDecode, PaletteGreyAlphaLowBitAndInterlacedPngAsOpenCv) {
  if (std::system("convert -version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no convert";
  test::TempDir tmp;
  const fs::path dir = tmp.path();
  const fs::path src = dir / "src.png";
  cv::Mat bgra = noise(23, 31, CV_8UC4, 3);
  cv::GaussianBlur(bgra, bgra, cv::Size(7, 7), 0);
  ASSERT_TRUE(cv::imwrite(src.string(), bgra));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"palette", "-colors 50 PNG8:"},
      {"palette_opaque", "-alpha off -colors 50 PNG8:"},
      {"grey_alpha", "-colorspace Gray -define png:color-type=4 PNG32:"},
      {"grey_1bit", "-alpha off -colorspace Gray -monochrome -define png:bit-depth=1 PNG:"},
      {"grey_4bit",
       "-alpha off -colorspace Gray -colors 16 -define png:bit-depth=4 -define png:color-type=0 "
       "PNG:"},
      {"interlaced", "-interlace PNG PNG32:"},
      {"interlaced16", "-alpha off -depth 16 -interlace PNG PNG48:"},
      {"rgb_trns",
       "-alpha off -transparent-color '#000000' -fill black -draw 'point 1,1' -transparent black "
       "PNG24:"},
  };
  for (const auto& [label, args] : cases) {
    const fs::path out = dir / (label + ".png");
    const std::string fmt = args.substr(args.rfind(' ') + 1);
    const std::string cmd = "convert '" + src.string() + "' " + args.substr(0, args.rfind(' ')) +
                            " " + fmt + "'" + out.string() + "' 2>/dev/null";
    if (std::system(cmd.c_str()) != 0 || !fs::exists(out)) {
      ADD_FAILURE() << "convert failed: " << cmd;
      continue;
    }
    expect_as_opencv(read_file(out), label);
  }
}

TEST(NativeDecode, CorruptFilesAreInputErrorsNamingTheFile) {
  std::vector<uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", noise(20, 20, CV_8UC3, 1), png));
  png.resize(png.size() / 2);
  try {
    decode_native(png, "half.png");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("half.png"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(decode_native({'B', 'M', 0, 0}, "x.bmp").has_value());  // left to OpenCV
}

}  // namespace
}  // namespace pf::io

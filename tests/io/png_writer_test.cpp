#include "io/png_writer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/rng.h"
#include "io/image.h"

namespace pf::io {
namespace {

// Samples in PNG order (RGB(A) / grey(+alpha)) with every byte value and random runs, so that
// each filter meets wrap-around (cur - prediction < 0) and Paeth all three of its branches.
cv::Mat random_samples(int rows, int cols, int channels, int depth, uint64_t seed) {
  cv::Mat m(rows, cols, CV_MAKETYPE(depth == 16 ? CV_16U : CV_8U, channels));
  Rng rng(seed);
  const size_t n = m.total() * channels;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t v = i < 65536 ? static_cast<uint32_t>(i) : static_cast<uint32_t>(rng.next_u64());
    if (depth == 16)
      m.ptr<uint16_t>()[i] = static_cast<uint16_t>(v % 65536);
    else
      m.ptr<uint8_t>()[i] = static_cast<uint8_t>(i < 256 ? i : v % 4 == 0 ? 7 : v);
  }
  return m;
}

std::vector<uint8_t> encode(const cv::Mat& m, int level, PngFilter filter) {
  const int depth = m.depth() == CV_16U ? 16 : 8;
  const size_t row = static_cast<size_t>(m.cols) * m.channels() * depth / 8;
  return encode_png(
      {m.cols, m.rows, m.channels(), depth},
      [&](int y, uint8_t* out) {
        if (depth == 8) {
          std::memcpy(out, m.ptr(y), row);
          return;
        }
        const uint16_t* s = m.ptr<uint16_t>(y);
        for (size_t k = 0; k < row / 2; ++k)
          out[2 * k] = static_cast<uint8_t>(s[k] >> 8), out[2 * k + 1] = static_cast<uint8_t>(s[k]);
      },
      level, filter);
}

// libpng (through OpenCV) reads back exactly the samples written, for every channel count, bit
// depth, filter and a spread of levels; odd sizes catch row-length slips.
TEST(PngWriter, LibpngDecodesTheExactSamples) {
  for (int depth : {8, 16})
    for (int channels : {1, 2, 3, 4}) {
      const cv::Mat m = random_samples(37, 301, channels, depth, 11 + channels);
      for (int f = 0; f <= 4; ++f)
        for (int level : {0, 1, 6, 12}) {
          const cv::Mat back =
              cv::imdecode(encode(m, level, static_cast<PngFilter>(f)), cv::IMREAD_UNCHANGED);
          cv::Mat want = m;
          if (channels == 3) cv::cvtColor(m, want, cv::COLOR_RGB2BGR);
          if (channels == 4) cv::cvtColor(m, want, cv::COLOR_RGBA2BGRA);
          if (channels == 2) {  // OpenCV reads grey + alpha as BGRA
            std::vector<cv::Mat> ga;
            cv::split(m, ga);
            cv::merge(std::vector<cv::Mat>{ga[0], ga[0], ga[0], ga[1]}, want);
          }
          ASSERT_EQ(back.type(), want.type()) << channels << " ch " << depth << " bit";
          EXPECT_EQ(cv::norm(back, want, cv::NORM_INF), 0)
              << channels << " ch, " << depth << " bit, filter " << f << ", level " << level;
        }
    }
}

// Higher levels give smaller files of the same image (the point of --png-compression), and a
// smooth image compresses well below its raw size at the default level.
TEST(PngWriter, LevelsTradeTimeForSize) {
  cv::Mat smooth(256, 256, CV_8UC3);
  for (int y = 0; y < smooth.rows; ++y)
    for (int x = 0; x < smooth.cols; ++x)
      smooth.at<cv::Vec3b>(y, x) = cv::Vec3b(x, y, (x * y) >> 8);
  const PngFilter filter = default_png_filter(8);
  const size_t stored = encode(smooth, 0, filter).size();
  const size_t fast = encode(smooth, kPngCompressionDefault, filter).size();
  const size_t best = encode(smooth, 12, filter).size();
  EXPECT_GT(stored, smooth.total() * 3);
  EXPECT_LT(fast, stored / 4);
  EXPECT_LE(best, fast);
}

TEST(PngWriter, RejectsBadLayoutsAndLevels) {
  const auto fill = [](int, uint8_t*) {};
  EXPECT_THROW(encode_png({0, 4, 3, 8}, fill), Error);
  EXPECT_THROW(encode_png({4, 4, 5, 8}, fill), Error);
  EXPECT_THROW(encode_png({4, 4, 3, 12}, fill), Error);
  EXPECT_THROW(encode_png({4, 4, 3, 8}, fill, 13), Error);
  EXPECT_THROW(encode_png({4, 4, 3, 8}, fill, -1), Error);
}

// The float front end: every level writes the same pixels (round half up) as the default.
TEST(PngWriter, FloatImagesKeepTheirPixelsAtEveryLevel) {
  cv::Mat rgb(33, 70, CV_32FC3), alpha(33, 70, CV_32F);
  cv::randu(rgb, -0.1, 1.1);
  cv::randu(alpha, 0.0, 1.0);
  for (int depth : {8, 16}) {
    const cv::Mat ref = cv::imdecode(encode_png(rgb, alpha, depth), cv::IMREAD_UNCHANGED);
    for (int level : {0, 3, 9, 12}) {
      const cv::Mat back = cv::imdecode(encode_png(rgb, alpha, depth, level), cv::IMREAD_UNCHANGED);
      ASSERT_EQ(back.type(), ref.type());
      EXPECT_EQ(cv::norm(back, ref, cv::NORM_INF), 0) << depth << " bit, level " << level;
    }
  }
}

}  // namespace
}  // namespace pf::io

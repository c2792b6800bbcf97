#include "io/png_fast_read.h"

#include <gtest/gtest.h>

#include <cstring>
#include <opencv2/imgcodecs.hpp>

#include "io/png_writer.h"

namespace pf::io {
namespace {

cv::Mat noise(int rows, int cols, int type) {
  cv::Mat m(rows, cols, type);
  cv::randu(m, 0, CV_MAT_DEPTH(type) == CV_16U ? 65536 : 256);
  return m;
}

// Every filter type (written by io/png_writer with each fixed filter), every channel count and
// depth this path takes: the same samples as libpng gives through cv::imdecode.
TEST(PngFastRead, EveryFilterAsLibpng) {
  for (int depth : {8, 16})
    for (int channels : {1, 3, 4}) {
      const cv::Mat m = noise(19, 41, CV_MAKETYPE(depth == 16 ? CV_16U : CV_8U, channels));
      const size_t row = static_cast<size_t>(m.cols) * channels * depth / 8;
      for (int f = 0; f <= 4; ++f) {
        const std::vector<uint8_t> png = encode_png(
            {m.cols, m.rows, channels, depth},
            [&](int y, uint8_t* out) {
              std::memcpy(out, m.ptr(y), row);  // byte order does not matter for this test
            },
            1, static_cast<PngFilter>(f));
        const std::optional<cv::Mat> fast = decode_png_fast(png);
        ASSERT_TRUE(fast.has_value()) << depth << " bit, " << channels << " ch, filter " << f;
        const cv::Mat want = cv::imdecode(png, cv::IMREAD_UNCHANGED);
        ASSERT_EQ(fast->type(), want.type());
        EXPECT_EQ(cv::norm(*fast, want, cv::NORM_INF), 0)
            << depth << " bit, " << channels << " ch, filter " << f;
      }
    }
}

// What it leaves to libpng: a bad CRC, cut data, and layouts it does not take.
TEST(PngFastRead, LeavesFaultsAndOtherLayoutsToLibpng) {
  std::vector<uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", noise(16, 16, CV_8UC3), png));
  ASSERT_TRUE(decode_png_fast(png).has_value());
  std::vector<uint8_t> bad_crc = png;
  bad_crc[bad_crc.size() / 2] ^= 0x40;  // inside IDAT
  EXPECT_FALSE(decode_png_fast(bad_crc).has_value());
  std::vector<uint8_t> cut(png.begin(), png.begin() + static_cast<long>(png.size() - 20));
  EXPECT_FALSE(decode_png_fast(cut).has_value());
  const std::vector<uint8_t> grey_alpha =
      encode_png({4, 4, 2, 8}, [](int, uint8_t* out) { std::memset(out, 9, 8); });
  EXPECT_FALSE(decode_png_fast(grey_alpha).has_value());
}

}  // namespace
}  // namespace pf::io

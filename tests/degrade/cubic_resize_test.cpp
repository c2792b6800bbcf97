// simd/cubic_resize.h against cv::resize(INTER_CUBIC), to the bit: random sizes up and down,
// channel counts and values (negatives and overshoots included), and Real-ESRGAN's factors on a
// frame through the resize operator's path.
#include "degrade/simd/cubic_resize.h"

#include <gtest/gtest.h>

#include <cstring>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/rng.h"
#include "degrade/resample.h"
#include "test_util.h"

namespace pf::degrade {
namespace {

bool same_bits(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return false;
  for (int y = 0; y < a.rows; ++y)
    if (std::memcmp(a.ptr(y), b.ptr(y), a.cols * a.elemSize()) != 0) return false;
  return true;
}

cv::Mat opencv_cubic(const cv::Mat& src, cv::Size size) {
  cv::Mat dst;
  cv::resize(src, dst, size, 0, 0, cv::INTER_CUBIC);
  return dst;
}

TEST(CubicResize, EqualsOpenCvOnRandomSizesAndChannels) {
  Rng rng(12);
  for (int trial = 0; trial < 240; ++trial) {
    const int channels = 1 + trial % 4;
    const int cols = static_cast<int>(rng.uniform_int(1, 120));
    const int rows = static_cast<int>(rng.uniform_int(1, 80));
    const cv::Size size(std::max(1, static_cast<int>(cols * rng.uniform(0.1, 2.5))),
                        std::max(1, static_cast<int>(rows * rng.uniform(0.1, 2.5))));
    if (size == cv::Size(cols, rows)) continue;
    cv::Mat src(rows, cols, CV_32FC(channels));
    float* p = src.ptr<float>();
    for (size_t i = 0; i < src.total() * channels; ++i)
      p[i] = static_cast<float>(rng.uniform(-0.2, 1.2));
    EXPECT_TRUE(same_bits(cubic_resize(src, size), opencv_cubic(src, size)))
        << cols << "x" << rows << "x" << channels << " -> " << size;
  }
}

TEST(CubicResize, EqualsOpenCvAtRealEsrganFactorsOnAFrame) {
  const cv::Mat frame = test::textured_image(320, 180, 6);
  for (double s : {0.15, 0.3, 0.5, 0.7, 1.2, 1.5}) {
    const cv::Size size(static_cast<int>(320 * s), static_cast<int>(180 * s));
    EXPECT_TRUE(same_bits(cubic_resize(frame, size), opencv_cubic(frame, size))) << s;
    EXPECT_TRUE(
        same_bits(resample_opencv(frame, size, cv::INTER_CUBIC), opencv_cubic(frame, size)));
  }
  EXPECT_FALSE(cubic_resize_applies(frame, frame.size()));  // OpenCV copies
  EXPECT_THROW(cubic_resize(frame, frame.size()), Error);
}

}  // namespace
}  // namespace pf::degrade

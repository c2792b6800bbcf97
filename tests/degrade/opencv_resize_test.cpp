// simd/area_resize.h and simd/cubic_resize.h against cv::resize, to the bit: random sizes,
// channel counts and values (negatives and overshoots included, as a sinc blur leaves them),
// Real-ESRGAN's factors on a frame through the resize operator's path, and the cases left to
// OpenCV.
#include <gtest/gtest.h>

#include <cstring>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/rng.h"
#include "degrade/resample.h"
#include "degrade/simd/area_resize.h"
#include "degrade/simd/cubic_resize.h"
#include "test_util.h"

namespace pf::degrade {
namespace {

// Bit for bit, so that a -0 where OpenCV has +0 counts too.
bool same_bits(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return false;
  for (int y = 0; y < a.rows; ++y)
    if (std::memcmp(a.ptr(y), b.ptr(y), a.cols * a.elemSize()) != 0) return false;
  return true;
}

cv::Mat opencv(const cv::Mat& src, cv::Size size, int interpolation) {
  cv::Mat dst;
  cv::resize(src, dst, size, 0, 0, interpolation);
  return dst;
}

TEST(AreaResize, EqualsOpenCvOnRandomSizesAndChannels) {
  Rng rng(11);
  int checked = 0;
  for (int trial = 0; trial < 240; ++trial) {
    const int channels = 1 + trial % 4;
    const int cols = static_cast<int>(rng.uniform_int(1, 130));
    const int rows = static_cast<int>(rng.uniform_int(1, 90));
    const cv::Size size(std::max(1, static_cast<int>(cols * rng.uniform(0.05, 1.0))),
                        std::max(1, static_cast<int>(rows * rng.uniform(0.05, 1.0))));
    cv::Mat src(rows, cols, CV_32FC(channels));
    float* p = src.ptr<float>();
    for (size_t i = 0; i < src.total() * channels; ++i)
      p[i] = static_cast<float>(rng.uniform(-0.2, 1.2));
    if (!area_resize_applies(src, size)) continue;
    ++checked;
    EXPECT_TRUE(same_bits(area_resize(src, size), opencv(src, size, cv::INTER_AREA)))
        << cols << "x" << rows << "x" << channels << " -> " << size;
  }
  EXPECT_GT(checked, 200);
}

TEST(AreaResize, EqualsOpenCvAtRealEsrganFactorsOnAFrame) {
  const cv::Mat frame = test::textured_image(320, 180, 5);
  for (double s : {0.15, 0.3, 0.51, 0.7, 0.93, 1.0}) {
    const cv::Size size(static_cast<int>(320 * s), static_cast<int>(180 * s) + (s == 1.0 ? -1 : 0));
    ASSERT_TRUE(area_resize_applies(frame, size)) << s;
    EXPECT_TRUE(same_bits(area_resize(frame, size), opencv(frame, size, cv::INTER_AREA))) << s;
    // The resize operator's cv_area goes through it.
    EXPECT_TRUE(same_bits(resample_opencv(frame, size, cv::INTER_AREA),
                          opencv(frame, size, cv::INTER_AREA)));
  }
}

TEST(AreaResize, LeavesOpenCvsOtherPathsToOpenCv) {
  const cv::Mat frame = test::textured_image(64, 48, 2);
  EXPECT_FALSE(area_resize_applies(frame, {32, 24}));  // both factors integers: block averages
  EXPECT_FALSE(area_resize_applies(frame, {64, 48}));  // the same size
  EXPECT_FALSE(area_resize_applies(frame, {80, 30}));  // one axis grows: OpenCV's bilinear
  EXPECT_TRUE(area_resize_applies(frame, {32, 30}));   // one integer factor, one not
  cv::Mat bytes;
  frame.convertTo(bytes, CV_8U, 255);
  EXPECT_FALSE(area_resize_applies(bytes, {40, 30}));  // 8-bit samples
  EXPECT_THROW(area_resize(frame, {32, 24}), Error);
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
    EXPECT_TRUE(same_bits(cubic_resize(src, size), opencv(src, size, cv::INTER_CUBIC)))
        << cols << "x" << rows << "x" << channels << " -> " << size;
  }
}

TEST(CubicResize, EqualsOpenCvAtRealEsrganFactorsOnAFrame) {
  const cv::Mat frame = test::textured_image(320, 180, 6);
  for (double s : {0.15, 0.3, 0.5, 0.7, 1.2, 1.5}) {
    const cv::Size size(static_cast<int>(320 * s), static_cast<int>(180 * s));
    EXPECT_TRUE(same_bits(cubic_resize(frame, size), opencv(frame, size, cv::INTER_CUBIC))) << s;
    EXPECT_TRUE(same_bits(resample_opencv(frame, size, cv::INTER_CUBIC),
                          opencv(frame, size, cv::INTER_CUBIC)));
  }
  EXPECT_FALSE(cubic_resize_applies(frame, frame.size()));  // OpenCV copies
  EXPECT_THROW(cubic_resize(frame, frame.size()), Error);
}

}  // namespace
}  // namespace pf::degrade

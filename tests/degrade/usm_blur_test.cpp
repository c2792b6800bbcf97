// The unsharp mask's fixed-point image blur (degrade/simd/usm_blur.h): exact 8-bit conversion,
// the blur within its bound of the float blur, the same bytes on every instruction set, and the
// whole unsharp mask on real frames within the 0.5/255 the engine allows its approximations.
#include "degrade/simd/usm_blur.h"

#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "degrade/ops/sharpen.h"
#include "degrade/simd/usm_mask.h"

namespace pf::degrade {
namespace {

// The blur of a float image in [0, 1] through the fixed-point passes, as sharpen.cpp runs them.
cv::Mat fixed_blur(const cv::Mat& img, int ksize) {
  const BlurKernel k = usm_blur_kernel(gaussian_half_kernel(ksize));
  const int half = ksize / 2, rows = img.rows, n = img.cols * img.channels();
  cv::Mat fixed(rows, n, CV_16U), out(rows, img.cols, img.type());
  for (int y = 0; y < rows; ++y)
    EXPECT_TRUE(usm_fixed_row(img.ptr<float>(y), n, fixed.ptr<uint16_t>(y)));
  std::vector<const uint16_t*> taps(rows + 2 * half);
  for (int j = 0; j < rows + 2 * half; ++j)
    taps[j] = fixed.ptr<uint16_t>(mirror_row(j - half, rows));
  std::vector<FixedRow> padded(rows, FixedRow(img.cols, img.channels(), half));
  std::vector<uint16_t*> outs(rows);
  for (int y = 0; y < rows; ++y) outs[y] = padded[y].data();
  fixed_filter_columns(taps.data(), rows, k.weights, n, outs.data());
  for (int y = 0; y < rows; ++y) padded[y].filter(k, out.ptr<float>(y));
  return out;
}

cv::Mat sample(const std::string& name, cv::Rect crop) {
  const cv::Mat bgr =
      cv::imread(std::string(PAIRFORGE_SOURCE_DIR) + "/datasets/samples/" + name, cv::IMREAD_COLOR);
  if (bgr.empty()) ADD_FAILURE() << "cannot read datasets/samples/" << name;
  cv::Mat f;
  bgr(crop).convertTo(f, CV_32F, 1.0 / 255);
  return f;
}

TEST(UsmBlur, EightBitValuesConvertExactlyAndOutOfRangeIsRefused) {
  std::vector<float> in(256 + 5);
  for (int v = 0; v < 256; ++v) in[v] = static_cast<float>(v / 255.0);
  for (int i = 256; i < 261; ++i) in[i] = 1.f;  // a scalar tail after the vectors
  std::vector<uint16_t> out(in.size());
  ASSERT_TRUE(usm_fixed_row(in.data(), static_cast<int>(in.size()), out.data()));
  for (int v = 0; v < 256; ++v) EXPECT_EQ(out[v], v * 256) << v;
  for (const float bad : {-1e-3f, 1.001f, std::numeric_limits<float>::quiet_NaN()})
    for (const size_t at : {size_t{3}, in.size() - 1}) {  // in a vector, in the scalar tail
      std::vector<float> copy = in;
      copy[at] = bad;
      EXPECT_FALSE(usm_fixed_row(copy.data(), static_cast<int>(copy.size()), out.data()))
          << bad << " at " << at;
    }
}

// Against the float blur (OpenCV's GaussianBlur) on random images, which reach the extremes, and
// on a real frame: within the bound for every kernel size the op accepts, and the same bytes on
// every instruction set.
TEST(UsmBlur, StaysWithinItsBoundOfTheFloatBlurOnEveryInstructionSet) {
  cv::Mat noise(70, 61, CV_32FC3);
  cv::randu(noise, 0.0, 1.0);
  cv::Mat binary = noise > 0.5;  // 0 and 255: the largest swings
  binary.convertTo(binary, CV_32F, 1.0 / 255);
  const cv::Mat frame = sample("photo_coffee.png", cv::Rect(200, 100, 160, 120));
  for (const int ksize : {3, 11, 51, 101}) {
    const BlurKernel k = usm_blur_kernel(gaussian_half_kernel(ksize));
    double worst = 0;
    for (const cv::Mat& img : {noise, binary, frame}) {
      cv::Mat expected;
      cv::GaussianBlur(img, expected, cv::Size(ksize, ksize), 0, 0, cv::BORDER_REFLECT_101);
      std::vector<cv::Mat> outs;
      for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
        hwy::SetSupportedTargetsForTest(target);
        outs.push_back(fixed_blur(img, ksize));
      }
      hwy::SetSupportedTargetsForTest(0);
      const double d = cv::norm(outs[0], expected, cv::NORM_INF);
      EXPECT_LE(d, k.bound) << ksize;
      worst = std::max(worst, d);
      for (const cv::Mat& out : outs) EXPECT_EQ(cv::norm(out, outs[0], cv::NORM_INF), 0.0);
    }
    std::printf("%3d taps: fixed-point blur error %.3f/255, bound %.3f/255\n", ksize, worst * 255,
                k.bound * 255);
  }
}

// Real-ESRGAN's settings take the fixed-point blur; a threshold of 0 (every pixel sharpened, the
// blur's error everywhere) or a large amount does not.
TEST(UsmBlur, FixedPointOnlyWhereTheBoundsAllow) {
  const HalfKernel g = gaussian_half_kernel(51);
  const MaskKernel mask = usm_mask_kernel(g);
  const BlurKernel blur = usm_blur_kernel(g);
  EXPECT_LT(blur.bound, 0.15 / 255);
  EXPECT_TRUE(usm_blurs_in_fixed_point(mask, blur, 0.5, 10));
  EXPECT_FALSE(usm_blurs_in_fixed_point(mask, blur, 0.5, 0));
  EXPECT_FALSE(usm_blurs_in_fixed_point(mask, blur, 3, 10));
}

// The whole unsharp mask on real frames against the float reference. The blur's error moves an
// output by at most amount * bound; a pixel whose residual lies within the bound of the threshold
// can also fall on the other side of it and move its neighbours' soft masks a little (the float
// blur's own rounding does the same, 1e-7 from the threshold). Every pixel stays within 0.5/255.
TEST(UsmBlur, SharpenedFramesStayWithinHalfALevel) {
  double worst = 0;
  for (const auto& [name, crop] :
       {std::pair<std::string, cv::Rect>{"anime_bg_club.jpg", cv::Rect(300, 200, 480, 270)},
        {"photo_stream.jpg", cv::Rect(700, 400, 480, 270)},
        {"anime_concert.png", cv::Rect(900, 300, 480, 270)}}) {
    const cv::Mat img = sample(name, crop);
    const cv::Mat expected = usm_sharpen_reference(img, 51, 0.5, 10);
    const double d = cv::norm(usm_sharpen(img, 51, 0.5, 10), expected, cv::NORM_INF);
    EXPECT_LT(d, 0.5 / 255) << name;
    worst = std::max(worst, d);
  }
  std::printf("usm with the fixed-point blur vs the float reference: %.3f/255\n", worst * 255);
}

// A value outside [0, 1] sends its batch and the rest of the image to the float blur: the output
// is then within the soft mask's bound of the reference there, as without the fixed-point blur.
TEST(UsmBlur, OutOfRangeValuesFallBackToTheFloatBlur) {
  cv::Mat img = sample("photo_coffee.png", cv::Rect(100, 50, 200, 300));
  img.at<cv::Vec3f>(200, 50)[1] = 1.25f;  // e.g. an overshoot left by an earlier operator
  const cv::Mat expected = usm_sharpen_reference(img, 51, 0.5, 10);
  const cv::Mat out = usm_sharpen(img, 51, 0.5, 10);
  const double mask_bound = usm_mask_output_bound(usm_mask_kernel(gaussian_half_kernel(51)), 0.5);
  // Row 200 is first read by the batch of rows from 160 (16 rows, 25 below them): from there on
  // the blur is float, and from row 185 on every soft mask is made of float blurs alone.
  const cv::Range late(185, img.rows);
  EXPECT_LE(cv::norm(out.rowRange(late), expected.rowRange(late), cv::NORM_INF), mask_bound + 1e-6);
  EXPECT_LT(cv::norm(out, expected, cv::NORM_INF), 0.5 / 255);
}

}  // namespace
}  // namespace pf::degrade

// The unsharp mask's fixed-point soft mask (degrade/simd/usm_mask.h): its kernels, its error bound
// against OpenCV's float GaussianBlur of the same 0/1 mask, and the exact 0 and 1 of uniform
// windows.
#include "degrade/simd/usm_mask.h"

#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <algorithm>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "core/rng.h"
#include "degrade/ops/sharpen.h"

namespace pf::degrade {
namespace {

// The soft mask of a CV_16UC(n) 0/1 mask through the fixed-point passes, as float (1 = 1.0);
// with `skip`, stretches of zeros are skipped (their flags counted in `quiet_tiles`).
cv::Mat fixed_soft_mask(const cv::Mat& mask, int ksize, bool skip = true,
                        int* quiet_tiles = nullptr) {
  const MaskKernel k = usm_mask_kernel(gaussian_half_kernel(ksize));
  const int half = ksize / 2, rows = mask.rows, n = mask.cols * mask.channels();
  cv::Mat filtered(rows, n, CV_16U), soft(rows, n, CV_16U), quiet(rows, mask_tiles(n), CV_8U);
  MaskRow row(mask.cols, mask.channels(), half);
  for (int y = 0; y < rows; ++y) {
    std::copy_n(mask.ptr<uint16_t>(y), n, row.data());
    row.filter(k, filtered.ptr<uint16_t>(y), skip ? quiet.ptr<uint8_t>(y) : nullptr);
  }
  if (quiet_tiles) *quiet_tiles = cv::countNonZero(quiet);
  std::vector<const uint16_t*> taps(rows + 2 * half);
  std::vector<const uint8_t*> quiet_taps(rows + 2 * half);
  std::vector<uint16_t*> outs(rows);
  for (int j = 0; j < rows + 2 * half; ++j) {
    taps[j] = filtered.ptr<uint16_t>(mirror_row(j - half, rows));
    quiet_taps[j] = quiet.ptr<uint8_t>(mirror_row(j - half, rows));
  }
  for (int y = 0; y < rows; ++y) outs[y] = soft.ptr<uint16_t>(y);
  usm_mask_columns(taps.data(), rows, k, n, outs.data(), skip ? quiet_taps.data() : nullptr);
  cv::Mat out;
  soft.reshape(mask.channels(), rows).convertTo(out, CV_32F, 1.0 / kMaskOne);
  return out;
}

cv::Mat random_mask(int rows, int cols, double density, uint64_t seed) {
  cv::Mat mask(rows, cols, CV_16UC3);
  Rng rng(seed);
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols * 3; ++x)
      mask.ptr<uint16_t>(y)[x] = rng.uniform(0, 1) < density ? 1 : 0;
  return mask;
}

TEST(UsmMask, KernelsSumToExactlyOne) {
  for (int ksize = 3; ksize <= 101; ksize += 2) {
    const MaskKernel k = usm_mask_kernel(gaussian_half_kernel(ksize));
    long row = k.row[0], column = 0;
    for (size_t i = 1; i < k.row.size(); ++i) row += 2L * k.row[i];
    for (const uint16_t c : k.column) {
      column += c;
      EXPECT_EQ(c % 2, 0) << ksize;
      EXPECT_LT(static_cast<long>(k.offset) * c, 65536) << ksize;  // zeros stay 0
    }
    EXPECT_EQ(row, kMaskOne) << ksize;
    EXPECT_EQ(column, 65536) << ksize;
  }
}

// The limit for approximations is 0.5/255 on every output pixel: it holds for every
// kernel size the operator takes (radius 1-101; 1 tap is a no-op) and every amount (0-5).
TEST(UsmMask, OutputBoundIsUnderHalfAGreyLevelForEveryRadiusAndAmount) {
  double worst = 0;
  for (int ksize = 3; ksize <= 101; ksize += 2) {
    const MaskKernel k = usm_mask_kernel(gaussian_half_kernel(ksize));
    worst = std::max(worst, usm_mask_output_bound(k, 5.0));
  }
  const MaskKernel esrgan = usm_mask_kernel(gaussian_half_kernel(51));
  std::printf(
      "soft-mask bound at 51 taps %.3f/255; output bound at amount 0.5 %.3f/255, "
      "worst over radius and amount %.3f/255\n",
      esrgan.bound * 255, usm_mask_output_bound(esrgan, 0.5) * 255, worst * 255);
  // The figures `pairforge ops` names for the sharpen operator.
  EXPECT_LT(worst, 0.4 / 255);                                // 0.386/255
  EXPECT_LT(usm_mask_output_bound(esrgan, 0.5), 0.08 / 255);  // 0.075/255
}

// Masks of every density, the largest kernel and Real-ESRGAN's, mirrored edges included: the
// fixed-point soft mask stays within its bound of OpenCV's float blur of the same mask.
TEST(UsmMask, SoftMaskStaysWithinItsBoundOfTheFloatBlur) {
  for (const int ksize : {3, 11, 51, 101}) {
    const double bound = usm_mask_kernel(gaussian_half_kernel(ksize)).bound;
    double worst = 0;
    for (const double density : {0.02, 0.3, 0.5, 0.7, 0.98}) {
      const cv::Mat mask = random_mask(130, 70, density, 11 + ksize);
      cv::Mat mask_f, expected;
      mask.convertTo(mask_f, CV_32F);
      cv::GaussianBlur(mask_f, expected, cv::Size(ksize, ksize), 0);
      const double d = cv::norm(fixed_soft_mask(mask, ksize), expected, cv::NORM_INF);
      EXPECT_LE(d, bound + 1e-6) << ksize << " taps, density " << density;
      worst = std::max(worst, d);
    }
    std::printf("%3d taps: largest soft-mask error %.2e, bound %.2e\n", ksize, worst, bound);
  }
}

TEST(UsmMask, UniformWindowsGiveExactlyZeroAndOne) {
  for (const int ksize : {3, 51, 101}) {
    const cv::Mat zeros(60, 90, CV_16UC3, cv::Scalar::all(0));
    const cv::Mat ones(60, 90, CV_16UC3, cv::Scalar::all(1));
    EXPECT_EQ(cv::norm(fixed_soft_mask(zeros, ksize), cv::NORM_INF), 0.0) << ksize;
    const cv::Mat soft = fixed_soft_mask(ones, ksize);
    EXPECT_EQ(cv::norm(soft, cv::Mat(soft.size(), soft.type(), cv::Scalar::all(1)), cv::NORM_INF),
              0.0)
        << ksize;
  }
}

// Skipping the stretches where every window holds only zeros gives the same bytes as filtering
// them: a mostly empty mask with a few marks, a dense patch and marks at the edges.
TEST(UsmMask, SkippingEmptyStretchesGivesTheSameBytes) {
  for (const int ksize : {3, 51, 101}) {
    cv::Mat mask(300, 400, CV_16UC3, cv::Scalar::all(0));
    random_mask(40, 60, 0.5, 4).copyTo(mask(cv::Rect(150, 120, 60, 40)));
    mask.at<cv::Vec<uint16_t, 3>>(0, 0)[1] = 1;
    mask.at<cv::Vec<uint16_t, 3>>(299, 399)[2] = 1;
    mask.at<cv::Vec<uint16_t, 3>>(10, 300)[0] = 1;
    int quiet = 0;
    const cv::Mat skipped = fixed_soft_mask(mask, ksize, true, &quiet);
    const cv::Mat filtered = fixed_soft_mask(mask, ksize, false);
    EXPECT_EQ(cv::norm(skipped, filtered, cv::NORM_INF), 0.0) << ksize;
    EXPECT_GT(quiet, 300) << ksize;  // of 300 rows x 5 tiles: the skips did happen
  }
}

// The whole unsharp mask on a high-contrast random image (its mask is dense and ragged) against
// the float reference: within the output bound, and the same bytes on every instruction set.
TEST(UsmMask, SharpenStaysWithinTheOutputBoundOnEveryInstructionSet) {
  cv::Mat img(120, 90, CV_32FC3);
  cv::randu(img, 0.0, 1.0);
  cv::GaussianBlur(img, img, cv::Size(3, 3), 0);
  const double amount = 2.0;
  const cv::Mat expected = usm_sharpen_reference(img, 51, amount, 10);
  const double bound = usm_mask_output_bound(usm_mask_kernel(gaussian_half_kernel(51)), amount);
  std::vector<cv::Mat> outs;
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    outs.push_back(usm_sharpen(img, 51, amount, 10));
  }
  hwy::SetSupportedTargetsForTest(0);
  ASSERT_FALSE(outs.empty());
  const double d = cv::norm(outs[0], expected, cv::NORM_INF);
  std::printf("usm (amount 2) vs the float reference: %.3f/255, bound %.3f/255\n", d * 255,
              bound * 255);
  EXPECT_LE(d, bound + 1e-6);
  for (const cv::Mat& out : outs) EXPECT_EQ(cv::norm(out, outs[0], cv::NORM_INF), 0.0);
}

}  // namespace
}  // namespace pf::degrade

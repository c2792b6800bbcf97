// The vectorised filters of degrade/simd: equal to OpenCV's on the same taps up to float
// rounding, exact on row ranges and tiny images, and byte-identical on every instruction set
// Highway can dispatch to here (same seed, same bytes on any machine).
#include "degrade/simd/sym_filter.h"

#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <cstring>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/rng.h"
#include "degrade/ops/sharpen.h"

namespace pf::degrade {
namespace {

cv::Mat random_image(int rows, int cols, int channels, uint64_t seed) {
  cv::Mat img(rows, cols, CV_32FC(channels));
  Rng rng(seed);
  for (int y = 0; y < rows; ++y) {
    float* p = img.ptr<float>(y);
    for (int x = 0; x < cols * channels; ++x) p[x] = static_cast<float>(rng.uniform(0, 1));
  }
  return img;
}

cv::Mat full_kernel(const HalfKernel& half) {
  const int n = static_cast<int>(half.size()) * 2 - 1, c = n / 2;
  cv::Mat k(n, 1, CV_32F);
  for (int i = 0; i < n; ++i) k.at<float>(i) = half[std::abs(i - c)];
  return k;
}

bool same_bytes(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return false;
  for (int y = 0; y < a.rows; ++y)
    if (std::memcmp(a.ptr(y), b.ptr(y), a.cols * a.elemSize()) != 0) return false;
  return true;
}

TEST(SymFilter, GaussianHalfKernelIsOpenCvsAndSumsToOne) {
  for (int ksize : {3, 7, 21, 51}) {
    const HalfKernel h = gaussian_half_kernel(ksize);
    ASSERT_EQ(h.size(), static_cast<size_t>(ksize / 2 + 1));
    const cv::Mat cvk = cv::getGaussianKernel(ksize, 0, CV_32F);
    double sum = 0;
    for (int i = 0; i < ksize; ++i) {
      EXPECT_EQ(h[std::abs(i - ksize / 2)], cvk.at<float>(i)) << ksize << " tap " << i;
      sum += cvk.at<float>(i);
    }
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
  EXPECT_THROW(half_of_symmetric({0.2, 0.5, 0.3}), Error);
  EXPECT_THROW(half_of_symmetric({0.5, 0.5}), Error);
}

TEST(SymFilter, SeparableEqualsOpenCvForEveryChannelCountAndSize) {
  double worst = 0;
  for (int channels = 1; channels <= 4; ++channels) {
    for (const cv::Size size :
         {cv::Size(97, 61), cv::Size(5, 3), cv::Size(1, 40), cv::Size(40, 1), cv::Size(1, 1)}) {
      const cv::Mat img = random_image(size.height, size.width, channels, 7 + channels);
      for (int ksize : {3, 9, 51}) {  // 51: wider than several of the images (mirrored again)
        const HalfKernel kx = gaussian_half_kernel(ksize), ky = gaussian_half_kernel(ksize, 2.5);
        cv::Mat expected, fast;
        cv::sepFilter2D(img, expected, -1, full_kernel(kx), full_kernel(ky), cv::Point(-1, -1), 0,
                        cv::BORDER_REFLECT_101);
        sym_sep_filter(img, fast, kx, ky);
        const double d = cv::norm(expected, fast, cv::NORM_INF);
        EXPECT_LE(d, 2e-6) << channels << " channels, " << size << ", ksize " << ksize;
        worst = std::max(worst, d);
      }
    }
  }
  std::printf("sym_sep_filter vs sepFilter2D: max abs difference %.3g\n", worst);
}

// An antisymmetric kernel: a derivative of a Gaussian, the shape of the odd SVD terms of a
// rotated anisotropic blur kernel.
std::vector<double> odd_taps(int ksize, double sigma) {
  std::vector<double> t(ksize);
  for (int i = 0; i < ksize; ++i) {
    const double x = i - ksize / 2;
    t[i] = x * std::exp(-x * x / (2 * sigma * sigma));
  }
  return t;
}

cv::Mat full_taps(const std::vector<double>& t) {
  cv::Mat k(static_cast<int>(t.size()), 1, CV_32F);
  for (size_t i = 0; i < t.size(); ++i) k.at<float>(static_cast<int>(i)) = static_cast<float>(t[i]);
  return k;
}

TEST(SymFilter, OddKernelsEqualOpenCvAndAccumulatingAddsTheTerm) {
  const HalfKernel odd = half_of_kernel(odd_taps(9, 2.0)), even = gaussian_half_kernel(7);
  EXPECT_TRUE(odd.odd);
  EXPECT_FALSE(even.odd);
  EXPECT_FALSE(half_of_kernel({0.25, 0.5, 0.25}).odd);
  EXPECT_THROW(half_of_kernel({0.2, 0.5, 0.3}), Error);
  EXPECT_THROW(half_of_symmetric(odd_taps(9, 2.0)), Error);
  double worst = 0;
  for (int channels : {1, 3}) {
    for (const cv::Size size : {cv::Size(97, 61), cv::Size(3, 5), cv::Size(1, 1)}) {
      const cv::Mat img = random_image(size.height, size.width, channels, 21 + channels);
      // odd x odd (the usual odd term), odd x even and even x odd.
      for (const auto& [kx, ky] :
           {std::pair{odd, odd}, std::pair{odd, even}, std::pair{even, odd}}) {
        const cv::Mat fx = kx.odd ? full_taps(odd_taps(9, 2.0)) : full_kernel(kx);
        const cv::Mat fy = ky.odd ? full_taps(odd_taps(9, 2.0)) : full_kernel(ky);
        cv::Mat expected, fast;
        cv::sepFilter2D(img, expected, -1, fx, fy, cv::Point(-1, -1), 0, cv::BORDER_REFLECT_101);
        sym_sep_filter(img, fast, kx, ky);
        const double d = cv::norm(expected, fast, cv::NORM_INF);
        EXPECT_LE(d, 2e-5) << channels << " channels, " << size;  // taps up to 1.2, sums ~10
        worst = std::max(worst, d);
        // Accumulating into a sum gives the bytes of sum + the separately filtered term.
        cv::Mat sum = random_image(size.height, size.width, channels, 5), separate;
        const cv::Mat before = sum.clone();
        sym_sep_filter_rows(img, 0, img.rows, kx, ky, sum, true);
        cv::add(before, fast, separate);
        EXPECT_TRUE(same_bytes(sum, separate)) << channels << " channels, " << size;
      }
    }
  }
  std::printf("odd kernels vs sepFilter2D: max abs difference %.3g\n", worst);
  cv::Mat wrong(3, 3, CV_32FC3);
  EXPECT_THROW(sym_sep_filter_rows(random_image(4, 4, 3, 1), 0, 4, odd, odd, wrong, true), Error);
}

TEST(SymFilter, RowRangesEqualTheWholeImagesRowsAndInPlaceWorks) {
  const cv::Mat img = random_image(70, 33, 3, 3);
  const HalfKernel k = gaussian_half_kernel(21);
  cv::Mat whole, part;
  sym_sep_filter(img, whole, k, k);
  for (const auto& [y0, y1] : {std::pair{0, 16}, std::pair{5, 40}, std::pair{60, 70}}) {
    sym_sep_filter_rows(img, y0, y1, k, k, part);
    EXPECT_TRUE(same_bytes(part, whole.rowRange(y0, y1))) << y0 << ".." << y1;
  }
  cv::Mat in_place = img.clone();
  sym_sep_filter(in_place, in_place, k, k);
  EXPECT_TRUE(same_bytes(in_place, whole));
}

TEST(SymFilter, PairedTapsEqualFilter2DAndDropOnlyWhatTheBudgetAllows) {
  // A rotated, elongated kernel with point symmetry.
  cv::Mat kernel(15, 15, CV_32F);
  double sum = 0;
  for (int y = -7; y <= 7; ++y)
    for (int x = -7; x <= 7; ++x) {
      const double u = 0.8 * x + 0.6 * y, v = -0.6 * x + 0.8 * y;
      sum += kernel.at<float>(y + 7, x + 7) =
          static_cast<float>(std::exp(-u * u / 18 - v * v / 1.2));
    }
  kernel /= sum;
  const cv::Mat img = random_image(45, 38, 3, 5);
  cv::Mat expected, fast;
  cv::filter2D(img, expected, -1, kernel, cv::Point(-1, -1), 0, cv::BORDER_REFLECT_101);
  const PairedTaps all = paired_taps(kernel, 0);
  ASSERT_TRUE(all.symmetric);
  EXPECT_EQ(all.w.size(), 112u);  // (225 - 1) / 2 pairs, none dropped
  paired_taps_filter(img, fast, all);
  EXPECT_LE(cv::norm(expected, fast, cv::NORM_INF), 2e-6);
  const double budget = 0.4 / 255;
  const PairedTaps some = paired_taps(kernel, budget);
  EXPECT_LT(some.w.size(), all.w.size() / 2);  // the taps off the kernel's axis go
  EXPECT_LE(some.dropped_l1, budget);
  paired_taps_filter(img, fast, some);
  const double d = cv::norm(expected, fast, cv::NORM_INF);
  EXPECT_LE(d, some.dropped_l1 + 1e-6);
  std::printf("paired taps: %zu of %zu pairs kept, dropped L1 %.3g, max abs difference %.3g\n",
              some.w.size(), all.w.size(), some.dropped_l1, d);
  // A kernel without point symmetry is refused (the caller falls back to filter2D).
  cv::Mat skew = kernel.clone();
  skew.at<float>(0, 0) += 0.01f;
  EXPECT_FALSE(paired_taps(skew, budget).symmetric);
  // Images narrower or shorter than the kernel (edge strips overlapping, mirrored several
  // times), one channel and three, and tall ones (several stripes).
  for (const cv::Size size : {cv::Size(1, 1), cv::Size(5, 3), cv::Size(13, 9), cv::Size(20, 150)})
    for (const int channels : {1, 3}) {
      const cv::Mat small = random_image(size.height, size.width, channels, 6);
      cv::filter2D(small, expected, -1, kernel, cv::Point(-1, -1), 0, cv::BORDER_REFLECT_101);
      paired_taps_filter(small, fast, all);
      EXPECT_LE(cv::norm(expected, fast, cv::NORM_INF), 2e-6) << size << " x" << channels;
    }
}

// The column passes run four output rows at a time where they can (column_four-inl.h) and one at
// a time for the rest: both sum each output alike, in float (symmetric and antisymmetric
// kernels) and in the 16-bit fixed point of the unsharp mask.
TEST(SymFilter, ColumnPassesGiveTheSameBytesFourRowsOrOneAtATime) {
  const int rows = 11, half = 5, n = 3 * 37;  // 37 pixels: vectors and a scalar tail
  const cv::Mat img = random_image(rows + 2 * half, 37, 3, 4);
  std::vector<const float*> taps;
  for (int y = 0; y < img.rows; ++y) taps.push_back(img.ptr<float>(y));
  for (const HalfKernel& k :
       {gaussian_half_kernel(2 * half + 1), half_of_kernel(odd_taps(11, 2.0))}) {
    cv::Mat four(rows, n, CV_32F), one(rows, n, CV_32F);
    std::vector<float*> outs;
    for (int r = 0; r < rows; ++r) outs.push_back(four.ptr<float>(r));
    sym_filter_columns(taps.data(), rows, k, n, outs.data());  // 2 fours, then 3 single rows
    for (int r = 0; r < rows; ++r) {
      float* out = one.ptr<float>(r);
      sym_filter_columns(taps.data() + r, 1, k, n, &out);
    }
    EXPECT_TRUE(same_bytes(four, one)) << k.odd;
  }
  cv::Mat fixed(rows + 2 * half, n, CV_16U);
  cv::randu(fixed, 0, 65281);
  std::vector<const uint16_t*> fixed_taps;
  for (int y = 0; y < fixed.rows; ++y) fixed_taps.push_back(fixed.ptr<uint16_t>(y));
  const BlurKernel b = usm_blur_kernel(gaussian_half_kernel(2 * half + 1));
  cv::Mat four(rows, n, CV_16U), one(rows, n, CV_16U);
  std::vector<uint16_t*> outs;
  for (int r = 0; r < rows; ++r) outs.push_back(four.ptr<uint16_t>(r));
  fixed_filter_columns(fixed_taps.data(), rows, b.weights, n, outs.data());
  for (int r = 0; r < rows; ++r) {
    uint16_t* out = one.ptr<uint16_t>(r);
    fixed_filter_columns(fixed_taps.data() + r, 1, b.weights, n, &out);
  }
  EXPECT_EQ(cv::norm(four, one, cv::NORM_INF), 0.0);
}

TEST(SymFilter, EveryInstructionSetGivesTheSameBytes) {
  const cv::Mat img = random_image(37, 101, 3, 9);  // 303 floats a row: vector, 1-lane and tails
  const HalfKernel k = gaussian_half_kernel(25);
  cv::Mat kernel(9, 9, CV_32F);
  for (int y = 0; y < 9; ++y)
    for (int x = 0; x < 9; ++x)
      kernel.at<float>(y, x) = 1.f / (1 + std::abs(x - 4) + 2 * std::abs(y - 4));
  const PairedTaps taps = paired_taps(kernel, 0);
  const HalfKernel odd = half_of_kernel(odd_taps(9, 2.0));
  std::vector<cv::Mat> separable, paired, accumulated, sharpened;
  std::string names;
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    cv::Mat a, b;
    sym_sep_filter(img, a, k, k);
    paired_taps_filter(img, b, taps);
    cv::Mat c = a.clone();
    sym_sep_filter_rows(img, 0, img.rows, odd, odd, c, true);
    separable.push_back(a), paired.push_back(b), accumulated.push_back(c);
    sharpened.push_back(usm_sharpen(img, 51, 0.5, 10));  // the filters and usm_rows.h
    names += std::string(" ") + hwy::TargetName(target);
  }
  hwy::SetSupportedTargetsForTest(0);
  std::printf("instruction sets compared:%s\n", names.c_str());
  ASSERT_FALSE(separable.empty());
  for (size_t i = 1; i < separable.size(); ++i) {
    EXPECT_TRUE(same_bytes(separable[i], separable[0])) << names;
    EXPECT_TRUE(same_bytes(paired[i], paired[0])) << names;
    EXPECT_TRUE(same_bytes(accumulated[i], accumulated[0])) << names;
    EXPECT_TRUE(same_bytes(sharpened[i], sharpened[0])) << names;
  }
}

}  // namespace
}  // namespace pf::degrade

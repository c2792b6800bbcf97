#include "degrade/ops/blur.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "core/rng.h"
#include "degrade/registry.h"

namespace pf::degrade {
namespace {

BlurParams defaults() {
  BlurParams p = bind_values<BlurParams>({}, {});
  p.kernel = "iso", p.size = 21, p.sigma_x = 2, p.sigma_y = 2, p.rotation = 0, p.beta = 1;
  p.cutoff = 1.5, p.radius = 3, p.length = 7, p.angle = 0;
  return p;
}

TEST(Blur, EveryKernelSumsToOne) {
  for (const char* k : {"iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso",
                        "plateau_aniso", "sinc", "box", "disc", "motion"}) {
    for (int size : {3, 7, 21}) {
      BlurParams p = defaults();
      p.kernel = k, p.size = size, p.sigma_y = 0.7, p.rotation = 30, p.beta = 1.7;
      const cv::Mat kernel = make_blur_kernel(p);
      EXPECT_EQ(kernel.rows, size);
      EXPECT_NEAR(cv::sum(kernel)[0], 1.0, 1e-5) << k << " " << size;
    }
  }
}

TEST(Blur, IsoGaussianMatchesClosedForm) {
  BlurParams p = defaults();
  p.size = 9, p.sigma_x = 1.3;
  const cv::Mat k = make_blur_kernel(p);
  double z = 0;
  for (int y = -4; y <= 4; ++y)
    for (int x = -4; x <= 4; ++x) z += std::exp(-(x * x + y * y) / (2 * 1.3 * 1.3));
  for (int y = -4; y <= 4; ++y)
    for (int x = -4; x <= 4; ++x)
      EXPECT_NEAR(k.at<float>(y + 4, x + 4), std::exp(-(x * x + y * y) / (2 * 1.69)) / z, 1e-7);
}

TEST(Blur, AnisoRotationTurnsTheKernel) {
  BlurParams p = defaults();
  p.kernel = "aniso", p.sigma_x = 3, p.sigma_y = 0.5, p.rotation = 0;
  const cv::Mat k0 = make_blur_kernel(p);
  p.rotation = 90;
  const cv::Mat k90 = make_blur_kernel(p);
  cv::Mat t;
  cv::transpose(k0, t);
  EXPECT_LT(cv::norm(t, k90, cv::NORM_INF), 1e-6);
  EXPECT_GT(k0.at<float>(10, 14), 10 * k0.at<float>(14, 10));  // wide along x at 0°
}

TEST(Blur, GeneralizedWithBetaOneIsGaussian) {
  BlurParams p = defaults();
  const cv::Mat g = make_blur_kernel(p);
  p.kernel = "generalized_iso", p.beta = 1.0;
  EXPECT_LT(cv::norm(g, make_blur_kernel(p), cv::NORM_INF), 1e-7);
}

TEST(Blur, PlateauMatchesClosedForm) {
  BlurParams p = defaults();
  p.kernel = "plateau_iso", p.size = 7, p.sigma_x = 1.5, p.beta = 2;
  const cv::Mat k = make_blur_kernel(p);
  auto f = [](int x, int y) { return 1.0 / (std::pow((x * x + y * y) / 2.25, 2.0) + 1.0); };
  double z = 0;
  for (int y = -3; y <= 3; ++y)
    for (int x = -3; x <= 3; ++x) z += f(x, y);
  EXPECT_NEAR(k.at<float>(3, 3), f(0, 0) / z, 1e-6);
  EXPECT_NEAR(k.at<float>(1, 5), f(2, -2) / z, 1e-6);
}

TEST(Blur, SincCentreIsOmegaSquaredOverFourPi) {
  BlurParams p = defaults();
  p.kernel = "sinc", p.size = 21, p.cutoff = M_PI;  // cutoff pi: a near-delta in the limit
  const cv::Mat k = make_blur_kernel(p);
  // Unnormalised centre value is omega^2/(4 pi); after normalisation the ratio to the
  // neighbour at r=1 must be the closed form ratio.
  const double centre = M_PI * M_PI / (4 * M_PI);
  const double r1 = M_PI * std::cyl_bessel_j(1.0, M_PI) / (2 * M_PI);
  EXPECT_NEAR(k.at<float>(10, 10) / k.at<float>(10, 11), centre / r1, 1e-4);
}

TEST(Blur, FlatImageStaysFlatAndEdgesSoften) {
  cv::Mat flat(32, 32, CV_32FC3, cv::Scalar(0.3, 0.5, 0.7));
  Pair pair{flat.clone(), flat.clone(), 1};
  Rng rng(1);
  const OpInfo* info = find_op("blur");
  ASSERT_NE(info, nullptr);
  info->make()->apply({{"kernel", std::string("disc")}, {"size", int64_t{9}}}, pair, rng);
  EXPECT_LT(cv::norm(pair.lq, flat, cv::NORM_INF), 1e-5);

  cv::Mat edge(32, 32, CV_32FC3, cv::Scalar::all(0));
  edge(cv::Rect(16, 0, 16, 32)).setTo(cv::Scalar::all(1));
  Pair e{edge.clone(), edge.clone(), 1};
  info->make()->apply({{"sigma_x", 2.0}}, e, rng);
  const float mid = e.lq.at<cv::Vec3f>(16, 15)[0];
  EXPECT_GT(mid, 0.2f);
  EXPECT_LT(mid, 0.5f);
}

// A [0, 1] test image with edges, texture and noise, so every kernel tap matters.
cv::Mat textured(int rows, int cols, uint64_t seed) {
  cv::Mat img(rows, cols, CV_32FC3);
  Rng rng(seed);
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols; ++x)
      for (int c = 0; c < 3; ++c)
        img.at<cv::Vec3f>(y, x)[c] = static_cast<float>(
            std::clamp(0.5 + 0.3 * std::sin(0.7 * x + c) * ((x / 9 + y / 7) % 2 ? 1 : -1) +
                           0.15 * rng.uniform(-1, 1),
                       0.0, 1.0));
  return img;
}

TEST(Blur, FastPathEqualsFilter2DForEveryKernelAndSize) {
  const cv::Mat img = textured(72, 96, 11);
  double worst = 0;
  for (const char* k : {"iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso",
                        "plateau_aniso", "sinc", "box", "disc", "motion"}) {
    for (int size = 3; size <= 21; size += 2) {
      for (double sigma : {0.3, 1.2, 3.0}) {
        BlurParams p = defaults();
        p.kernel = k, p.size = size, p.sigma_x = sigma, p.sigma_y = 0.6, p.rotation = 37;
        p.beta = 1.6, p.cutoff = 3.0 / sigma, p.radius = 3 * sigma, p.length = 5 * sigma;
        p.angle = 23;
        const cv::Mat kernel = make_blur_kernel(p);
        cv::Mat expected, fast;
        cv::filter2D(img, expected, -1, kernel, cv::Point(-1, -1), 0, cv::BORDER_REFLECT_101);
        blur_image(img, fast, kernel);
        double diff = cv::norm(expected, fast, cv::NORM_INF);
        blur_image(img, fast, kernel, 17);  // stripes shorter than the kernel's reach
        diff = std::max(diff, cv::norm(expected, fast, cv::NORM_INF));
        EXPECT_LE(diff, kBlurApproximationL1 + 1e-6) << k << " size " << size << " sigma " << sigma;
        worst = std::max(worst, diff);
      }
    }
  }
  RecordProperty("max_abs_diff", std::to_string(worst));
  std::printf("blur fast path vs filter2D: max abs difference %.3g (%.3f/255)\n", worst,
              worst * 255);
  EXPECT_LT(worst * 255, 0.5);  // the bound for any approximation
}

TEST(Blur, SeparableTermsFollowTheKernelsRank) {
  BlurParams p = defaults();
  p.size = 21, p.sigma_x = 2.5;
  EXPECT_EQ(separable_terms(make_blur_kernel(p), 1e-5).rows.size(), 1u);  // iso Gaussian
  p.kernel = "box";
  EXPECT_EQ(separable_terms(make_blur_kernel(p), 1e-5).rows.size(), 1u);
  p.kernel = "aniso", p.sigma_y = 0.5, p.rotation = 45;  // rotated: not separable
  const SeparableTerms t = separable_terms(make_blur_kernel(p), 1e-5);
  EXPECT_GT(t.rows.size(), 1u);
  EXPECT_LE(t.residual_l1, 1e-5);
  // The terms add up to the kernel within the stated residual.
  cv::Mat sum = cv::Mat::zeros(21, 21, CV_32F);
  for (size_t i = 0; i < t.rows.size(); ++i) sum += t.columns[i] * t.rows[i];
  EXPECT_LE(cv::norm(sum, make_blur_kernel(p), cv::NORM_L1), 1e-5);
}

}  // namespace
}  // namespace pf::degrade

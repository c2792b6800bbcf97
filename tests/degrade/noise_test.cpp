#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <vector>

#include "degrade/color_space.h"
#include "degrade/registry.h"

namespace pf::degrade {
namespace {

cv::Mat apply_noise(const Values& values, const cv::Mat& img, uint64_t seed = 7) {
  const OpInfo* info = find_op("noise");
  EXPECT_NE(info, nullptr);
  Pair pair{img.clone(), img.clone(), 1, {}};
  Rng rng(seed);
  info->make()->apply(values, pair, rng);
  return pair.lq;
}

double std_dev(const cv::Mat& m) {
  cv::Scalar mean, dev;
  cv::meanStdDev(m.reshape(1), mean, dev);
  return dev[0];
}

cv::Mat plane(const cv::Mat& img, int c) {
  cv::Mat out;
  cv::extractChannel(img, out, c);
  return out;
}

TEST(Noise, GaussianStdDevMatchesSigma) {
  const cv::Mat grey(128, 128, CV_32FC3, cv::Scalar::all(0.5));
  for (double sigma : {2.0, 5.0, 10.0, 20.0, 30.0}) {
    const cv::Mat noise = (apply_noise({{"sigma", sigma}}, grey) - grey) * 255.0;
    EXPECT_NEAR(std_dev(noise), sigma, 0.05 * sigma) << "sigma " << sigma;
    EXPECT_NEAR(cv::mean(noise.reshape(1))[0], 0.0, 0.05 * sigma);
  }
}

TEST(Noise, GrayNoiseIsTheSameOnEveryChannel) {
  // A flat image has one 8-bit level, so Poisson counts one photon per unit: scale keeps it
  // small enough that no channel clips.
  const cv::Mat grey(64, 64, CV_32FC3, cv::Scalar(0.4, 0.5, 0.6));
  for (const char* type : {"gaussian", "poisson", "speckle", "salt_pepper"}) {
    const cv::Mat noise =
        apply_noise({{"type", std::string(type)}, {"gray", true}, {"amount", 0.2}, {"scale", 0.05}},
                    grey) -
        grey;
    if (std::string(type) != "salt_pepper") {
      EXPECT_LT(cv::norm(plane(noise, 0), plane(noise, 1), cv::NORM_INF), 1e-6) << type;
      EXPECT_LT(cv::norm(plane(noise, 0), plane(noise, 2), cv::NORM_INF), 1e-6) << type;
    }
    EXPECT_GT(cv::norm(noise, cv::NORM_INF), 0.01) << type;
  }
  // Colour noise: the channels are independent.
  const cv::Mat colour = apply_noise({{"sigma", 10.0}}, grey) - grey;
  EXPECT_GT(cv::norm(plane(colour, 0), plane(colour, 1), cv::NORM_L2) / 64, 0.03);
}

TEST(Noise, PoissonVarianceIsProportionalToIntensity) {
  // Row 0 holds all 256 levels, so Real-ESRGAN's level count is 256; four flat bands follow.
  cv::Mat img(97, 256, CV_32FC3);
  for (int x = 0; x < 256; ++x) img.at<cv::Vec3f>(0, x) = cv::Vec3f::all(x / 255.f);
  const int levels[] = {26, 64, 128, 179};
  for (int b = 0; b < 4; ++b)
    img(cv::Rect(0, 1 + 24 * b, 256, 24)).setTo(cv::Scalar::all(levels[b] / 255.0));
  for (double scale : {1.0, 2.0}) {
    const cv::Mat noise =
        apply_noise({{"type", std::string("poisson")}, {"scale", scale}}, img) - img;
    for (int b = 0; b < 4; ++b) {
      const double intensity = levels[b] / 255.0;
      const double var = std::pow(std_dev(noise(cv::Rect(0, 1 + 24 * b, 256, 24))), 2);
      // var(poisson(I * 256) / 256) * scale^2 = I * scale^2 / 256.
      EXPECT_NEAR(var * 256 / (scale * scale), intensity, 0.05 * intensity)
          << "level " << levels[b] << " scale " << scale;
    }
  }
}

// The per-level table sampler against the Poisson pmf itself (not only its variance): a flat band
// at level q gets counts k ~ Poisson(q / 255 * 256); chi-square over the bins holding >= 5
// expected samples, the tails pooled into the end bins.
TEST(Noise, PoissonCountsFollowThePoissonPmf) {
  for (int q : {3, 13, 40}) {
    cv::Mat img(97, 256, CV_32FC3, cv::Scalar::all(q / 255.0));
    for (int x = 0; x < 256; ++x) img.at<cv::Vec3f>(0, x) = cv::Vec3f::all(x / 255.f);
    const cv::Mat out = apply_noise({{"type", std::string("poisson")}, {"scale", 1.0}}, img, 99);
    const double lambda = static_cast<double>(q / 255.f) * 256;
    std::vector<double> observed(1024, 0);
    const cv::Mat band = out(cv::Rect(0, 1, 256, 96)).clone().reshape(1);
    for (int i = 0; i < static_cast<int>(band.total()); ++i)
      ++observed[static_cast<int>(std::lround(band.at<float>(i) * 256.0))];
    const double n = static_cast<double>(band.total());
    std::vector<double> pmf(1024);
    double p = std::exp(-lambda);
    for (int k = 0; k < 1024; ++k) pmf[k] = p, p *= lambda / (k + 1);
    // Bins [0, lo], lo+1 .. hi-1, [hi, inf) with lo, hi where the expected count reaches 5.
    int lo = 0, hi = 1023;
    double below = 0, above = 0;
    while ((below += pmf[lo]) * n < 5) ++lo;
    while ((above += pmf[hi]) * n < 5) --hi;
    double chi2 = 0, obs_below = 0, obs_above = 0;
    for (int k = 0; k <= lo; ++k) obs_below += observed[k];
    for (int k = hi; k < 1024; ++k) obs_above += observed[k];
    chi2 += std::pow(obs_below - n * below, 2) / (n * below);
    chi2 += std::pow(obs_above - n * above, 2) / (n * above);
    for (int k = lo + 1; k < hi; ++k) chi2 += std::pow(observed[k] - n * pmf[k], 2) / (n * pmf[k]);
    const int dof = hi - lo;  // bins - 1
    // Wilson-Hilferty 0.1 % critical value of chi-square with dof degrees of freedom.
    const double z = 3.09, h = 2.0 / (9 * dof);
    const double critical = dof * std::pow(1 - h + z * std::sqrt(h), 3);
    EXPECT_LT(chi2, critical) << "level " << q << " lambda " << lambda << " dof " << dof;
  }
}

TEST(Noise, LumaOnlyKeepsChromaAndChromaOnlyKeepsLuma) {
  const cv::Mat img(96, 96, CV_32FC3, cv::Scalar(0.4, 0.5, 0.6));
  const cv::Mat ycc = rgb_to_ycbcr(img);

  const cv::Mat luma = rgb_to_ycbcr(apply_noise({{"channels", std::string("luma")}}, img)) - ycc;
  EXPECT_NEAR(std_dev(plane(luma, 0)) * 255, 10.0, 0.5);
  EXPECT_LT(cv::norm(plane(luma, 1), cv::NORM_INF), 1e-5);
  EXPECT_LT(cv::norm(plane(luma, 2), cv::NORM_INF), 1e-5);

  const cv::Mat chroma =
      rgb_to_ycbcr(apply_noise({{"channels", std::string("chroma")}, {"sigma", 5.0}}, img)) - ycc;
  EXPECT_LT(cv::norm(plane(chroma, 0), cv::NORM_INF), 1e-5);
  EXPECT_NEAR(std_dev(plane(chroma, 1)) * 255, 5.0, 0.25);
  EXPECT_NEAR(std_dev(plane(chroma, 2)) * 255, 5.0, 0.25);
}

TEST(Noise, SaltAndPepperHitsTheRequestedFraction) {
  const cv::Mat grey(128, 128, CV_32FC3, cv::Scalar::all(0.5));
  const Values gray = {
      {"type", std::string("salt_pepper")}, {"amount", 0.1}, {"salt_ratio", 0.3}, {"gray", true}};
  const cv::Mat out = apply_noise(gray, grey);
  int hits = 0, salt = 0;
  for (int y = 0; y < out.rows; ++y)
    for (int x = 0; x < out.cols; ++x) {
      const cv::Vec3f v = out.at<cv::Vec3f>(y, x);
      if (v[0] == 0.5f) continue;
      ++hits;
      salt += v[0] == 1.f;
      EXPECT_TRUE(v[0] == v[1] && v[1] == v[2]);
    }
  const double n = out.total();
  EXPECT_NEAR(hits / n, 0.1, 0.01);
  EXPECT_NEAR(static_cast<double>(salt) / hits, 0.3, 0.04);

  // Colour salt & pepper: each channel hit on its own, so all three at once is rare (0.1^3).
  const cv::Mat colour = apply_noise({gray[0], gray[1], gray[2], {"gray", false}}, grey);
  int channel_hits = 0, all_three = 0;
  for (int y = 0; y < colour.rows; ++y)
    for (int x = 0; x < colour.cols; ++x) {
      const cv::Vec3f v = colour.at<cv::Vec3f>(y, x);
      const int k = (v[0] != 0.5f) + (v[1] != 0.5f) + (v[2] != 0.5f);
      channel_hits += k;
      all_three += k == 3;
    }
  EXPECT_NEAR(channel_hits / (3 * n), 0.1, 0.01);
  EXPECT_LT(all_three / n, 0.004);
}

TEST(Noise, SpeckleGrowsWithTheSignal) {
  const cv::Mat dark(96, 96, CV_32FC3, cv::Scalar::all(0.2));
  const cv::Mat bright(96, 96, CV_32FC3, cv::Scalar::all(0.6));
  const Values v = {{"type", std::string("speckle")}, {"sigma", 25.5}};  // 10 % of the signal
  EXPECT_NEAR(std_dev(apply_noise(v, dark) - dark), 0.02, 0.001);
  EXPECT_NEAR(std_dev(apply_noise(v, bright) - bright), 0.06, 0.003);
}

TEST(Noise, SameSeedSameBytes) {
  cv::Mat img(48, 48, CV_32FC3);
  cv::randu(img, 0.0, 1.0);
  for (const char* type : {"gaussian", "poisson", "speckle", "salt_pepper"})
    for (const char* channels : {"rgb", "luma", "chroma"}) {
      const Values v = {{"type", std::string(type)}, {"channels", std::string(channels)}};
      const cv::Mat a = apply_noise(v, img, 11), b = apply_noise(v, img, 11);
      EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0.0) << type << " " << channels;
      EXPECT_GT(cv::norm(a, apply_noise(v, img, 12), cv::NORM_INF), 0.0) << type << " " << channels;
      double lo, hi;
      cv::minMaxLoc(a.reshape(1), &lo, &hi);
      EXPECT_GE(lo, 0.0);
      EXPECT_LE(hi, 1.0);
    }
}

double total(const cv::Mat& m) {
  const cv::Scalar s = cv::sum(m);
  return s[0] + s[1] + s[2];
}

// Poisson noise gathers its alias-table entries per vector lane (simd/poisson_row.h): every
// instruction set gives the same bytes, and those of the scalar loop it replaced (the checksums of
// that version's output; 30-column rows end in a scalar tail on every target).
TEST(Noise, PoissonIsTheSameOnEveryInstructionSet) {
  cv::theRNG() = cv::RNG();  // OpenCV's default state: the input of the pinned checksums
  cv::Mat img(37, 30, CV_32FC3);
  cv::randu(img, -0.05, 1.05);  // out-of-range values clamp to levels 0 and 255
  std::vector<cv::Mat> outs;
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    for (const bool gray : {false, true})
      outs.push_back(
          apply_noise({{"type", std::string("poisson")}, {"scale", 2.0}, {"gray", gray}}, img, 5));
  }
  hwy::SetSupportedTargetsForTest(0);
  ASSERT_GE(outs.size(), 2u);
  for (size_t i = 2; i < outs.size(); ++i)
    EXPECT_EQ(cv::norm(outs[i], outs[i % 2], cv::NORM_INF), 0.0) << i;
  // The previous, scalar version's sums for the same input and seed, colour then gray.
  EXPECT_EQ(total(outs[0]), 1696.1882494622841);
  EXPECT_EQ(total(outs[1]), 1706.1989690288901);
}

}  // namespace
}  // namespace pf::degrade

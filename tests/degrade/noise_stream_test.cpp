// The vectorised random stream of the noise operators: normal samples with the moments, tails and
// distribution of N(0, 1); the same words and samples on every instruction set Highway can
// dispatch to here; the block rule that makes a call's output depend only on earlier calls.
#include "degrade/simd/noise_stream.h"

#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace pf::degrade {
namespace {

std::vector<float> draw_normals(uint64_t seed, int n) {
  Rng rng(seed);
  NoiseStream s(rng);
  std::vector<float> out(n);
  s.normals(out.data(), n, 1.f);
  return out;
}

TEST(NoiseStream, NormalsHaveTheMomentsOfAStandardNormal) {
  const int n = 1 << 20;
  const std::vector<float> v = draw_normals(1, n);
  double m1 = 0, m2 = 0, m4 = 0;
  for (float x : v) m1 += x, m2 += double(x) * x, m4 += double(x) * x * x * x;
  m1 /= n, m2 /= n, m4 /= n;
  // Standard errors at n = 2^20: mean 0.001, variance 0.0014, fourth moment 0.0095.
  EXPECT_NEAR(m1, 0.0, 0.005);
  EXPECT_NEAR(m2, 1.0, 0.007);
  EXPECT_NEAR(m4, 3.0, 0.05);
}

TEST(NoiseStream, NormalsFollowTheNormalCdfIntoTheTails) {
  const int n = 1 << 20;
  std::vector<float> v = draw_normals(2, n);
  std::sort(v.begin(), v.end());
  // Kolmogorov-Smirnov: sup |F_n - Phi| below the 0.1 % critical value 1.95 / sqrt(n).
  double d = 0;
  for (int i = 0; i < n; ++i) {
    const double phi = 0.5 * std::erfc(-v[i] / std::sqrt(2.0));
    d = std::max({d, std::fabs(phi - double(i) / n), std::fabs(phi - double(i + 1) / n)});
  }
  EXPECT_LT(d, 1.95 / std::sqrt(double(n)));
  // Beyond R = 3.4426 only the scalar tail method produces samples: P(|x| > 3.5) = 4.65e-4,
  // P(|x| > 4) = 6.33e-5 (expected counts 488 and 66).
  const auto beyond = [&](double t) {
    return std::count_if(v.begin(), v.end(), [t](float x) { return std::fabs(x) > t; });
  };
  EXPECT_NEAR(beyond(3.5), 488, 4 * std::sqrt(488.0));
  EXPECT_NEAR(beyond(4.0), 66, 4 * std::sqrt(66.0));
  EXPECT_GT(beyond(4.5), 0) << "no sample from deep in the tail";
}

TEST(NoiseStream, SameSeedSameSamplesAndScaleIsAProduct) {
  EXPECT_EQ(draw_normals(7, 1000), draw_normals(7, 1000));
  EXPECT_NE(draw_normals(7, 1000), draw_normals(8, 1000));
  Rng a(3), b(3);
  NoiseStream sa(a), sb(b);
  std::vector<float> unit(777), scaled(777);
  sa.normals(unit.data(), 777, 1.f);
  sb.normals(scaled.data(), 777, 0.25f);
  for (int i = 0; i < 777; ++i) EXPECT_EQ(scaled[i], unit[i] * 0.25f) << i;
}

TEST(NoiseStream, AddNormalsClampedAddsTheScaledSamplesAndClips) {
  Rng a(5), b(5);
  NoiseStream sa(a), sb(b);
  const int n = 3000;
  std::vector<float> values(n), noise(n);
  for (int i = 0; i < n; ++i) values[i] = static_cast<float>(i % 11) / 10;
  const std::vector<float> before = values;
  sa.add_normals_clamped(values.data(), n, 0.2f);
  sb.normals(noise.data(), n, 1.f);
  for (int i = 0; i < n; ++i)
    EXPECT_EQ(values[i], std::clamp(before[i] + noise[i] * 0.2f, 0.f, 1.f)) << i;
}

// Gray noise: a pixel's sample on its three channels, each sum clipped; any row length (vector
// body and scalar tail).
TEST(NoiseStream, AddClampedGrayAddsEachPixelsSampleToItsChannels) {
  for (const int pixels : {1, 7, 8, 37, 1001}) {
    std::vector<float> values(3 * pixels), noise(pixels);
    Rng rng(static_cast<uint64_t>(pixels));
    for (float& v : values) v = static_cast<float>(rng.uniform(-0.1, 1.1));
    for (float& v : noise) v = static_cast<float>(rng.uniform(-0.5, 0.5));
    const std::vector<float> before = values;
    add_clamped_gray(values.data(), noise.data(), pixels);
    for (int i = 0; i < 3 * pixels; ++i)
      ASSERT_EQ(values[i], std::clamp(before[i] + noise[i / 3], 0.f, 1.f)) << pixels << " " << i;
  }
}

TEST(NoiseStream, WordsComeInBlocksOfSixteen) {
  Rng a(9), b(9);
  NoiseStream sa(a), sb(b);
  std::vector<uint32_t> whole(48), parts(48);
  sa.words(whole.data(), 48);
  sb.words(parts.data(), 5);        // block 0, 11 words dropped
  sb.words(parts.data() + 16, 32);  // blocks 1 and 2
  for (int i = 0; i < 5; ++i) EXPECT_EQ(parts[i], whole[i]);
  for (int i = 16; i < 48; ++i) EXPECT_EQ(parts[i], whole[i]);
  // Every bit is used: over 4,800 words each bit is set about half the time.
  std::vector<uint32_t> many(4800);
  sa.words(many.data(), 4800);
  for (int bit = 0; bit < 32; ++bit) {
    const auto set =
        std::count_if(many.begin(), many.end(), [bit](uint32_t w) { return w >> bit & 1; });
    EXPECT_NEAR(set, 2400, 4 * std::sqrt(1200.0)) << "bit " << bit;
  }
}

TEST(NoiseStream, FinishNormalHandlesTheTailLayer) {
  Rng rng(11);
  // Layer 0 with |u| near 1: x = u * x[0] lies beyond R, so the tail method answers.
  for (uint32_t top : {0x7fffff00u, 0x80000100u}) {
    const float x = NoiseStream::finish_normal(top, rng);
    EXPECT_GT(std::fabs(x), 3.4426f);
    EXPECT_EQ(x > 0, top == 0x7fffff00u);
  }
}

TEST(NoiseStream, EveryInstructionSetGivesTheSameBytes) {
  std::vector<std::vector<float>> normals;
  std::vector<std::vector<uint32_t>> words;
  std::string names;
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    Rng rng(13);
    NoiseStream s(rng);
    std::vector<float> v(5003);  // several chunks, a tail block, hundreds of scalar finishes
    std::vector<uint32_t> w(37);
    s.normals(v.data(), 5003, 0.3f);
    s.words(w.data(), 37);
    normals.push_back(v), words.push_back(w);
    names += std::string(" ") + hwy::TargetName(target);
  }
  hwy::SetSupportedTargetsForTest(0);
  std::printf("instruction sets compared:%s\n", names.c_str());
  ASSERT_FALSE(normals.empty());
  for (size_t i = 1; i < normals.size(); ++i) {
    EXPECT_EQ(std::memcmp(normals[i].data(), normals[0].data(), 5003 * sizeof(float)), 0) << names;
    EXPECT_EQ(words[i], words[0]) << names;
  }
}

}  // namespace
}  // namespace pf::degrade

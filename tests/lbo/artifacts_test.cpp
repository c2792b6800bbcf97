// The artifact statistics rank a clean frame above the same frame over-sharpened, aliased,
// blurred or noisy, each through the statistic meant for it.
#include "lbo/artifacts.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "lbo/lbo_test_util.h"

namespace pf::lbo {
namespace {

struct Variants {
  cv::Mat clean, sharpened, aliased, blurred, noisy;
};

Variants variants(uint64_t seed) {
  Variants v;
  v.clean = test::cartoon(160, 120, seed);
  v.sharpened = test::oversharpened(v.clean);
  // What an upscaler makes of an aliased frame: 2 px staircases.
  cv::Mat half;
  cv::resize(test::cartoon(160, 120, seed, false), half, cv::Size(80, 60), 0, 0, cv::INTER_NEAREST);
  cv::resize(half, v.aliased, v.clean.size(), 0, 0, cv::INTER_NEAREST);
  cv::GaussianBlur(v.clean, v.blurred, cv::Size(0, 0), 1.5);
  cv::Mat noise(v.clean.size(), CV_32FC3);
  cv::theRNG().state = seed;
  cv::randn(noise, 0.0, 4.0 / 255);
  v.noisy = v.clean + noise;
  return v;
}

TEST(Artifacts, ProbesAreIsolatedEdgesOfTheReference) {
  const cv::Mat clean = test::cartoon(160, 120, 1);
  const Probes p = find_probes(clean);
  EXPECT_GT(p.points.size(), 100u);
  EXPECT_EQ(p.points.size(), p.normals.size());
  EXPECT_GT(cv::countNonZero(p.flat), 160 * 120 / 4);
  for (size_t i = 0; i < p.normals.size(); ++i)
    EXPECT_NEAR(std::hypot(p.normals[i].x, p.normals[i].y), 1.0, 1e-4);
  // Deterministic, and capped.
  ProbeOptions few;
  few.max_points = 50;
  const Probes a = find_probes(clean, few), b = find_probes(clean, few);
  ASSERT_EQ(a.points.size(), 50u);
  for (size_t i = 0; i < 50; ++i) EXPECT_EQ(a.points[i], b.points[i]);
}

TEST(Artifacts, CleanRanksAboveOversharpenedAliasedBlurredAndNoisy) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(seed);
    const Variants v = variants(seed);
    const Probes p = find_probes(v.clean);
    const ScoreWeights w{1, 2, 10, 1};  // the search's defaults
    const ArtifactScore clean = score_artifacts(v.clean, p, w);
    const ArtifactScore sharpened = score_artifacts(v.sharpened, p, w);
    const ArtifactScore aliased = score_artifacts(v.aliased, p, w);
    const ArtifactScore blurred = score_artifacts(v.blurred, p, w);
    const ArtifactScore noisy = score_artifacts(v.noisy, p, w);
    EXPECT_LT(clean.total, sharpened.total);
    EXPECT_LT(clean.total, aliased.total);
    EXPECT_LT(clean.total, blurred.total);
    EXPECT_LT(clean.total, noisy.total);
    // Each artifact is seen by its own statistic.
    EXPECT_GT(sharpened.ringing, clean.ringing + 0.5);
    EXPECT_GT(aliased.aliasing, clean.aliasing * 1.5);
    EXPECT_GT(blurred.blur, clean.blur + 0.3);
    EXPECT_GT(noisy.noise, clean.noise * 2);
    EXPECT_EQ(clean.edges, static_cast<int>(p.points.size()));
  }
}

TEST(Artifacts, MeanScoreWeighsByEdges) {
  ArtifactScore a, b;
  a.ringing = 1, a.edges = 30;
  b.ringing = 0, b.edges = 10;
  const ArtifactScore m = mean_score({a, b}, {2, 1, 1, 1});
  EXPECT_DOUBLE_EQ(m.ringing, 0.75);
  EXPECT_DOUBLE_EQ(m.total, 1.5);
  EXPECT_EQ(m.edges, 40);
}

TEST(Artifacts, ScoringAnImageOfAnotherSizeIsAnError) {
  const Probes p = find_probes(test::cartoon(64, 48, 1));
  EXPECT_THROW(score_artifacts(test::cartoon(32, 24, 1), p), Error);
}

}  // namespace
}  // namespace pf::lbo

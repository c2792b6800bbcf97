// Each loss against values worked out by hand (or by an independent loop), plus the behaviour
// the configs rely on: zero for identical images, growth with the difference.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/error.h"
#include "train/losses/loss.h"
#include "train_test_util.h"

using namespace pf::train;

namespace {

std::unique_ptr<Loss> make(const std::string& yaml) {
  const auto doc = pf::load_yaml_string(yaml, "loss.yml");
  Warnings w;
  return find_loss(doc.root["type"].Scalar())->make(doc.root, "loss.yml", w);
}

double value(Loss& loss, const torch::Tensor& a, const torch::Tensor& b) {
  double total = 0;
  for (const auto& [name, v] : loss.forward(a, b)) total += v.item<double>();
  return total;
}

torch::Tensor image(uint64_t seed, int64_t size = 32) {
  torch::manual_seed(seed);
  return torch::rand({2, 3, size, size}) * 0.8 + 0.1;
}

}  // namespace

TEST(Losses, PixelLossesMatchHandValues) {
  const auto a = torch::tensor({0.0f, 0.5f, 1.0f, 0.25f}).view({1, 1, 2, 2});
  const auto b = torch::tensor({0.5f, 0.5f, 0.0f, 0.0f}).view({1, 1, 2, 2});
  // |d| = 0.5, 0, 1, 0.25
  EXPECT_NEAR(value(*make("{type: l1loss}"), a, b), 1.75 / 4, 1e-7);
  EXPECT_NEAR(value(*make("{type: l1loss, reduction: sum}"), a, b), 1.75, 1e-6);
  EXPECT_NEAR(value(*make("{type: mseloss}"), a, b), (0.25 + 0 + 1 + 0.0625) / 4, 1e-7);
  // sqrt(d^2 + eps): eps 1e-2 makes the zero difference count 0.1.
  const double expect =
      (std::sqrt(0.25 + 1e-2) + 0.1 + std::sqrt(1 + 1e-2) + std::sqrt(0.0625 + 1e-2)) / 4;
  EXPECT_NEAR(value(*make("{type: charbonnierloss, eps: 0.01}"), a, b), expect, 1e-6);
}

TEST(Losses, SsimOfConstantImagesIsTheLuminanceTerm) {
  // Flat images have no variance: SSIM = (2ab + C1) / (a^2 + b^2 + C1).
  const double a = 0.3, b = 0.6, c1 = 1e-4;
  const auto x = torch::full({1, 3, 24, 24}, a), y = torch::full({1, 3, 24, 24}, b);
  const double ssim = (2 * a * b + c1) / (a * a + b * b + c1);
  // float32 variances of a flat image are ~1e-8 instead of 0: within 1e-4 of the formula.
  EXPECT_NEAR(value(*make("{type: ssimloss, test_y_channel: false}"), x, y), 1 - ssim, 1e-4);
  EXPECT_NEAR(value(*make("{type: ssimloss}"), x, x), 0, 1e-6);
  // Luma of a grey is the grey (YIQ's Y weights sum to 1).
  EXPECT_NEAR(value(*make("{type: ssimloss, color_space: yiq}"), x, y), 1 - ssim, 1e-4);
}

TEST(Losses, MsSsimIsZeroForIdenticalAndGrowsWithNoise) {
  const auto x = image(1, 64);
  auto ms = make("{type: mssimloss}");
  EXPECT_NEAR(value(*ms, x, x), 0, 1e-5);
  torch::manual_seed(2);
  const auto n = torch::randn_like(x);
  const double small = value(*ms, x, (x + 0.02 * n).clamp(0, 1));
  const double large = value(*ms, x, (x + 0.2 * n).clamp(0, 1));
  EXPECT_GT(small, 1e-4);
  EXPECT_GT(large, small);
  EXPECT_LE(large, 1.0);
}

TEST(Losses, FocalFrequencyOfAnImpulseIsWorkedOut) {
  // The orthonormal DFT of a 2x2 impulse is 0.5 at every frequency: distance 0.25 each, weight
  // sqrt(0.25) normalised to 1, loss 50 x mean(0.25).
  auto ff = make("{type: ffloss}");
  const auto zero = torch::zeros({1, 1, 2, 2});
  auto impulse = torch::zeros({1, 1, 2, 2});
  impulse[0][0][0][0] = 1;
  EXPECT_NEAR(value(*ff, zero, impulse), 12.5, 1e-5);
  EXPECT_NEAR(value(*ff, impulse, impulse), 0, 1e-9);
  auto patched = make("{type: ffloss, patch_factor: 3}");
  EXPECT_THROW(value(*patched, torch::zeros({1, 3, 8, 8}), torch::zeros({1, 3, 8, 8})), pf::Error);
}

TEST(Losses, CosineSimilarityOfOrthogonalColours) {
  auto red = torch::zeros({1, 3, 4, 4}), green = torch::zeros({1, 3, 4, 4});
  red.select(1, 0).fill_(1);
  green.select(1, 1).fill_(1);
  EXPECT_NEAR(value(*make("{type: cosimloss}"), red, green), 5.0, 1e-6);  // lambda x (1 - 0)
  EXPECT_NEAR(value(*make("{type: cosimloss, cosim_lambda: 2}"), red, green), 2.0, 1e-6);
  EXPECT_NEAR(value(*make("{type: cosimloss}"), red, red), 0, 1e-6);
}

TEST(Losses, SobelEdgeMatchesADirectLoop) {
  const int64_t n = 6;
  auto pred = torch::zeros({1, 3, n, n}), gt = torch::zeros({1, 3, n, n});
  for (int64_t y = 0; y < n; ++y)
    for (int64_t x = 0; x < n; ++x) pred.select(2, y).select(2, x).fill_(0.1 * x + 0.05 * y);
  // Direct: luma = value (grey), zero-padded Sobel / 4 on each axis, MSE against zero gradients.
  const auto at = [&](int64_t y, int64_t x) {
    return (y < 0 || x < 0 || y >= n || x >= n) ? 0.0 : 0.1 * x + 0.05 * y;
  };
  double sum = 0;
  for (int64_t y = 0; y < n; ++y)
    for (int64_t x = 0; x < n; ++x) {
      const double gx = (-at(y - 1, x - 1) + at(y - 1, x + 1) - 2 * at(y, x - 1) +
                         2 * at(y, x + 1) - at(y + 1, x - 1) + at(y + 1, x + 1)) /
                        4;
      const double gy = (-at(y - 1, x - 1) - 2 * at(y - 1, x) - at(y - 1, x + 1) +
                         at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1)) /
                        4;
      sum += gx * gx + gy * gy;
    }
  EXPECT_NEAR(value(*make("{type: sobeledgeloss}"), pred, gt), sum / (2 * n * n), 1e-6);
}

TEST(Losses, HsluvOfRedAgainstGreenMatchesTheReferenceColours) {
  // hsluv-python: red (12.177, 100, 53.237), green (127.715, 100, 87.736).
  auto red = torch::zeros({1, 3, 8, 8}), green = torch::zeros({1, 3, 8, 8});
  red.select(1, 0).fill_(1);
  green.select(1, 1).fill_(1);
  auto loss = make("{type: hsluvloss}");
  const auto parts = loss->forward(red, green);
  ASSERT_EQ(parts.size(), 3u);
  const double hue = (127.715 - 12.177) / 360 * 2 / 3, light = (87.736 - 53.237) / 100 / 3;
  EXPECT_EQ(parts[0].first, "hue");
  EXPECT_NEAR(parts[0].second.item<double>(), hue, 2e-4);
  EXPECT_NEAR(parts[1].second.item<double>(), 0, 1e-4);  // both fully saturated
  EXPECT_NEAR(parts[2].second.item<double>(), light, 2e-4);
  EXPECT_NEAR(value(*loss, red, red), 0, 1e-6);
}

TEST(Losses, ConsistencyIsZeroForIdenticalImagesAndGrowsWithAColourShift) {
  const auto x = image(3, 48);
  auto loss = make("{type: consistency_loss}");
  EXPECT_LT(value(*loss, x, x), 1e-5);
  double previous = value(*loss, x, x);
  for (double shift : {0.02, 0.05, 0.1, 0.2}) {
    auto shifted = x.clone();
    shifted.select(1, 0).add_(shift);  // redder
    shifted.select(1, 2).sub_(shift);  // less blue
    const double v = value(*loss, x, shifted.clamp(0, 1));
    EXPECT_GT(v, previous) << shift;
    previous = v;
  }
  // A stronger blur sees less of a fine-grained luma difference (LiveAction's reason for it).
  torch::manual_seed(9);
  const auto noisy = (x + 0.1 * torch::randn_like(x)).clamp(0, 1);
  const double soft =
      value(*make("{type: consistency_loss, blur_sigma: 6, blur_kernel: 41}"), x, noisy);
  const double sharp = value(*make("{type: consistency_loss, blur: false}"), x, noisy);
  EXPECT_LT(soft, sharp);
}

TEST(Losses, RegistryFindsNeosrAndBasicsrSpellings) {
  EXPECT_NE(find_loss("L1Loss"), nullptr);
  EXPECT_NE(find_loss("consistencyloss"), nullptr);
  EXPECT_NE(find_loss("MSSIMLoss"), nullptr);
  EXPECT_NE(find_loss("PerceptualLoss"), nullptr);
  EXPECT_NE(find_loss("GANLoss"), nullptr);
  EXPECT_EQ(find_loss("distsloss"), nullptr);  // needs weights nobody here has
}

TEST(Losses, BadOptionsNameTheLineAndColumn) {
  try {
    make("{type: ssimloss, color_spcae: yiq}");
    FAIL();
  } catch (const pf::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("loss.yml:1:18"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("did you mean 'color_space'"), std::string::npos);
  }
  EXPECT_THROW(make("{type: consistency_loss, criterion: huber}"), pf::ConfigError);
}

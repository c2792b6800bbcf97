// The 3x3 convolution of SPAN's and Compact's inference (Winograd and direct) against torch's
// conv2d: the same results up to float rounding for every channel count it takes and every image
// shape (one pixel, one row, one column, widths that leave single pixels after the 8-pixel tiles),
// on every instruction set this CPU runs (AVX-512F, AVX2), and refused where it does not apply.
#include "models/conv3x3_nhwc.h"

#include <gtest/gtest.h>

#include <vector>

#include "models/conv3x3_kernels.h"

namespace pf::models {
namespace {

torch::Tensor channels_last(const torch::Tensor& t) {
  return t.contiguous(torch::MemoryFormat::ChannelsLast);
}

TEST(Conv3x3Nhwc, EqualsTorchConv2dForEveryShape) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(3);
  const torch::Tensor probe = channels_last(torch::rand({1, 16, 4, 4}));
  const torch::Tensor w16 = torch::rand({16, 16, 3, 3}), b16 = torch::rand({16});
  if (!can_conv3x3_nhwc(probe, w16, b16)) GTEST_SKIP() << "this CPU has neither AVX-512F nor AVX2";
  std::vector<const conv3x3::Kernels*> sets;
  for (const conv3x3::Kernels* k : {conv3x3::avx512_kernels(), conv3x3::avx2_kernels()})
    if (k) sets.push_back(k), std::printf("instruction set: %s\n", k->name);
  double worst = 0;
  for (const auto& [cin, cout] : {std::pair{48, 48}, std::pair{64, 64}, std::pair{3, 48},
                                  std::pair{48, 16}, std::pair{20, 96}, std::pair{64, 112}}) {
    for (const auto& [h, w] : {std::pair{1, 1}, std::pair{1, 23}, std::pair{17, 1}, std::pair{2, 2},
                               std::pair{9, 16}, std::pair{13, 31}}) {
      const torch::Tensor x = channels_last(torch::randn({2, cin, h, w}));
      const torch::Tensor weight = torch::randn({cout, cin, 3, 3}) * 0.1;
      const torch::Tensor bias = torch::randn({cout});
      ASSERT_TRUE(can_conv3x3_nhwc(x, weight, bias)) << cin << "->" << cout;
      const torch::Tensor expected = torch::conv2d(x, weight, bias, 1, 1);
      // Float rounding of another summation order, relative to the largest output.
      const double scale = expected.abs().max().item<double>();
      for (const conv3x3::Kernels* kernels : sets)
        for (const auto algorithm : {Conv3x3Algorithm::kAuto, Conv3x3Algorithm::kDirect}) {
          const torch::Tensor got = conv3x3_nhwc(x, weight, bias, algorithm, kernels);
          ASSERT_EQ(got.sizes(), expected.sizes());
          EXPECT_TRUE(got.is_contiguous(torch::MemoryFormat::ChannelsLast));
          const double d = (got - expected).abs().max().item<double>() / scale;
          EXPECT_LT(d, 2e-6) << cin << "->" << cout << " at " << h << "x" << w << " algorithm "
                             << static_cast<int>(algorithm) << " on " << kernels->name;
          worst = std::max(worst, d);
        }
    }
  }
  std::printf("conv3x3_nhwc vs torch::conv2d: max difference %.3g of the largest output\n", worst);
}

TEST(Conv3x3Nhwc, RefusesWhatItCannotRun) {
  const torch::Tensor x = channels_last(torch::rand({1, 16, 5, 5}));
  const torch::Tensor w = torch::rand({16, 16, 3, 3}), b = torch::rand({16});
  {
    torch::AutoGradMode grad(true);  // training needs autograd: torch's convolution
    EXPECT_FALSE(can_conv3x3_nhwc(x, w, b));
  }
  torch::NoGradGuard no_grad;
  EXPECT_FALSE(can_conv3x3_nhwc(x, torch::rand({12, 16, 3, 3}), torch::rand({12})));  // Cout
  EXPECT_FALSE(can_conv3x3_nhwc(x, torch::rand({16, 16, 1, 1}), b));                  // 1x1
  EXPECT_FALSE(can_conv3x3_nhwc(x, torch::rand({16, 8, 3, 3}), b));                   // Cin
  EXPECT_FALSE(can_conv3x3_nhwc(torch::rand({1, 16, 5, 6}), w, b));                   // NCHW
  EXPECT_FALSE(can_conv3x3_nhwc(x.to(torch::kDouble), w, b));
}

}  // namespace
}  // namespace pf::models

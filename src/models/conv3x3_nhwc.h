// A 3x3 convolution (stride 1, zero padding 1) for inference on channels-last float tensors,
// written for the feature convolutions of SPAN (48 -> 48 channels, nineteen per forward) and
// Compact (64 -> 64), where LibTorch 1.13's oneDNN 2.6 and onnxruntime's MLAS both run at the
// FMA units' peak: only fewer multiplies go faster.
//
// With 16k input channels it runs Winograd F(2x2, 3x3) (conv3x3_winograd.h): 16 products per
// channel pair and 2x2 output tile instead of 36. Otherwise (SPAN's first conv has 3 inputs) a
// direct kernel keeps 8 output pixels x 48 output channels (6 x 64) in 24 AVX-512 registers (4 x
// 24 in 12 AVX2 ones) and, for each tap and input channel, broadcasts the inputs against the
// channels' weights: 24 fused multiply-adds per 3 weight loads and 8 broadcasts on AVX-512
// (conv3x3_simd.inc, shared by both and compiled per instruction set).
// Border pixels take a per-pixel path that skips the taps outside the image; rows are split
// between the intra-op threads (at::parallel_for).
//
// Results equal torch's convolution up to float rounding (another summation order): ~1e-6 of
// the largest output (tests/models), 2.2e-6 at most on the fixture models' outputs.
#pragma once
#include <torch/torch.h>

namespace pf::models {

namespace conv3x3 {
struct Kernels;  // conv3x3_kernels.h
}

// Whether conv3x3_nhwc can run `x` through this convolution here: a CPU with AVX-512F or with
// AVX2 and FMA, no autograd (grad mode off), float tensors, x channels-last (N, C, H, W), weight
// (Cout, C, 3, 3) with Cout a multiple of 16 and at most 1024, a bias of Cout.
bool can_conv3x3_nhwc(const torch::Tensor& x, const torch::Tensor& weight,
                      const torch::Tensor& bias);
// kAuto: Winograd F(2x2, 3x3) when the input channels are a multiple of 16 (2.25x fewer
// multiply-adds; its transforms only add, subtract and halve), else the direct kernel.
enum class Conv3x3Algorithm { kAuto, kDirect };
// The convolution, returned channels-last. Call only when can_conv3x3_nhwc says so. `kernels`:
// an instruction set this CPU runs (conv3x3_kernels.h); null picks the widest.
torch::Tensor conv3x3_nhwc(const torch::Tensor& x, const torch::Tensor& weight,
                           const torch::Tensor& bias,
                           Conv3x3Algorithm algorithm = Conv3x3Algorithm::kAuto,
                           const conv3x3::Kernels* kernels = nullptr);

}  // namespace pf::models

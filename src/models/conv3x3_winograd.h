// Winograd F(2x2, 3x3) for conv3x3_nhwc.h (Lavin & Gray): a 2x2 output tile from a 4x4 input
// tile, Y = A^T [(G g G^T) . (B^T d B)] A, so 16 products per input-output channel pair instead
// of 36. The channel sums become 16 small matrix products (tiles x Cin by Cin x Cout) on the
// direct kernel's register tile: 2.25x fewer multiply-adds. The transforms' coefficients are 0,
// +-1 and 1/2, so the rounding is that of a few more adds.
#pragma once
#include <torch/torch.h>

#include "models/conv3x3_kernels.h"

namespace pf::models::conv3x3 {

// out = the convolution of x (N, Cin, H, W, channels-last) with weight (Cout, Cin, 3, 3) and
// bias, zero padding 1; Cin and Cout multiples of 16; out allocated channels-last; on `kernels`.
void winograd(const Kernels& kernels, const torch::Tensor& x, const torch::Tensor& weight,
              const torch::Tensor& bias, torch::Tensor& out);

}  // namespace pf::models::conv3x3

// PReLU applied in place, for inference. LibTorch 1.13's prelu allocates a new activation and
// takes ~16 ms per 64x360x640 layer on 2 threads (15 % of Compact's CPU time); overwriting the
// conv's fresh output with the same arithmetic (x > 0 ? x : w * x, one multiply) is a single
// vectorised pass.
#pragma once
#include <torch/types.h>

namespace pf::models {

// True when prelu_in_place can take `x`: a float32 CPU tensor, contiguous in NCHW or
// channels-last, that autograd does not track, and a weight of 1 or C floats.
bool can_prelu_in_place(const torch::Tensor& x, const torch::Tensor& weight);

// x = x > 0 ? x : weight[c] * x, bit-identical to torch::prelu. Call can_prelu_in_place first.
void prelu_in_place(torch::Tensor& x, const torch::Tensor& weight);

}  // namespace pf::models

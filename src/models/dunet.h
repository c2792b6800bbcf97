// DUnet, traiNNer-redux's default discriminator (umzi2's design): a U-Net whose encoder halves
// with spectrally normalised stride-2 convolutions and Mish, whose decoder doubles with DySample
// (learned point sampling, spandrel's helper) and a normalised 3x3 convolution, ending in a
// one-channel per-pixel realness map. Key names are traiNNer-redux's (in_to_dim, e_x1.0, up1.0,
// up1.1, end_conv.N; spectral norm in torch.nn.utils.parametrizations' layout), so its net_d
// files load. Inputs need sides that are multiples of 8.
#pragma once
#include <torch/nn.h>

#include "models/spectral_norm.h"

namespace pf::models {

// DySample(in, out, scale, groups, end_convolution=false): per output pixel, `groups` sampling
// offsets predicted by 1x1 convolutions (offset, scope) around the regular grid (init_pos),
// then bilinear grid_sample with border padding.
struct DySampleImpl : torch::nn::Module {
  DySampleImpl(int64_t channels, int64_t scale, int64_t groups);
  torch::Tensor forward(const torch::Tensor& x);

  int64_t scale, groups;
  torch::nn::Conv2d offset{nullptr}, scope{nullptr};
  torch::Tensor init_pos;
};
TORCH_MODULE(DySample);

struct DUnetOptions {
  int64_t num_in_ch = 3;
  int64_t num_feat = 64;
};

struct DUnetImpl : torch::nn::Module {
  explicit DUnetImpl(DUnetOptions options = {});
  torch::Tensor forward(const torch::Tensor& x);

  DUnetOptions options;
  torch::nn::Conv2d in_to_dim{nullptr};
  // Down: SN conv stride 2 + Mish. Up: DySample + SN conv halving the channels.
  torch::nn::Sequential e_x1, e_x2, e_x3, up1, up2, up3, end_conv;
};
TORCH_MODULE(DUnet);

}  // namespace pf::models

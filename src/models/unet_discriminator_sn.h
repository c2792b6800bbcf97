// Real-ESRGAN's U-Net discriminator with spectral normalisation (traiNNer-redux's
// `unetdiscriminatorsn`), with its key names (conv0..conv9; conv1..conv8 spectrally normalised in
// torch.nn.utils.spectral_norm's layout: weight_orig, weight_u, weight_v), so
// RealESRGAN_x4plus_netD.pth and traiNNer-redux's net_d files load as they are. Three stride-2
// 4x4 convolutions down, three bilinear 2x steps up with skip connections, a one-channel
// per-pixel realness map out. Inputs need sides that are multiples of 8.
#pragma once
#include <torch/nn.h>

#include "models/spectral_norm.h"

namespace pf::models {

struct UNetDiscriminatorSNOptions {
  int64_t num_in_ch = 3;
  int64_t num_feat = 64;
  bool skip_connection = true;
};

struct UNetDiscriminatorSNImpl : torch::nn::Module {
  explicit UNetDiscriminatorSNImpl(UNetDiscriminatorSNOptions options = {});
  torch::Tensor forward(const torch::Tensor& x);

  UNetDiscriminatorSNOptions options;
  torch::nn::Conv2d conv0{nullptr}, conv9{nullptr};
  SNConv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, conv4{nullptr}, conv5{nullptr},
      conv6{nullptr}, conv7{nullptr}, conv8{nullptr};
};
TORCH_MODULE(UNetDiscriminatorSN);

}  // namespace pf::models

// Real-CUGAN (UpCunet v3) for inference, with spandrel's key names: UpCunet 2x/3x/4x, the 2x
// "fast" variant, SE blocks, `pro` models (the `pro` buffer key) and the `alpha` strength
// knob (scales UNet2's deepest decoder features; 1 = as trained).
#pragma once
#include <torch/nn.h>

namespace pf::models {

struct UNetConvImpl : torch::nn::Module {
  UNetConvImpl(int64_t in, int64_t mid, int64_t out, bool se);
  torch::Tensor forward(torch::Tensor x);

  torch::nn::Sequential conv;
  torch::nn::Conv2d se1{nullptr}, se2{nullptr};  // seblock.conv1 / seblock.conv2
};
TORCH_MODULE(UNetConv);

// UNet1 (and UNet1x3): one down/up level, 3x3 convs without padding, a transposed-conv bottom.
struct UNet1Impl : torch::nn::Module {
  UNet1Impl(int64_t in, int64_t out, int64_t bottom_kernel, int64_t bottom_stride,
            int64_t bottom_padding);
  torch::Tensor forward(torch::Tensor x);

  UNetConv conv1{nullptr}, conv2{nullptr};
  torch::nn::Conv2d conv1_down{nullptr}, conv3{nullptr};
  torch::nn::ConvTranspose2d conv2_up{nullptr}, conv_bottom{nullptr};
};
TORCH_MODULE(UNet1);

// UNet2: two levels, SE blocks on conv2-4, a plain 3x3 conv bottom.
struct UNet2Impl : torch::nn::Module {
  UNet2Impl(int64_t in, int64_t out);
  torch::Tensor forward(torch::Tensor x, double alpha);

  UNetConv conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, conv4{nullptr};
  torch::nn::Conv2d conv1_down{nullptr}, conv2_down{nullptr}, conv5{nullptr}, conv_bottom{nullptr};
  torch::nn::ConvTranspose2d conv3_up{nullptr}, conv4_up{nullptr};
};
TORCH_MODULE(UNet2);

struct RealCUGANOptions {
  int64_t scale = 2;  // 2, 3 or 4
  bool fast = false;  // UpCunet2x_fast (scale 2 only, never pro)
  bool pro = false;
  int64_t in_ch = 3;
  int64_t out_ch = 3;
  double alpha = 1.0;

  // Inputs are reflect-padded to a multiple of this (the fast variant works at half resolution
  // after pixel-unshuffle; 3x's stride-3 bottom needs 4 too) ...
  int64_t size_multiple() const { return scale == 3 || fast ? 4 : 2; }
  // ... plus this many pixels of context on every side, which the unpadded convs eat.
  int64_t context() const { return fast ? 38 : scale == 4 ? 19 : scale == 3 ? 14 : 18; }
  // Whether a side can be reflect-padded that way (each pad must be shorter than its side).
  bool can_pad(int64_t side) const;
  // Every side from this on can.
  int64_t min_side() const;
};

struct RealCUGANImpl : torch::nn::Module {
  explicit RealCUGANImpl(RealCUGANOptions options = {});
  torch::Tensor forward(torch::Tensor x);

  RealCUGANOptions options;
  torch::Tensor pro;  // buffer "pro", present only for pro models
  UNet1 unet1{nullptr};
  UNet2 unet2{nullptr};
  torch::nn::Conv2d conv_final{nullptr};  // 4x and fast
};
TORCH_MODULE(RealCUGAN);

}  // namespace pf::models

// Real-CUGAN (UpCunet v3) for inference, with spandrel's key names: UpCunet 2x/3x/4x, the 2x
// "fast" variant, SE blocks, `pro` models (the `pro` buffer key) and the `alpha` strength
// knob (scales UNet2's deepest decoder features; 1 = as trained).
#pragma once
#include <torch/nn.h>

#include <utility>

namespace pf::models {

// Per-channel means over H and W (N x C x 1 x 1), in float32 whatever the input's type, as
// upcunet_v3.py takes them for half tensors: a 16-bit sum over a large image loses small values.
torch::Tensor channel_mean(const torch::Tensor& z);

struct UNetConvImpl : torch::nn::Module {
  UNetConvImpl(int64_t in, int64_t mid, int64_t out, bool se);
  torch::Tensor forward(torch::Tensor x);
  // forward in two halves, so that tiles can share the SE block's mean (realcugan_stages.h):
  // the two convs (the block's input), then the block given the per-channel mean of its input
  // (1 x C x 1 x 1 or N x C x 1 x 1, float32).
  torch::Tensor body(const torch::Tensor& x);
  torch::Tensor excite(const torch::Tensor& z, const torch::Tensor& mean);

  torch::nn::Sequential conv;
  torch::nn::Conv2d se1{nullptr}, se2{nullptr};  // seblock.conv1 / seblock.conv2
};
TORCH_MODULE(UNetConv);

// UNet1 (and UNet1x3): one down/up level, 3x3 convs without padding, a transposed-conv bottom.
struct UNet1Impl : torch::nn::Module {
  UNet1Impl(int64_t in, int64_t out, int64_t bottom_kernel, int64_t bottom_stride,
            int64_t bottom_padding);
  torch::Tensor forward(torch::Tensor x);
  // The halves around conv2's SE block (upcunet_v3.py's forward_a / forward_b): head gives
  // conv1's cropped output (the skip) and conv2's body; tail takes the skip and the excited body.
  std::pair<torch::Tensor, torch::Tensor> head(const torch::Tensor& x);
  torch::Tensor tail(const torch::Tensor& skip, const torch::Tensor& excited);

  UNetConv conv1{nullptr}, conv2{nullptr};
  torch::nn::Conv2d conv1_down{nullptr}, conv3{nullptr};
  torch::nn::ConvTranspose2d conv2_up{nullptr}, conv_bottom{nullptr};
};
TORCH_MODULE(UNet1);

// UNet2: two levels, SE blocks on conv2-4, a plain 3x3 conv bottom.
struct UNet2Impl : torch::nn::Module {
  UNet2Impl(int64_t in, int64_t out);
  torch::Tensor forward(torch::Tensor x, double alpha);
  // The pieces between its SE blocks (upcunet_v3.py's forward_a ... forward_d). head: conv1's
  // cropped output (skip 1) and conv2's body; down: from conv2's excited output, skip 2 and
  // conv3's body; up: from skip 2 and conv3's excited output, conv4's body; tail: from skip 1 and
  // conv4's excited output (times alpha), the UNet's output.
  std::pair<torch::Tensor, torch::Tensor> head(const torch::Tensor& x);
  std::pair<torch::Tensor, torch::Tensor> down(const torch::Tensor& excited2);
  torch::Tensor up(const torch::Tensor& skip2, const torch::Tensor& excited3);
  torch::Tensor tail(const torch::Tensor& skip1, const torch::Tensor& excited4);

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

  // The parts of forward around the UNets, shared with tiled inference (realcugan_stages.h).
  // Pro models take their input in [0.15, 0.85].
  torch::Tensor to_model_range(const torch::Tensor& x) const;
  // UNet1's input from a padded window (the fast variant works on a pixel-unshuffled one).
  torch::Tensor unet1_input(const torch::Tensor& padded) const;
  // unet1's output where unet2's output lies (unet2's unpadded convs eat 20 px a side).
  static torch::Tensor residual_of(const torch::Tensor& unet1_out);
  // From unet2's output and unet1's output cropped to it: the upscaled padded area.
  torch::Tensor combine(const torch::Tensor& unet2_out, const torch::Tensor& unet1_cropped);
  // The last step on the upscaled image (cropped to scale x input): the nearest-upsampled input
  // added back (4x, fast; `input` in model range) and pro's range undone.
  torch::Tensor finish(const torch::Tensor& y, const torch::Tensor& input) const;

  RealCUGANOptions options;
  torch::Tensor pro;  // buffer "pro", present only for pro models
  UNet1 unet1{nullptr};
  UNet2 unet2{nullptr};
  torch::nn::Conv2d conv_final{nullptr};  // 4x and fast
};
TORCH_MODULE(RealCUGAN);

}  // namespace pf::models

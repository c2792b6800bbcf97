// SPAN (Swift Parameter-free Attention Network) with spandrel's key names. Each Conv3XC trains
// in its three-branch form (sk, conv.0-2) and runs as one 3x3 `eval_conv`; reparameterize()
// folds the branches into eval_conv exactly (in float64).
#pragma once
#include <torch/nn.h>

#include <array>

namespace pf::models {

struct Conv3XCImpl : torch::nn::Module {
  Conv3XCImpl(int64_t c_in, int64_t c_out, int64_t gain = 2);
  // Training mode: conv(pad(x)) + sk(x); eval mode: eval_conv(x).
  torch::Tensor forward(torch::Tensor x);
  // eval_conv := fold(sk, conv.0, conv.1, conv.2).
  void reparameterize();

  torch::nn::Conv2d sk{nullptr};
  torch::nn::Sequential conv;
  torch::nn::Conv2d eval_conv{nullptr};
};
TORCH_MODULE(Conv3XC);

struct SPABImpl : torch::nn::Module {
  explicit SPABImpl(int64_t channels);
  // Returns (out, SiLU(c1_r(x)), attention) like the reference SPAB.
  std::array<torch::Tensor, 3> forward(torch::Tensor x);

  Conv3XC c1_r{nullptr}, c2_r{nullptr}, c3_r{nullptr};
};
TORCH_MODULE(SPAB);

struct SPANOptions {
  int64_t num_in_ch = 3;
  int64_t num_out_ch = 3;
  int64_t feature_channels = 48;
  int64_t upscale = 4;
  bool norm = true;  // subtract rgb_mean and multiply by img_range first
  double img_range = 255.0;
  std::array<double, 3> rgb_mean{0.4488, 0.4371, 0.4040};

  // traiNNer-redux's presets (span_arch.py): "span" (52 feature channels) and "span_s" (48, the
  // size of 2xLiveActionV1_SPAN), both without normalisation; ModelError otherwise.
  static SPANOptions preset(const std::string& name, int64_t upscale);
};

struct SPANImpl : torch::nn::Module {
  explicit SPANImpl(SPANOptions options = {});
  torch::Tensor forward(torch::Tensor x);
  void reparameterize();

  SPANOptions options;
  torch::Tensor no_norm;  // registered buffer only when norm is off (spandrel's marker key)
  Conv3XC conv_1{nullptr};
  std::array<SPAB, 6> blocks{SPAB{nullptr}, SPAB{nullptr}, SPAB{nullptr},
                             SPAB{nullptr}, SPAB{nullptr}, SPAB{nullptr}};
  torch::nn::Conv2d conv_cat{nullptr};
  Conv3XC conv_2{nullptr};
  torch::nn::Sequential upsampler;
};
TORCH_MODULE(SPAN);

}  // namespace pf::models

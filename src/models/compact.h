// SRVGGNetCompact (Real-ESRGAN's "Compact"): conv→act, num_conv × (conv→act), conv to
// out·scale², PixelShuffle, plus the nearest-upsampled input. Keys: body.N.{weight,bias}.
#pragma once
#include <torch/nn.h>

#include <string>

namespace pf::models {

struct CompactOptions {
  int64_t num_in_ch = 3;
  int64_t num_out_ch = 3;
  int64_t num_feat = 64;
  int64_t num_conv = 16;
  int64_t upscale = 4;
  std::string act_type = "prelu";  // prelu | relu | leakyrelu (slope 0.1)

  // "compact" (64/16), "ultracompact" (64/8), "superultracompact" (24/8); ModelError otherwise.
  static CompactOptions preset(const std::string& name, int64_t upscale);
};

struct CompactImpl : torch::nn::Module {
  explicit CompactImpl(CompactOptions options = {});
  torch::Tensor forward(torch::Tensor x);

  CompactOptions options;
  torch::nn::Sequential body;

 private:
  torch::Tensor run_body(const torch::Tensor& x);
};
TORCH_MODULE(Compact);

}  // namespace pf::models

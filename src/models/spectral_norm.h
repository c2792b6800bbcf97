// A convolution whose weight is divided by its largest singular value (spectral normalisation,
// Miyato et al. 2018), in both of PyTorch's layouts, so the discriminators' files keep their
// community key names:
//   kLegacy       torch.nn.utils.spectral_norm (Real-ESRGAN's UNetDiscriminatorSN):
//                 weight_orig, weight_u, weight_v; u and v start random, then one power
//                 iteration (v first, then u) per training forward.
//   kParametrized torch.nn.utils.parametrizations.spectral_norm (traiNNer-redux's DUnet):
//                 parametrizations.weight.original, parametrizations.weight.0._u / ._v; u and v
//                 get 15 power iterations when built, then one (u first, then v) per training
//                 forward.
// In eval mode the stored u and v are used as they are, as in PyTorch.
#pragma once
#include <torch/nn.h>

namespace pf::models {

enum class SpectralNormStyle { kLegacy, kParametrized };

struct SNConv2dOptions {
  int64_t in = 0, out = 0, kernel = 3, stride = 1, padding = 1;
  bool bias = true;
  SpectralNormStyle style = SpectralNormStyle::kLegacy;
};

struct SNConv2dImpl : torch::nn::Module {
  explicit SNConv2dImpl(const SNConv2dOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  // weight / sigma; in training mode after one power iteration (which updates u and v).
  torch::Tensor normalized_weight();

  SNConv2dOptions options;
  // Registered under the style's names (see above); these handles share their storage.
  torch::Tensor weight, bias, u, v;
};
TORCH_MODULE(SNConv2d);

}  // namespace pf::models

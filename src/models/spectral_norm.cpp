#include "models/spectral_norm.h"

#include <torch/nn/functional.h>

namespace pf::models {

namespace F = torch::nn::functional;

namespace {

// PyTorch's eps for both spectral norms.
constexpr double kEps = 1e-12;

torch::Tensor normalize(const torch::Tensor& x) {
  return F::normalize(x, F::NormalizeFuncOptions().p(2).dim(0).eps(kEps));
}

// Module containers without parameters of their own, to give the parametrized layout its
// dotted names (parametrizations.weight.original, parametrizations.weight.0._u).
std::shared_ptr<torch::nn::Module> holder() {
  return std::make_shared<torch::nn::Module>();
}

}  // namespace

SNConv2dImpl::SNConv2dImpl(const SNConv2dOptions& o) : options(o) {
  // torch.nn.Conv2d's initialisation (Kaiming-uniform weight, uniform bias).
  torch::nn::Conv2d init(torch::nn::Conv2dOptions(o.in, o.out, o.kernel)
                             .stride(o.stride)
                             .padding(o.padding)
                             .bias(o.bias));
  torch::Tensor w = init->weight.detach().clone();
  torch::Tensor u0 = normalize(torch::randn({o.out}));
  torch::Tensor v0 = normalize(torch::randn({o.in * o.kernel * o.kernel}));
  if (o.bias) bias = register_parameter("bias", init->bias.detach().clone());
  if (o.style == SpectralNormStyle::kLegacy) {
    weight = register_parameter("weight_orig", w);
    u = register_buffer("weight_u", u0);
    v = register_buffer("weight_v", v0);
    return;
  }
  auto parametrizations = register_module("parametrizations", holder());
  auto list = parametrizations->register_module("weight", holder());
  weight = list->register_parameter("original", w);
  auto sn = list->register_module("0", holder());
  u = sn->register_buffer("_u", u0);
  v = sn->register_buffer("_v", v0);
  // parametrizations.spectral_norm starts from a converged estimate.
  torch::NoGradGuard no_grad;
  const auto mat = weight.reshape({o.out, -1});
  for (int i = 0; i < 15; ++i) {
    u.copy_(normalize(torch::mv(mat, v)));
    v.copy_(normalize(torch::mv(mat.t(), u)));
  }
}

torch::Tensor SNConv2dImpl::normalized_weight() {
  const auto mat = weight.reshape({weight.size(0), -1});
  torch::Tensor uu = u, vv = v;
  if (is_training()) {
    {
      torch::NoGradGuard no_grad;
      if (options.style == SpectralNormStyle::kLegacy) {
        v.copy_(normalize(torch::mv(mat.t(), u)));
        u.copy_(normalize(torch::mv(mat, v)));
      } else {
        u.copy_(normalize(torch::mv(mat, v)));
        v.copy_(normalize(torch::mv(mat.t(), u)));
      }
    }
    // The next forward updates u and v in place; the graph of this one keeps its own copies.
    uu = u.clone();
    vv = v.clone();
  }
  const auto sigma = torch::dot(uu, torch::mv(mat, vv));
  return weight / sigma;
}

torch::Tensor SNConv2dImpl::forward(const torch::Tensor& x) {
  return torch::conv2d(x, normalized_weight(), bias, options.stride, options.padding);
}

}  // namespace pf::models

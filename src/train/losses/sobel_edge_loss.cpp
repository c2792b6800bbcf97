// sobeledgeloss: MSE between the Sobel gradients (x and y, kernels / 4) of the outputs' and
// targets' BT.601 luma (traiNNer-redux's sobel_edge_loss.py).
#include <torch/nn/functional.h>

#include "train/losses/image_ops.h"
#include "train/losses/registry.h"

namespace pf::train {

namespace {

struct NoArgs {};

class SobelEdgeLoss final : public Loss {
 public:
  LossParts forward(const torch::Tensor& out, const torch::Tensor& target) override {
    namespace F = torch::nn::functional;
    const auto opts = out.options().dtype(torch::kFloat32);
    const auto kx = torch::tensor({-1, 0, 1, -2, 0, 2, -1, 0, 1}, opts).view({1, 1, 3, 3}) / 4.0;
    const auto ky = torch::tensor({-1, -2, -1, 0, 0, 0, 1, 2, 1}, opts).view({1, 1, 3, 3}) / 4.0;
    const auto grad = [&](const torch::Tensor& img) {
      const auto luma = rgb_to_luma(img.to(torch::kFloat32));
      const auto o = F::Conv2dFuncOptions().padding(1);
      return torch::cat({F::conv2d(luma, kx, o), F::conv2d(luma, ky, o)}, 1);
    };
    return {{"", F::mse_loss(grad(out), grad(target))}};
  }
};

}  // namespace

LossInfo sobel_edge_loss_info() {
  return {"sobeledgeloss", loss_specs(OptionTable<NoArgs>{}),
          [](const YAML::Node& entry, const std::string& file, Warnings& w) {
            read_loss_options(OptionTable<NoArgs>{}, entry, file, "sobeledgeloss", w);
            return std::make_unique<SobelEdgeLoss>();
          }};
}

}  // namespace pf::train

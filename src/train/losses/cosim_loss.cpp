// cosimloss: cosim_lambda x (1 - mean cosine similarity of the pixels' RGB vectors), inputs
// clamped to [1e-12, 1] (traiNNer-redux's cosim_loss.py).
#include <torch/nn/functional.h>

#include "train/losses/registry.h"

namespace pf::train {

namespace {

struct CosimArgs {
  double cosim_lambda = 5;
};

class CosimLoss final : public Loss {
 public:
  explicit CosimLoss(CosimArgs a) : a_(a) {}
  LossParts forward(const torch::Tensor& out, const torch::Tensor& target) override {
    namespace F = torch::nn::functional;
    const auto x = out.to(torch::kFloat32).clamp(1e-12, 1);
    const auto y = target.to(torch::kFloat32).clamp(1e-12, 1);
    const auto sim = F::cosine_similarity(x, y, F::CosineSimilarityFuncOptions().dim(1).eps(1e-20));
    return {{"", a_.cosim_lambda * (1 - sim.mean())}};
  }

 private:
  CosimArgs a_;
};

OptionTable<CosimArgs> table() {
  using P = CosimArgs;
  return {real<P>("cosim_lambda", &P::cosim_lambda, 5, 0, kInf, "multiplier of the distance")};
}

}  // namespace

LossInfo cosim_loss_info() {
  return {
      "cosimloss", loss_specs(table()),
      [](const YAML::Node& entry, const std::string& file, Warnings& w) {
        return std::make_unique<CosimLoss>(read_loss_options(table(), entry, file, "cosimloss", w));
      }};
}

}  // namespace pf::train

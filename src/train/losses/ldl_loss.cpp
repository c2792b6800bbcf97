// ldlloss: LDL (Liang et al., "Details or Artifacts", CVPR 2022) as traiNNer-redux's
// ldl_loss.py computes it. Pixels where the output is further from the HQ than the EMA
// generator's output is are taken for artifacts, weighted by the local (7x7) variance of the
// residual times the image's residual variance to the 1/5, and compared with the HQ under the
// same weights; elsewhere the weight is 0. The weight map is part of the graph, as upstream.
// Needs ema_decay > 0 (the config reader says so).
#include <torch/nn/functional.h>

#include "core/error.h"
#include "train/losses/registry.h"

namespace pf::train {

namespace {

namespace F = torch::nn::functional;

struct LdlArgs {
  std::string criterion;
};

// Unbiased variance of every ksize x ksize window (reflect-padded), per pixel.
torch::Tensor local_variance(const torch::Tensor& residual, int64_t ksize) {
  const int64_t pad = (ksize - 1) / 2;
  const auto padded =
      F::pad(residual, F::PadFuncOptions({pad, pad, pad, pad}).mode(torch::kReflect));
  const auto windows = padded.unfold(2, ksize, 1).unfold(3, ksize, 1);
  return torch::var(windows, {-1, -2}, /*unbiased=*/true, /*keepdim=*/false);
}

torch::Tensor artifact_map(const torch::Tensor& gt, const torch::Tensor& out,
                           const torch::Tensor& ema) {
  const auto residual_ema = (gt - ema).abs().sum(1, true);
  const auto residual_sr = (gt - out).abs().sum(1, true);
  const auto patch = torch::var(residual_sr, {-1, -2, -3}, true, true).pow(1.0 / 5);
  const auto pixel = local_variance(residual_sr, 7);
  return (patch * pixel).masked_fill(residual_sr < residual_ema, 0);
}

class LdlLoss final : public Loss {
 public:
  explicit LdlLoss(LdlArgs a) : a_(std::move(a)) {}
  LossParts forward(const torch::Tensor&, const torch::Tensor&) override {
    throw Error("ldlloss needs the EMA generator's output (ema_decay > 0)");
  }
  LossParts evaluate(const LossInputs& in) override {
    if (!in.ema_output) throw Error("ldlloss needs the EMA generator (ema_decay > 0)");
    const auto w = artifact_map(in.target, in.output, in.ema_output());
    const auto diff = w * in.output - w * in.target;
    torch::Tensor e;
    if (a_.criterion == "l1")
      e = diff.abs();
    else if (a_.criterion == "l2")
      e = diff.pow(2);
    else
      e = torch::sqrt(diff.pow(2) + 1e-12);
    return {{"", e.mean()}};
  }

 private:
  LdlArgs a_;
};

OptionTable<LdlArgs> table() {
  using P = LdlArgs;
  return {choice<P>("criterion", &P::criterion, "l1", {"l1", "l2", "charbonnier"},
                    "distance of the weighted output and HQ")};
}

}  // namespace

LossInfo ldl_loss_info() {
  return {"ldlloss", loss_specs(table()),
          [](const YAML::Node& entry, const std::string& file, Warnings& w) {
            return std::make_unique<LdlLoss>(read_loss_options(table(), entry, file, "ldlloss", w));
          }};
}

}  // namespace pf::train

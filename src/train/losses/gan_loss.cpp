#include "train/losses/gan_loss.h"

#include <torch/nn/functional.h>

#include "core/error.h"
#include "train/losses/registry.h"

namespace pf::train {

namespace F = torch::nn::functional;

torch::Tensor GanLoss::labelled(const torch::Tensor& pred, bool real) const {
  const std::string& t = o_.gan_type;
  if (t == "wgan") return real ? -pred.mean() : pred.mean();
  if (t == "wgan_softplus") return real ? F::softplus(-pred).mean() : F::softplus(pred).mean();
  const auto label = torch::full_like(pred, real ? o_.real_label_val : o_.fake_label_val);
  if (t == "lsgan") return F::mse_loss(pred, label);
  return F::binary_cross_entropy_with_logits(pred, label);
}

torch::Tensor GanLoss::generator_loss(const torch::Tensor& pred) const {
  if (o_.gan_type == "hinge") return -pred.mean();
  return labelled(pred, true);
}

torch::Tensor GanLoss::discriminator_loss(const torch::Tensor& pred, bool real) const {
  if (o_.gan_type == "hinge") return torch::relu(1 + (real ? -pred : pred)).mean();
  return labelled(pred, real);
}

LossParts GanLoss::evaluate(const LossInputs& in) {
  if (!in.discriminate) throw Error("ganloss: the trainer has no discriminator (network_d)");
  return {{"", generator_loss(in.discriminate(in.output))}};
}

LossParts GanLoss::forward(const torch::Tensor&, const torch::Tensor&) {
  throw Error("ganloss compares the output with the discriminator, not with a target");
}

namespace {

OptionTable<GanLossOptions> table() {
  using P = GanLossOptions;
  return {
      choice<P>("gan_type", &P::gan_type, "vanilla",
                {"vanilla", "lsgan", "hinge", "wgan", "wgan_softplus"},
                "vanilla (BCE with logits), lsgan (MSE), hinge, wgan, wgan_softplus"),
      real<P>("real_label_val", &P::real_label_val, 1, -kInf, kInf,
              "vanilla, lsgan: the label of real images"),
      real<P>("fake_label_val", &P::fake_label_val, 0, -kInf, kInf,
              "vanilla, lsgan: the label of generated images"),
  };
}

}  // namespace

LossInfo gan_loss_info() {
  return {"ganloss", loss_specs(table()),
          [](const YAML::Node& entry, const std::string& file, Warnings& w) {
            return std::make_unique<GanLoss>(read_loss_options(table(), entry, file, "ganloss", w));
          }};
}

}  // namespace pf::train

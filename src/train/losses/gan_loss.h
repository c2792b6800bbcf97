// ganloss: traiNNer-redux's GANLoss. The generator's term is the discriminator's prediction on
// the output judged as real (weighted by loss_weight); the discriminator's terms judge the HQ as
// real and the detached output as fake, always with weight 1, as there.
//   vanilla        BCE with logits against real_label_val / fake_label_val
//   lsgan          MSE against the same labels
//   hinge          D: mean relu(1 - pred) (real), mean relu(1 + pred) (fake); G: -mean pred
//   wgan           real: -mean pred, fake: mean pred
//   wgan_softplus  real: mean softplus(-pred), fake: mean softplus(pred)
#pragma once
#include <string>

#include "train/losses/loss.h"

namespace pf::train {

struct GanLossOptions {
  std::string gan_type = "vanilla";
  double real_label_val = 1.0, fake_label_val = 0.0;
};

class GanLoss final : public Loss {
 public:
  explicit GanLoss(GanLossOptions options) : o_(std::move(options)) {}
  // The generator's loss from the discriminator's prediction on the output.
  torch::Tensor generator_loss(const torch::Tensor& pred) const;
  // The discriminator's loss on a prediction of real (HQ) or fake (output) images.
  torch::Tensor discriminator_loss(const torch::Tensor& pred, bool real) const;

  LossParts evaluate(const LossInputs& in) override;
  // A GAN loss needs the discriminator: only evaluate() is meaningful.
  LossParts forward(const torch::Tensor& output, const torch::Tensor& target) override;
  const GanLossOptions& options() const { return o_; }

 private:
  torch::Tensor labelled(const torch::Tensor& pred, bool real) const;
  GanLossOptions o_;
};

}  // namespace pf::train

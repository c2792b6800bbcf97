// l1loss, mseloss, charbonnierloss: per-pixel distances, reduced by mean (or sum), as basicsr's
// L1Loss / MSELoss / CharbonnierLoss (traiNNer-redux's basic_loss.py).
#include "train/losses/registry.h"

namespace pf::train {

namespace {

struct PixelArgs {
  std::string reduction;
  double eps = 1e-12;
};

enum class Distance { kL1, kL2, kCharbonnier };

class PixelLoss final : public Loss {
 public:
  PixelLoss(Distance d, PixelArgs a) : d_(d), a_(std::move(a)) {}
  LossParts forward(const torch::Tensor& out, const torch::Tensor& target) override {
    const auto diff = out - target;
    torch::Tensor e;
    if (d_ == Distance::kL1)
      e = diff.abs();
    else if (d_ == Distance::kL2)
      e = diff.pow(2);
    else
      e = torch::sqrt(diff.pow(2) + a_.eps);
    return {{"", a_.reduction == "sum" ? e.sum() : e.mean()}};
  }

 private:
  Distance d_;
  PixelArgs a_;
};

OptionTable<PixelArgs> table(bool with_eps) {
  using P = PixelArgs;
  OptionTable<P> t = {choice<P>("reduction", &P::reduction, "mean", {"mean", "sum"},
                                "mean or sum over the pixels")};
  if (with_eps)
    t.push_back(real<P>("eps", &P::eps, 1e-12, 0, 1, "sqrt((x - y)^2 + eps): curvature at 0"));
  return t;
}

LossInfo info(const char* name, Distance d) {
  const bool eps = d == Distance::kCharbonnier;
  return {name, loss_specs(table(eps)),
          [name, d, eps](const YAML::Node& entry, const std::string& file, Warnings& w) {
            const auto t = table(eps);
            return std::make_unique<PixelLoss>(d, read_loss_options(t, entry, file, name, w));
          }};
}

}  // namespace

LossInfo l1_loss_info() {
  return info("l1loss", Distance::kL1);
}
LossInfo mse_loss_info() {
  return info("mseloss", Distance::kL2);
}
LossInfo charbonnier_loss_info() {
  return info("charbonnierloss", Distance::kCharbonnier);
}

}  // namespace pf::train

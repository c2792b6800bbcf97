#include "train/loss_scaler.h"

namespace pf::train {

bool LossScaler::unscale(const std::vector<torch::Tensor>& params) const {
  if (!enabled_) return true;
  torch::NoGradGuard no_grad;
  bool finite = true;
  for (const auto& p : params) {
    if (!p.grad().defined()) continue;
    auto g = p.grad();
    g.mul_(1.0 / scale_);
    finite = finite && torch::isfinite(g).all().item<bool>();
  }
  return finite;
}

void LossScaler::update(bool found_inf) {
  if (!enabled_) return;
  if (found_inf) {
    scale_ *= 0.5;
    growth_tracker_ = 0;
  } else if (++growth_tracker_ >= 2000) {
    scale_ *= 2.0;
    growth_tracker_ = 0;
  }
}

}  // namespace pf::train

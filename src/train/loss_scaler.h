// Dynamic loss scaling for fp16 mixed precision (torch.amp.GradScaler's rules: start at 2^16,
// halve on a non-finite gradient and skip that step, double after 2000 clean steps).
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace pf::train {

class LossScaler {
 public:
  explicit LossScaler(bool enabled) : enabled_(enabled) {}
  bool enabled() const { return enabled_; }
  double scale() const { return enabled_ ? scale_ : 1.0; }
  torch::Tensor scale_loss(const torch::Tensor& loss) const {
    return enabled_ ? loss * scale_ : loss;
  }
  // Divides the gradients by the scale; false when one is not finite (skip the step).
  bool unscale(const std::vector<torch::Tensor>& params) const;
  // After each step: adapts the scale.
  void update(bool found_inf);
  int64_t growth_tracker() const { return growth_tracker_; }
  void restore(double scale, int64_t growth_tracker) {
    scale_ = scale;
    growth_tracker_ = growth_tracker;
  }

 private:
  bool enabled_;
  double scale_ = 65536.0;
  int64_t growth_tracker_ = 0;
};

}  // namespace pf::train

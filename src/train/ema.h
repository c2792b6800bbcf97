// Exponential moving average of the generator's weights, as ema_pytorch (which traiNNer-redux
// uses) computes it: the copy follows the weights until update_after_step, then
//   decay(k) = min(ema_decay, 1 - (1 + k)^-power),  k = steps since update_after_step, minus 1
//   ema = ema - (1 - decay) (ema - weights)
// Floating-point parameters and buffers both follow. The EMA copy is what validation runs and
// what models/net_g_ema_N.* holds (params_ema in a .pth).
#pragma once
#include <torch/nn.h>

#include <cstdint>

namespace pf::train {

struct EmaOptions {
  double decay = 0.999;  // ema_decay
  double power = 10;     // ema_power (10: effectively no warm-up)
  int64_t update_after_step = 0;
};

class Ema {
 public:
  // `online` and `copy` have the same architecture; `copy` starts as it is (a pretrain's EMA, or
  // a clone of the online weights).
  Ema(torch::nn::Module& online, torch::nn::Module& copy, EmaOptions options);

  // Call after each optimiser step.
  void update();
  // The decay the next update() will use (0 while the copy just follows).
  double next_decay() const;
  static double decay_at(const EmaOptions& o, int64_t step);

  int64_t step() const { return step_; }
  bool initted() const { return initted_; }
  // For a training state: restore the counters (the copy's weights are restored as tensors).
  void restore(int64_t step, bool initted) {
    step_ = step;
    initted_ = initted;
  }

 private:
  void copy_from_online();
  std::vector<torch::Tensor> online_, copy_;
  EmaOptions options_;
  int64_t step_ = 0;
  bool initted_ = false;
};

}  // namespace pf::train

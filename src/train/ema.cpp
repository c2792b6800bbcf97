#include "train/ema.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace pf::train {

namespace {
void collect(torch::nn::Module& m, std::vector<torch::Tensor>& out) {
  for (auto& p : m.parameters(true))
    if (p.is_floating_point()) out.push_back(p);
  for (auto& b : m.buffers(true))
    if (b.is_floating_point()) out.push_back(b);
}
}  // namespace

Ema::Ema(torch::nn::Module& online, torch::nn::Module& copy, EmaOptions options)
    : options_(options) {
  collect(online, online_);
  collect(copy, copy_);
  if (online_.size() != copy_.size())
    throw Error("EMA: the online network and its copy differ in structure");
  for (auto& t : copy_) t.requires_grad_(false);
}

double Ema::decay_at(const EmaOptions& o, int64_t step) {
  const double epoch = std::max<double>(static_cast<double>(step - o.update_after_step - 1), 0.0);
  if (epoch <= 0) return 0.0;
  const double value = 1 - std::pow(1 + epoch, -o.power);
  return std::clamp(value, 0.0, o.decay);
}

double Ema::next_decay() const {
  return decay_at(options_, step_ + 1);
}

void Ema::copy_from_online() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < copy_.size(); ++i) copy_[i].copy_(online_[i]);
}

void Ema::update() {
  const int64_t step = step_;
  ++step_;
  if (step <= options_.update_after_step) {
    copy_from_online();
    return;
  }
  if (!initted_) {
    copy_from_online();
    initted_ = true;
  }
  const double decay = decay_at(options_, step_);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < copy_.size(); ++i) {
    auto difference = copy_[i] - online_[i];
    difference.mul_(1.0 - decay);
    copy_[i].sub_(difference);
  }
}

}  // namespace pf::train

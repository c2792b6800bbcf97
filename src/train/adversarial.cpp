#include "train/adversarial.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>

#include "core/error.h"
#include "models/checkpoint.h"
#include "models/model.h"
#include "train/autocast.h"
#include "train/distributed.h"
#include "train/network.h"
#include "train/network_d.h"
#include "train/scheduler.h"

namespace pf::train {

namespace {

NamedTorch all_tensors(torch::nn::Module& net) {
  NamedTorch out;
  for (auto& p : net.named_parameters(true)) out.emplace_back(p.key(), p.value());
  for (auto& b : net.named_buffers(true)) out.emplace_back(b.key(), b.value());
  return out;
}

}  // namespace

Adversary::Adversary(const TrainConfig& c, const GanLoss& loss, AdversaryOptions o)
    : c_(c), loss_(loss), o_(o), scaler_(o.autocast && o.amp_dtype == torch::kFloat16) {
  if (!c.network_d || !c.train.optim_d) throw Error("GAN training needs network_d and optim_d");
  net_ = build_discriminator(*c.network_d);
  if (!c.path.pretrain_network_d.empty()) {
    const auto r = load_pretrain(*net_.ptr(), c.path.pretrain_network_d, c.path.param_key_d,
                                 c.path.strict_load_d, "network_d");
    spdlog::info("pretrain_network_d {}: {} weights loaded{}", c.path.pretrain_network_d,
                 r.loaded.size(), r.wrapper.empty() ? "" : " from '" + r.wrapper + "'");
    for (const auto& s : r.skipped) spdlog::warn("pretrain_network_d: skipped {}", s);
    for (const auto& s : r.unused) spdlog::warn("pretrain_network_d: unused weight {}", s);
  }
  if (o_.channels_last) models::use_channels_last(*net_.ptr());
  net_.ptr()->to(o_.device);
  net_.ptr()->train();
  for (auto& p : net_.ptr()->named_parameters(true)) params_.emplace_back(p.key(), p.value());
  optim_ = std::make_unique<AdamOptimizer>(params_, *c.train.optim_d);
  if (o_.dist) {
    std::vector<torch::Tensor> ps;
    for (const auto& kv : params_) ps.push_back(kv.second);
    reducer_ = std::make_unique<GradReducer>(*o_.dist, ps);
  }
}

Adversary::~Adversary() = default;

void Adversary::set_trainable(bool on) {
  for (auto& kv : params_) kv.second.set_requires_grad(on);
}

torch::Tensor Adversary::discriminate(const torch::Tensor& image) {
  set_trainable(false);
  torch::Tensor pred;
  {
    AutocastScope amp(o_.autocast, o_.amp_dtype);
    pred = net_.forward(image);
  }
  return pred.to(torch::kFloat32);
}

void Adversary::observe_generator_loss(double loss) {
  if (!c_.train.adaptive_d) return;
  // Every worker decides alike, from the mean over the workers.
  if (o_.dist) loss = o_.dist->sum({loss})[0] / o_.dist->size();
  const double decay = c_.train.adaptive_d_ema_decay;
  const double ema = decay * gan_ema_ + (1 - decay) * loss;
  skip_micro_ = ema > gan_ema_ * c_.train.adaptive_d_threshold;
  gan_ema_ = ema;
}

void Adversary::backward(const torch::Tensor& gt, const torch::Tensor& output, int64_t accum,
                         bool last, std::map<std::string, double>& logged) {
  const bool skip = skip_micro_;
  skip_micro_ = false;
  if (last) stepping_ = !skip;
  if (skip) return;
  set_trainable(true);
  torch::Tensor real_pred, fake_pred;
  {
    AutocastScope amp(o_.autocast, o_.amp_dtype);
    real_pred = net_.forward(gt);
    fake_pred = net_.forward(output.detach());
  }
  real_pred = real_pred.to(torch::kFloat32);
  fake_pred = fake_pred.to(torch::kFloat32);
  const auto l_real = loss_.discriminator_loss(real_pred, true);
  const auto l_fake = loss_.discriminator_loss(fake_pred, false);
  const double a = static_cast<double>(accum);
  logged["l_d_real"] += l_real.item<double>() / a;
  logged["l_d_fake"] += l_fake.item<double>() / a;
  logged["out_d_real"] += real_pred.detach().mean().item<double>() / a;
  logged["out_d_fake"] += fake_pred.detach().mean().item<double>() / a;
  if (last && reducer_) reducer_->arm();
  scaler_.scale_loss((l_real + l_fake) / a).backward();
  if (last && reducer_) reducer_->finish();
}

void Adversary::step(int64_t iteration, std::map<std::string, double>& logged) {
  if (!stepping_) return;
  stepping_ = false;
  std::vector<torch::Tensor> params;
  for (const auto& kv : params_) params.push_back(kv.second);
  const bool ok = scaler_.unscale(params);
  scaler_.update(!ok);
  if (!ok) {
    optim_->zero_grad();
    return;
  }
  if (c_.train.grad_clip)
    logged["grad_norm_d"] = clip_grad_norm(params, c_.train.grad_clip_max_norm);
  optim_->set_lr(
      learning_rate(c_.train.scheduler, c_.train.optim_d->lr, iteration, c_.train.warmup_iter));
  optim_->step();
  optim_->zero_grad();
}

void Adversary::save_model(const std::string& path,
                           const std::map<std::string, std::string>& metadata) {
  models::Metadata meta(metadata.begin(), metadata.end());
  meta["network_d"] = c_.network_d->type;
  models::PthOptions pth;
  pth.key = "params";
  models::write_checkpoint(path, models::module_state(*net_.ptr()), meta, pth);
}

void Adversary::store(TrainingState& s) const {
  s.net_d = all_tensors(*net_.ptr());
  s.optimizer_d = optim_->state();
  s.counters["network_d"] = c_.network_d->type;
  s.counters["loss_scale_d"] = fmt::format("{}", scaler_.scale());
  s.counters["loss_scale_growth_d"] = std::to_string(scaler_.growth_tracker());
  s.counters["adaptive_d_ema"] = fmt::format("{:.17g}", gan_ema_);
}

void Adversary::restore(const TrainingState& s, const std::string& label) {
  if (s.net_d.empty()) {
    // A fidelity pretrain's state: the discriminator starts fresh (or from its pretrain).
    spdlog::info("{}: the state has no discriminator; network_d starts as configured", label);
    return;
  }
  if (s.counters.count("network_d") && s.counters.at("network_d") != c_.network_d->type)
    throw ConfigError(label + ": the state's discriminator is " + s.counters.at("network_d") +
                      ", the config's network_d is " + c_.network_d->type);
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : all_tensors(*net_.ptr())) {
    const torch::Tensor* src = nullptr;
    for (const auto& kv : s.net_d)
      if (kv.first == name) src = &kv.second;
    if (!src || src->sizes() != t.sizes())
      throw ModelError(label + ": discriminator tensor '" + name +
                       "' is missing or has another shape (another network_d?)");
    t.copy_(*src);
  }
  optim_->load_state(s.optimizer_d, label);
  if (s.counters.count("loss_scale_d"))
    scaler_.restore(std::stod(s.counters.at("loss_scale_d")),
                    std::stoll(s.counters.at("loss_scale_growth_d")));
  if (s.counters.count("adaptive_d_ema")) gan_ema_ = std::stod(s.counters.at("adaptive_d_ema"));
}

void Adversary::broadcast_weights() {
  if (!o_.dist) return;
  std::vector<torch::Tensor> ts;
  for (auto& kv : all_tensors(*net_.ptr())) ts.push_back(kv.second);
  o_.dist->broadcast(ts);
}

}  // namespace pf::train

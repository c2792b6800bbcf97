#include "train/optimizer.h"

#include <cmath>

#include "core/error.h"
#include "core/yaml_util.h"

namespace pf::train {

namespace {

struct OptimArgs {
  std::string type;
  double lr = 0, weight_decay = 0, eps = 0;
  std::vector<double> betas;
  bool amsgrad = false;
};

// weight_decay's default depends on the type (torch: Adam 0, AdamW 0.01), so the table holds
// -1 for "the type's default" and the docs say so.
const OptionTable<OptimArgs>& optim_table() {
  using P = OptimArgs;
  static const OptionTable<P> t = [] {
    OptionTable<P> t = {
        choice<P>("type", &P::type, "AdamW", {"Adam", "AdamW"},
                  "Adam, or AdamW (decoupled weight decay)", true),
        real<P>("lr", &P::lr, 1e-4, 0, 10, "base learning rate"),
        reals<P>("betas", &P::betas, {0.9, 0.999}, 0, 0.999999, 2, "moment decay rates"),
        real<P>("weight_decay", &P::weight_decay, -1, -1, kInf,
                "weight decay (default: 0 for Adam, 0.01 for AdamW, as torch.optim)"),
        real<P>("eps", &P::eps, 1e-8, 0, 1, "added to the root of the second moment"),
        flag<P>("amsgrad", &P::amsgrad, false, "keep the maximum second moment"),
        any<P>("foreach", "~", "torch implementation switch").no_effect("one implementation"),
        any<P>("fused", "~", "torch implementation switch").no_effect("one implementation"),
        any<P>("capturable", "false", "torch implementation switch").no_effect("not needed"),
        fixed<P>("maximize", "false", "maximise the objective", "not supported"),
    };
    t[3].spec.default_text = "0 (Adam), 0.01 (AdamW)";
    t[3].spec.range = ">= 0";
    return t;
  }();
  return t;
}

const std::vector<std::string> kOtherOptimizers = {"SGD",
                                                   "RMSprop",
                                                   "Adamax",
                                                   "NAdam",
                                                   "RAdam",
                                                   "Adan",
                                                   "AdamWScheduleFree",
                                                   "AdanScheduleFree",
                                                   "Lamb",
                                                   "Lion",
                                                   "Prodigy",
                                                   "SOAP",
                                                   "AdEMAMix"};

}  // namespace

OptimizerOptions read_optimizer(const YAML::Node& node, const std::string& file, Warnings& warnings,
                                const std::string& what) {
  OptimizerOptions o;
  if (!node || node.IsNull())
    throw ConfigError(file + ": " + what + " is missing (e.g. {type: AdamW, lr: 2e-4})");
  if (node.IsMap() && node["type"] && node["type"].IsScalar()) {
    const std::string t = node["type"].Scalar();
    for (const auto& other : kOtherOptimizers)
      if (t.size() == other.size() &&
          std::equal(t.begin(), t.end(), other.begin(),
                     [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
        yaml_fail(file, node["type"],
                  "optimiser " + t + " is not supported by pairforge; supported: Adam, AdamW");
  }
  OptimArgs a;
  read_options(optim_table(), a, node, file, what, warnings);
  if (a.weight_decay < 0) {
    if (node["weight_decay"] && !node["weight_decay"].IsNull())
      yaml_fail(file, node["weight_decay"], "weight_decay must be >= 0");
    a.weight_decay = a.type == "AdamW" ? 0.01 : 0.0;
  }
  o.type = a.type;
  o.lr = a.lr;
  o.betas = a.betas;
  o.weight_decay = a.weight_decay;
  o.eps = a.eps;
  o.amsgrad = a.amsgrad;
  o.yaml = show_options(optim_table(), a, 4);
  return o;
}

std::string optimizer_reference_markdown() {
  return "### `train.optim_g`, `train.optim_d`\n\n" + options_markdown(specs_of(optim_table())) +
         "\n";
}

AdamOptimizer::AdamOptimizer(std::vector<std::pair<std::string, torch::Tensor>> params,
                             OptimizerOptions options)
    : params_(std::move(params)), options_(std::move(options)), lr_(options_.lr) {
  slots_.resize(params_.size());
}

void AdamOptimizer::zero_grad() {
  for (auto& [name, p] : params_)
    if (p.grad().defined()) {
      p.mutable_grad().detach_();
      p.mutable_grad().zero_();
    }
}

// torch.optim.Adam/AdamW's single-tensor algorithm, operation for operation, so the result
// matches Python's to float rounding.
void AdamOptimizer::step() {
  torch::NoGradGuard no_grad;
  const double beta1 = options_.betas[0], beta2 = options_.betas[1];
  const bool decoupled = options_.type == "AdamW";
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i].second;
    if (!p.grad().defined()) continue;
    torch::Tensor grad = p.grad();
    Slot& s = slots_[i];
    if (!s.exp_avg.defined()) {
      s.exp_avg = torch::zeros_like(p, torch::MemoryFormat::Preserve);
      s.exp_avg_sq = torch::zeros_like(p, torch::MemoryFormat::Preserve);
      if (options_.amsgrad) s.max_exp_avg_sq = torch::zeros_like(p, torch::MemoryFormat::Preserve);
    }
    ++s.step;
    if (options_.weight_decay != 0) {
      if (decoupled)
        p.mul_(1 - lr_ * options_.weight_decay);
      else
        grad = grad.add(p, options_.weight_decay);
    }
    s.exp_avg.mul_(beta1).add_(grad, 1 - beta1);
    s.exp_avg_sq.mul_(beta2).addcmul_(grad, grad.conj(), 1 - beta2);
    const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(s.step));
    const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(s.step));
    const double step_size = lr_ / bias_correction1;
    const double bias_correction2_sqrt = std::sqrt(bias_correction2);
    torch::Tensor denom;
    if (options_.amsgrad) {
      torch::maximum_out(s.max_exp_avg_sq, s.max_exp_avg_sq, s.exp_avg_sq);
      denom = (s.max_exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(options_.eps);
    } else {
      denom = (s.exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(options_.eps);
    }
    p.addcdiv_(s.exp_avg, denom, -step_size);
  }
}

std::vector<std::pair<std::string, torch::Tensor>> AdamOptimizer::state() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Slot& s = slots_[i];
    if (!s.exp_avg.defined()) continue;
    const std::string& n = params_[i].first;
    out.emplace_back(n + ".step", torch::tensor({s.step}, torch::kInt64));
    out.emplace_back(n + ".exp_avg", s.exp_avg);
    out.emplace_back(n + ".exp_avg_sq", s.exp_avg_sq);
    if (s.max_exp_avg_sq.defined()) out.emplace_back(n + ".max_exp_avg_sq", s.max_exp_avg_sq);
  }
  return out;
}

void AdamOptimizer::load_state(const std::vector<std::pair<std::string, torch::Tensor>>& state,
                               const std::string& label) {
  const auto find = [&](const std::string& key) -> const torch::Tensor* {
    for (const auto& kv : state)
      if (kv.first == key) return &kv.second;
    return nullptr;
  };
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& n = params_[i].first;
    const torch::Tensor& p = params_[i].second;
    Slot& s = slots_[i];
    s = Slot{};
    const torch::Tensor* step = find(n + ".step");
    if (!step) continue;  // never updated before the state was written
    const auto take = [&](const char* suffix) {
      const torch::Tensor* t = find(n + suffix);
      if (!t || t->sizes() != p.sizes())
        throw ModelError(label + ": optimiser state '" + n + suffix + "' is missing or has the " +
                         "wrong shape");
      return t->to(p.device(), p.scalar_type()).contiguous(p.suggest_memory_format()).clone();
    };
    s.step = step->item<int64_t>();
    s.exp_avg = take(".exp_avg");
    s.exp_avg_sq = take(".exp_avg_sq");
    if (options_.amsgrad) s.max_exp_avg_sq = take(".max_exp_avg_sq");
  }
}

double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  double sq = 0;
  for (const auto& p : params)
    if (p.grad().defined()) sq += p.grad().pow(2).sum().item<double>();
  const double norm = std::sqrt(sq), coef = max_norm / (norm + 1e-6);
  if (coef < 1)
    for (const auto& p : params)
      if (p.grad().defined()) p.grad().mul_(coef);
  return norm;
}

}  // namespace pf::train

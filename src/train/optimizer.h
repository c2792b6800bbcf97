// optim_g: Adam and AdamW exactly as torch.optim computes them (bias corrections, eps outside
// the square root, decoupled weight decay for AdamW, amsgrad), with their state as named
// tensors so a training state can save and restore it bit for bit.
#pragma once
#include <torch/types.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>
#include <vector>

#include "train/options.h"

namespace pf::train {

struct OptimizerOptions {
  std::string type = "AdamW";  // Adam | AdamW
  double lr = 1e-4;
  std::vector<double> betas{0.9, 0.999};
  double weight_decay = 0;
  double eps = 1e-8;
  bool amsgrad = false;
  std::string yaml;  // resolved options
};

// Reads optim_g (or optim_d: `what` names the section); throws ConfigError at file:line:col
// (other optimisers: the supported ones).
OptimizerOptions read_optimizer(const YAML::Node& node, const std::string& file, Warnings& warnings,
                                const std::string& what = "train.optim_g");
std::string optimizer_reference_markdown();

// torch.nn.utils.clip_grad_norm_: scales the gradients by max_norm / (norm + 1e-6) when their
// total L2 norm is above max_norm. Returns the norm before clipping.
double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm);

class AdamOptimizer {
 public:
  // `params`: name -> parameter (only those that train).
  AdamOptimizer(std::vector<std::pair<std::string, torch::Tensor>> params,
                OptimizerOptions options);

  void set_lr(double lr) { lr_ = lr; }
  double lr() const { return lr_; }
  // One update from the current .grad()s (parameters without a gradient are left alone).
  void step();
  void zero_grad();
  const std::vector<std::pair<std::string, torch::Tensor>>& params() const { return params_; }

  // State as named tensors ("<param>.exp_avg", ".exp_avg_sq", ".max_exp_avg_sq", ".step").
  std::vector<std::pair<std::string, torch::Tensor>> state() const;
  // Restores what state() gave; throws ModelError naming a missing or mis-shaped entry.
  void load_state(const std::vector<std::pair<std::string, torch::Tensor>>& state,
                  const std::string& label);

 private:
  struct Slot {
    torch::Tensor exp_avg, exp_avg_sq, max_exp_avg_sq;
    int64_t step = 0;
  };
  std::vector<std::pair<std::string, torch::Tensor>> params_;
  std::vector<Slot> slots_;
  OptimizerOptions options_;
  double lr_;
};

}  // namespace pf::train

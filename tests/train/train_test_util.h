// Helpers for the training tests that need LibTorch only: a temp folder, a synthetic sample
// source (smooth random images and their area-downscaled LQ) and YAML configs in memory.
#pragma once
#include <stdlib.h>
#include <torch/nn/functional.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"
#include "core/rng.h"
#include "core/yaml_util.h"
#include "models/checkpoint.h"
#include "models/model.h"
#include "temp_dir.h"
#include "train/config.h"
#include "train/data.h"
#include "train/trainer.h"

namespace pf::test {

using TrainTempDir = TempDir;

// GT: a smooth random image (sum of a few oriented waves and a soft edge); LQ: its average over
// scale x scale blocks. Learnable, deterministic per seed.
class SyntheticSource final : public train::SampleSource {
 public:
  SyntheticSource(int64_t lq_size, int64_t scale) : lq_(lq_size), scale_(scale) {}
  train::Sample sample(const train::SampleKey& key) const override {
    Rng rng(key.seed);
    const int64_t g = lq_ * scale_;
    auto y = torch::arange(g, torch::kFloat32).view({1, g, 1});
    auto x = torch::arange(g, torch::kFloat32).view({1, 1, g});
    auto img = torch::zeros({3, g, g});
    for (int k = 0; k < 3; ++k) {
      const double fx = rng.uniform(0.05, 0.6), fy = rng.uniform(0.05, 0.6), ph = rng.uniform(0, 6);
      auto wave = torch::sin(x * fx + y * fy + ph);
      for (int c = 0; c < 3; ++c) img[c] += wave[0] * rng.uniform(0.05, 0.25);
    }
    img += (x > rng.uniform(0, static_cast<double>(g))).to(torch::kFloat32)[0] * 0.2;
    img = (img + 0.4).clamp(0, 1);
    namespace F = torch::nn::functional;
    auto lq = F::avg_pool2d(img.unsqueeze(0), F::AvgPool2dFuncOptions(scale_)).squeeze(0);
    return {lq.contiguous(), img.contiguous()};
  }
  std::string describe() const override { return "synthetic"; }

 private:
  int64_t lq_, scale_;
};

inline train::TrainConfig parse_config(const std::string& yaml, const std::string& name = "t.yml") {
  return train::TrainConfig::parse(load_yaml_string(yaml, name));
}

// A small, complete config in traiNNer-redux's format; `network` and `extra_train` plug in.
inline std::string small_config(const std::string& network, int64_t total_iter,
                                const std::string& extra_train = "", int64_t scale = 2) {
  return "name: t\nscale: " + std::to_string(scale) +
         "\nmanual_seed: 7\nuse_amp: false\nnum_gpu: 0\n"
         "datasets:\n  train:\n    name: t\n    type: pairedimagedataset\n"
         "    dataroot_gt: [gt]\n    dataroot_lq: [lq]\n    lq_size: 12\n"
         "    batch_size_per_gpu: 4\n    num_worker_per_gpu: 2\n"
         "network_g:\n" +
         network + "train:\n  total_iter: " + std::to_string(total_iter) +
         "\n  optim_g: {type: AdamW, lr: !!float 5e-4, weight_decay: 0, betas: [0.9, 0.99]}\n"
         "  losses:\n    - {type: l1loss, loss_weight: 1.0}\n" +
         extra_train +
         "logger:\n  print_freq: 5\n  save_checkpoint_freq: 1000\n  use_tb_logger: false\n";
}

// A trainer's data: synthetic pairs of lq x lq (times scale).
inline train::TrainData synthetic(int64_t lq, int64_t scale) {
  train::TrainData d;
  d.train = std::make_shared<SyntheticSource>(lq, scale);
  d.describe = "synthetic";
  return d;
}

// CPU, 2 network and 2 loader threads, runs under dir/experiments.
inline train::TrainerOptions options(const TrainTempDir& dir) {
  train::TrainerOptions o;
  o.experiments_root = dir / "experiments";
  o.device = "cpu";
  o.threads = 2;
  o.loader_threads = 2;
  return o;
}

// Every tensor of a model file, flattened and concatenated in the file's order.
inline torch::Tensor flat_weights(const std::string& model_file) {
  const auto ck = models::read_checkpoint(model_file);
  std::vector<torch::Tensor> parts;
  for (const auto& [name, t] : ck.tensors) parts.push_back(models::to_torch(t).flatten());
  return torch::cat(parts);
}

// The ConfigError message of parsing `yaml`, or "" when it parses.
inline std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// True when one of the warnings contains `text`.
inline bool has(const train::Warnings& w, const std::string& text) {
  for (const auto& s : w)
    if (s.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace pf::test

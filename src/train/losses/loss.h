// Training losses, registered by their traiNNer-redux / neosr `type` name, one file per family
// (pixel, ssim, frequency, colour, edge, consistency). Each loss declares its options once in an
// option table; the config reader, the errors and configs/train/README.md come from it.
#pragma once
#include <torch/types.h>
#include <yaml-cpp/yaml.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "train/options.h"

namespace pf::train {

// A loss value, or several named parts that add up (hsluvloss: hue, saturation, lightness).
using LossParts = std::vector<std::pair<std::string, torch::Tensor>>;

// What a loss may look at besides the output and its target: the discriminator (ganloss) and
// the EMA generator's output (ldlloss). The trainer fills in what the config has.
struct LossInputs {
  const torch::Tensor& output;  // N x 3 x H x W float in [0, 1] nominal
  const torch::Tensor& target;
  // The discriminator's prediction for an image, gradients flowing to the image only.
  std::function<torch::Tensor(const torch::Tensor&)> discriminate;
  // The EMA generator's output for the same LQ batch (no gradient).
  std::function<torch::Tensor()> ema_output;
};

class Loss {
 public:
  virtual ~Loss() = default;
  // output, target: N x 3 x H x W float in [0, 1] nominal. Returns unweighted scalars.
  virtual LossParts forward(const torch::Tensor& output, const torch::Tensor& target) = 0;
  // What the trainer calls; losses that need more than the output and target override it.
  virtual LossParts evaluate(const LossInputs& in) { return forward(in.output, in.target); }
};

struct LossInfo {
  const char* name;                 // YAML type
  std::vector<OptionSpec> options;  // for the docs (loss_weight included)
  // Reads the options of one `losses:` entry (type and loss_weight excluded) and builds it.
  std::function<std::unique_ptr<Loss>(const YAML::Node& entry, const std::string& file,
                                      Warnings& warnings)>
      make;
};

// The registry (registry.cpp): one line per loss.
const std::vector<LossInfo>& loss_registry();
const LossInfo* find_loss(const std::string& type);

// One entry of train.losses, checked.
struct LossConfig {
  std::string type;        // registry name
  std::string label;       // in logs: the type, or type_2 when it repeats
  double weight = 1;       // |loss_weight|; 0 entries are dropped when read
  bool target_lq = false;  // loss_weight < 0: compared with the bicubic-upscaled LQ
  YAML::Node node;         // the entry, for make()
  std::string file;
};

// Reads train.losses (plus the older `pixel_opt`-style entries). Entries with loss_weight 0 are
// left out, as traiNNer-redux documents; an unknown type with a non-zero weight is an error at
// file:line:col listing the supported ones. Each kept entry is built once to check its options.
std::vector<LossConfig> read_losses(const std::vector<YAML::Node>& entries, const std::string& file,
                                    Warnings& warnings);

// Builds the losses of a checked config.
std::vector<std::unique_ptr<Loss>> make_losses(const std::vector<LossConfig>& configs,
                                               Warnings& warnings);

// Reads `entry` (a losses item) into P through `table`, ignoring `type` and `loss_weight`.
template <class P>
P read_loss_options(const OptionTable<P>& table, const YAML::Node& entry, const std::string& file,
                    const char* type, Warnings& warnings);

// The option table of a loss plus the loss_weight row every loss has, for the docs.
template <class P>
std::vector<OptionSpec> loss_specs(const OptionTable<P>& table);

// --- implementation ---------------------------------------------------------------------
OptionSpec loss_weight_spec();

template <class P>
P read_loss_options(const OptionTable<P>& table, const YAML::Node& entry, const std::string& file,
                    const char* type, Warnings& warnings) {
  YAML::Node rest(YAML::NodeType::Map);
  for (const auto& kv : entry) {
    const std::string k = kv.first.Scalar();
    if (k != "type" && k != "loss_weight") rest[kv.first] = kv.second;
  }
  P p{};
  read_options(table, p, rest, file, std::string("losses[") + type + "]", warnings);
  return p;
}

template <class P>
std::vector<OptionSpec> loss_specs(const OptionTable<P>& table) {
  std::vector<OptionSpec> specs = specs_of(table);
  specs.push_back(loss_weight_spec());
  return specs;
}

}  // namespace pf::train

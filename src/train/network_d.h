// network_d: the discriminator of GAN training, by traiNNer-redux's arch names and
// hyper-parameters (unetdiscriminatorsn, dunet), built as pairforge's models with the key
// names of their files, so traiNNer-redux's and Real-ESRGAN's net_d files load.
#pragma once
#include <torch/nn.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "train/options.h"

namespace pf::train {

struct NetworkDConfig {
  std::string type;  // unetdiscriminatorsn | dunet
  int64_t num_in_ch = 3, num_feat = 64;
  bool skip_connection = true;
  std::string yaml;   // resolved options, "key: value" lines
  std::string where;  // file:line:col of network_d, for messages
};

// Reads network_d; throws ConfigError at file:line:col (other archs: the supported ones).
NetworkDConfig read_network_d(const YAML::Node& node, const std::string& file, Warnings& warnings);
std::string network_d_reference_markdown();

// A fresh, randomly initialised discriminator in training mode.
torch::nn::AnyModule build_discriminator(const NetworkDConfig& config);

}  // namespace pf::train

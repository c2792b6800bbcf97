// network_g: the generator to train, by traiNNer-redux's arch names and hyper-parameters
// (compact, ultracompact, superultracompact, span, span_s), built as pairforge's models with
// spandrel key names; and loading a pretrain into it (strict, or whatever fits).
#pragma once
#include <torch/nn.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "models/checkpoint.h"
#include "models/spec.h"
#include "train/options.h"

namespace pf::train {

struct NetworkConfig {
  std::string type;        // traiNNer-redux's name
  models::ModelSpec spec;  // what pairforge builds
  std::string yaml;        // resolved options, "key: value" lines
};

// Reads network_g; throws ConfigError at file:line:col (unknown arch: the supported ones).
NetworkConfig read_network(const YAML::Node& node, const std::string& file, int64_t scale,
                           Warnings& warnings);

// The supported archs with their option tables, for the docs.
std::string network_reference_markdown();

struct PretrainReport {
  std::string wrapper;               // the key the weights sat under ("params_ema", ...)
  std::vector<std::string> loaded;   // parameter names taken from the file
  std::vector<std::string> skipped;  // in the network, not usable from the file (missing or
                                     // another shape), with the reason
  std::vector<std::string> unused;   // in the file, not in the network
};

// Loads pretrain weights into `net` (path.pretrain_network_g). `param_key` picks the wrapper
// key of a .pth ("params", "params_ema"; empty: the usual order). Strict: every weight present
// with its shape and nothing extra, else ModelError naming them; not strict: what fits is
// loaded and the rest reported. SPAN's eval_conv is re-folded from the loaded branches.
// `network` names the section in messages (network_g, network_d).
// `wanted` (network_g): the spec the config builds; a file of another arch, scale or size is
// refused with what it is (arch, scale, sizes, parameters, file size) against what is wanted.
// A path that is not a regular file (a FIFO, /dev/zero) is refused before it is read.
PretrainReport load_pretrain(torch::nn::Module& net, const std::string& path,
                             const std::string& param_key, bool strict,
                             const std::string& network = "network_g",
                             const models::ModelSpec* wanted = nullptr);

// "SPAN x2 (feature_channels 48), traiNNer-redux's span_s; 1.6 MB safetensors, ..." of a file.
std::string describe_model_file(const models::Checkpoint& ck, const std::string& path);

}  // namespace pf::train

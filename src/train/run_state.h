// A run's folder, laid out as traiNNer-redux lays it out:
//   experiments/<name>/models/net_g_<iter>.<fmt>        generator (params)
//   experiments/<name>/models/net_g_ema_<iter>.<fmt>    its EMA, when ema_decay > 0 (params_ema)
//   experiments/<name>/models/net_d_<iter>.<fmt>        the discriminator (GAN training; params)
//   experiments/<name>/training_states/<iter>.state     everything a resume needs
//   experiments/<name>/visualization/<img>/<img>_<iter>.png
//   experiments/<name>/train_log.jsonl, config_resolved.yml, <config file name>
// A training state is a safetensors file (generator, EMA, discriminator, optimisers' moments)
// whose metadata holds the counters; written atomically after the models, so a state on disk
// always has its models beside it.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pf::train {

using NamedTorch = std::vector<std::pair<std::string, torch::Tensor>>;

struct RunPaths {
  std::string root, models, states, visualization, log, resolved_config;
  explicit RunPaths(const std::string& experiment_dir);
  std::string model_file(const std::string& label, int64_t iter, const std::string& format) const;
  std::string state_file(int64_t iter) const;
};

// "<dir>_archived_<YYYYmmdd_HHMMSS>": where a fresh run moves an old run folder of its name.
std::string archive_name(const std::string& dir);

struct TrainingState {
  int64_t iteration = 0;
  NamedTorch net_g, net_g_ema, optimizer;
  NamedTorch net_d, optimizer_d;                // GAN training: the discriminator and its optimiser
  std::map<std::string, std::string> counters;  // ema_step, manual_seed, loss scale, ...
};

void save_state(const std::string& path, const TrainingState& state);
// Throws ModelError naming the file when it is not a complete pairforge training state.
TrainingState load_state(const std::string& path);
// The same from a state file's bytes (data-parallel workers get rank 0's); `label` names it.
TrainingState parse_state(const std::vector<uint8_t>& bytes, const std::string& label);

// The newest state in `states_dir` that reads back whole (an unreadable newer one is skipped
// with a warning in `skipped`); nullopt when there is none.
std::optional<std::string> newest_state(const std::string& states_dir,
                                        std::vector<std::string>* skipped = nullptr);

// Removes temp files left by writers that died (kill -9 while saving).
void remove_stale_temps(const std::string& dir);

}  // namespace pf::train

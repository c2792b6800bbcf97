// The training loop: a short loop over parts (data -> model -> losses -> optimiser -> EMA ->
// checkpoint / validation / log hooks), each of which is tested alone.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "train/config.h"
#include "train/data.h"

namespace pf::train {

class Distributed;

struct TrainData {
  std::shared_ptr<const SampleSource> train;
  std::vector<ValItem> val;
  ImageWriter write_image;  // validation images; may be empty when save_img is off
  std::string describe;     // one line about the data, for the log
};

struct TrainerOptions {
  std::string experiments_root = "experiments";
  // "": fresh (an old run is archived); "auto": the newest state, or a fresh start in the same
  // folder when it has none; or a .state path.
  std::string resume;
  std::string device = "auto";
  int threads = 0;            // torch threads (0: every core)
  int loader_threads = 0;     // 0: from the config (num_worker_per_gpu), capped at the cores
  bool progress_bar = false;  // a bar on the terminal instead of log lines
  std::string config_text;    // the config file as written, copied into the run
  // Called after every completed iteration; tests use it to simulate crashes and Ctrl-C.
  std::function<void(int64_t iteration)> after_iteration;
  // Data-parallel: this worker's group (distributed.h). Every worker trains on its share of
  // each batch; rank 0 alone writes the run folder, logs and validates.
  Distributed* dist = nullptr;
};

struct ValResult {
  int64_t iteration = 0;
  std::map<std::string, double> metrics;  // label -> mean over the validation set
  std::map<std::string, double> bicubic;  // the same metrics for bicubic upscaling
};

struct TrainResult {
  int64_t first_iteration = 1, last_iteration = 0;
  bool interrupted = false;
  std::string run_dir, last_state;
  std::vector<std::string> model_files;  // the last checkpoint's files
  std::vector<ValResult> validations;
};

// Runs (or resumes) the training described by `config`. Interrupts (SIGINT/SIGTERM) and
// exceptions save a training state first; a rerun with resume "auto" continues from it.
TrainResult run_training(TrainConfig config, TrainData data, const TrainerOptions& options);

// What `train --check` loads besides the data, as a run would: network_g with its pretrain
// (and pretrain_network_g_ema), the losses (VGG19 weights included), network_d with its
// pretrain. Throws what the run would throw; returns one line per file loaded.
std::vector<std::string> check_models(const TrainConfig& config);

}  // namespace pf::train

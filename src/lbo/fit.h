// `pairforge lbo fit`: the whole workflow of learning a degradation operator from a real
// low-quality video, in one resumable run folder experiments/<name>/:
//   1. the LR frames (frames/lr/*.png), read from the video or folder
//   2. the input-rescaling search (search.json, search.png: the candidates with their scores)
//   3. pseudo-HR frames at the chosen factor (frames/pseudo_hr/*.png, 2x the LR)
//   4. the LBO's training by the trainer (train/: models, training states, train_log.jsonl)
//   5. the LBO itself: <name>.safetensors and <name>.pth (AnimeSR's keys, under `params`)
#pragma once
#include <string>
#include <vector>

#include "lbo/fit_config.h"
#include "lbo/pair_source.h"
#include "lbo/rescale_search.h"
#include "models/raw_tensor.h"
#include "train/trainer.h"

namespace pf::lbo {

struct FitOptions {
  std::string experiments_root = "experiments";
  std::string resume;  // "": fresh (an old run folder is archived); "auto": continue it
  std::string device = "auto";
  int threads = 0;         // torch threads (0: every core)
  int loader_threads = 0;  // 0: train.num_worker, at most the cores
  bool progress_bar = false;
  bool search_only = false;  // stop after the search and its sheet
  double factor = 0;         // > 0: overrides the search (and the config's search.factor)
  std::string config_text;   // the config as written, copied into the run
  // Passed to the trainer (tests simulate interruptions with it).
  std::function<void(int64_t)> after_iteration;
};

struct FitResult {
  std::string run_dir, sheet, search_json;
  SearchResult search;
  double factor = 0;  // the factor the pseudo-HR frames were made with
  int frames = 0;
  train::TrainResult train;
  std::string safetensors, pth;  // the LBO written (empty when interrupted or search-only)
  bool interrupted = false;
};

FitResult run_lbo_fit(const LboConfig& config, const FitOptions& options);

// The basic-op model as an UpscaleFn (tiled by the upscaler's memory budget). Throws ModelError
// when the file is not an upscaling model.
UpscaleFn load_upscaler(const std::string& path, const std::string& device);

// Trains an LBO on `frames` with `config` (LboConfig::train, its folders filled in) through the
// trainer, in `experiments_root`/<config.name>.
train::TrainResult train_lbo(train::TrainConfig config, std::vector<LboFrame> frames,
                             const train::TrainerOptions& options);

// Writes an LBO checkpoint as `stem`.safetensors and `stem`.pth, the .pth with the weights under
// `params` (what AnimeSR's FFMPEGAnimeLBODataset loads), both with the checkpoint's metadata
// plus `extra`. Returns the two paths.
std::pair<std::string, std::string> export_lbo(const std::string& checkpoint,
                                               const std::string& stem,
                                               const models::Metadata& extra);

// A C x H x W tensor of an RGB float image, and the image of a tensor rounded to 8 bits (uint8).
torch::Tensor to_chw_u8(const cv::Mat& rgb);

}  // namespace pf::lbo

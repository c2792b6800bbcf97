// Validation: the EMA (or online) weights in a fresh eval-mode copy, through the same tiled
// Upscaler that `pairforge upscale` uses, on every validation pair; metrics next to bicubic's,
// outputs written to visualization/<image>/<image>_<iter>.png.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "models/spec.h"
#include "train/config.h"
#include "train/data.h"
#include "train/run_state.h"

namespace pf::train {

struct ValidationRun {
  models::ModelSpec spec;
  NamedTorch weights;
  std::string device = "cpu";
  int64_t tile = 0, overlap = 0;  // LQ pixels; tile 0: whole images
  std::vector<MetricOptions> metrics;
  std::string save_dir;  // empty: no images
  std::string suffix;
  ImageWriter write_image;
  // Bicubic's metrics per image, computed at the first validation and kept (they never change).
  std::map<std::string, std::map<std::string, double>>* bicubic_cache = nullptr;
};

struct ValImage {
  std::string name, lq_path, gt_path, output;
  std::map<std::string, double> metrics;
};

struct ValOutcome {
  std::map<std::string, double> metrics, bicubic;  // means over the images
  std::vector<ValImage> images;
};

ValOutcome run_validation(const ValidationRun& run, const std::vector<ValItem>& items,
                          int64_t iteration);

}  // namespace pf::train

// `pairforge lbo fit -c configs/lbo/X.yml`: what to learn from (a real low-quality video or
// frame folder and the basic-op SR model), how to search the rescaling factor, and how to train
// the LBO. Every key is declared once in an option table (train/options.h), so unknown keys,
// wrong types and out-of-range values are errors at file:line:column, and `pairforge lbo fit
// --keys` prints the reference. The training part becomes a train::TrainConfig, which the
// trainer runs as it runs any other.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lbo/frames.h"
#include "lbo/rescale_search.h"
#include "train/config.h"

namespace pf::lbo {

struct LboConfig {
  std::string file;
  std::string name;      // experiments/<name>/ holds everything the fit writes
  std::string input;     // the real LR video or frame folder
  std::string basic_op;  // the SR model the pseudo-HR frames come from
  std::string output;    // stem of the LBO files (.safetensors, .pth); empty: <run>/<name>
  int64_t manual_seed = 0;
  FrameOptions frames;

  double factor = 0;  // > 0: the override (search.factor); 0: the search's best
  SearchOptions search;
  int64_t sheet_columns = 4;

  int64_t gt_size = 256;  // pseudo-HR crop side (the LR target crop is half)
  // The trainer's config: network_g (the LBO), batches, optimiser, schedule, losses, logging.
  // Its dataset folders are filled in by the fit once the pseudo-HR frames exist.
  train::TrainConfig train;
  train::Warnings warnings;

  // Reads and checks a config; `sets` are --set key.path=value overrides applied first.
  // Throws ConfigError (file:line:column) on any problem.
  static LboConfig load(const std::string& path, const std::vector<std::string>& sets = {});
  static LboConfig parse(const YamlDoc& doc);
};

// The key reference (Markdown) of every section, from the tables.
std::string lbo_config_reference_markdown();

}  // namespace pf::lbo

// A degradation config file: the pipeline plus how pairs are cut, seeded and written.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "degrade/pipeline.h"
#include "io/source_options.h"

namespace pf::degrade {

// How frames are picked from video inputs (`video:` section).
struct VideoOptions {
  int every = 1;                  // keep every Nth frame
  double scene_threshold = 0;     // > 0: keep only frames that start a new scene
  int dedup_distance = -1;        // >= 0: skip frames whose perceptual hash is this close
  double start_s = 0, end_s = 0;  // end 0 = to the end
  int context_frames = 8;         // following frames handed to inter-frame codecs
  // fields, hdr, tonemap*, npl, crop, sar, sar_filter: disc-source handling, as `frames` has it
  io::SourceOptions source;
};

struct DegradeConfig {
  std::string file;
  std::string description;
  int scale = 1;
  uint64_t seed = 0;
  int variants = 1;
  int gt_size = 0;              // 0: whole images; else HQ tiles of gt_size x gt_size
  int tile_step = 0;            // 0: gt_size (no overlap)
  double flat_threshold = 0;    // tiles whose luma std dev is below this are skipped
  std::string alpha = "carry";  // carry | composite
  std::array<double, 3> background = {1, 1, 1};  // composite colour, RGB in [0, 1]
  int depth = 8;                                 // 8 | 16 bit PNG output
  Step final_resize;  // brings LQ to exactly HQ/scale when the chain did not
  Pipeline pipeline;
  VideoOptions video;

  // Throws ConfigError with file:line:col for every problem.
  static DegradeConfig load(const std::string& path);
  static DegradeConfig parse(const YamlDoc& doc);
};

}  // namespace pf::degrade

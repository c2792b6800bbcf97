// manifest.jsonl: one JSON object per pair with its source, crop, seed and every sampled parameter
// of every operator that fired — enough to rebuild the pair byte-identically (`--replay`).
#pragma once
#include <istream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "degrade/pipeline.h"

namespace pf::degrade {

struct PairRecord {
  std::string name;        // output name without extension (may contain '/')
  std::string input_root;  // absolute input folder or video file at run time
  std::string source;      // path relative to input_root (or the video file name)
  int64_t frame = -1;      // video frame number, -1 for stills
  int next_frames = 0;     // following video frames handed to the operators
  std::string video_source;  // video frames: the job's io::SourceOptions as JSON (fields, HDR,
                             // crop, SAR), so a replay decodes the frame as the job did
  cv::Rect crop;           // HQ crop inside the source
  int variant = 0;
  uint64_t seed = 0;
  int scale = 1;
  std::string alpha = "carry";
  std::array<double, 3> background = {1, 1, 1};
  int depth = 8;
  std::vector<StepRecord> steps;
};

nlohmann::json to_json(const PairRecord& r);
// Throws pf::Error naming `where` when the record is malformed.
PairRecord pair_record_from_json(const nlohmann::json& j, const std::string& where);

// Finds one pair by name in a manifest.jsonl file.
PairRecord find_in_manifest(const std::string& manifest_path, const std::string& name);
// The same, on a manifest read from `in`; `label` names it in errors.
PairRecord find_in_manifest(std::istream& in, const std::string& label, const std::string& name);

}  // namespace pf::degrade

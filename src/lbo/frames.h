// The real low-quality frames an LBO learns from: a video (decoded with the io layer) or a
// folder of images, thinned to every N-th frame and capped in number.
#pragma once
#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace pf::lbo {

struct FrameOptions {
  int64_t every = 1;              // keep every N-th frame (video) or file (folder)
  int64_t max_frames = 200;       // at most this many, the first ones kept
  double start_s = 0, end_s = 0;  // video only: the time range (end 0 = to the end)
};

struct NamedFrame {
  std::string name;  // file stem, or <video-stem>_<frame-number>
  cv::Mat rgb;       // CV_32FC3 RGB [0, 1]
};

// Throws InputError naming `input` when it is missing, holds no image or no frame decodes.
std::vector<NamedFrame> read_frames(const std::string& input, const FrameOptions& options);

}  // namespace pf::lbo

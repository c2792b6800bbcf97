// The HQ/LQ pair an operator works on.
#pragma once
#include <opencv2/core.hpp>
#include <vector>

namespace pf::degrade {

// Images are CV_32FC3, RGB, nominal range [0, 1] (DESIGN.md). `lq` starts as a copy of `hq`;
// most operators change `lq` only, a few (colour jitter, text, HQ sharpening) change both.
struct Pair {
  cv::Mat hq;
  cv::Mat lq;
  int scale = 1;  // the pipeline guarantees lq.size * scale == hq.size at the end
  // When the source is a video: the HQ frames that follow this one (same crop, same format), so
  // inter-frame codecs can encode real motion. Empty for stills.
  std::vector<cv::Mat> next_frames;
  // HQ already quantised for an 8-bit PNG (CV_8UC3 RGB, io::quantise_row_8bit of each row of
  // `hq`), or empty. The unsharp mask makes it row by row while the rows are in cache, which
  // saves the writer a pass over a full-size float image; apply_op drops it before any operator
  // that may change HQ (OpInfo::keeps_hq).
  cv::Mat hq8{};

  cv::Size target_lq_size() const { return {hq.cols / scale, hq.rows / scale}; }
  // A pair starts with LQ sharing HQ's pixels (no copy of a full frame); an operator that writes
  // LQ or HQ in place gets its own LQ first (apply_op in pipeline.h).
  bool shares_pixels() const { return !lq.empty() && lq.data == hq.data; }
};

}  // namespace pf::degrade

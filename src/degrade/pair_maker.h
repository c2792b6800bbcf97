// Turns one HQ image into an HQ/LQ pair with a config and a seed; also replays a recorded pair.
#pragma once
#include <opencv2/core.hpp>
#include <vector>

#include "degrade/config.h"

namespace pf::degrade {

struct PairOutput {
  cv::Mat hq, hq_alpha;  // alpha empty unless carried
  cv::Mat hq8;           // Pair::hq8: hq quantised to 8 bits, when an operator made it
  cv::Mat lq, lq_alpha;
  std::vector<StepRecord> steps;  // every operator that fired, final resize included
};

// `hq` is CV_32FC3 RGB already cropped to a multiple of the scale; `alpha` may be empty.
PairOutput make_pair(const DegradeConfig& config, const cv::Mat& hq, const cv::Mat& alpha,
                     uint64_t seed, const std::vector<cv::Mat>& next_frames = {},
                     const StepHook& hook = nullptr);
// The same, degrading `hq`'s own pixels instead of a copy when it is a whole image (not a view
// into a larger one): for callers that no longer need the frame. Saves one full-size image.
PairOutput make_pair_in_place(const DegradeConfig& config, cv::Mat&& hq, const cv::Mat& alpha,
                              uint64_t seed);

// Rebuilds a pair from recorded steps (no sampling): byte-identical to the original run.
PairOutput replay_pair(const std::vector<StepRecord>& steps, int scale,
                       const std::string& alpha_mode, const std::array<double, 3>& background,
                       const cv::Mat& hq, const cv::Mat& alpha,
                       const std::vector<cv::Mat>& next_frames = {});

// Largest top-left crop whose sides are multiples of `scale`.
cv::Rect crop_to_multiple(cv::Size size, int scale);

}  // namespace pf::degrade

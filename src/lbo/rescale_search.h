// AnimeSR's input-rescaling strategy, automated. A real low-quality frame carries degradations
// the basic-op model never saw; shrinking it by a factor f in (0, 1] before the model shrinks
// them too, until the model's output is clean, at the price of detail. The pseudo-HR frame is
// that output resized to twice the LR frame's size. AnimeSR picked f by eye (about 0.5); here
// every candidate f is scored on edge-rich patches with image statistics (artifacts.h), ranked,
// and the best one is taken, with a contact sheet for a person to confirm.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "lbo/artifacts.h"

namespace pf::lbo {

// The basic-op model: an RGB float image in [0, 1] in, its upscale (any factor) out, clamped
// to [0, 1].
using UpscaleFn = std::function<cv::Mat(const cv::Mat&)>;

// The resamplers for the rescaling and the final resize: cv_lanczos4 (OpenCV's INTER_LANCZOS4,
// as AnimeSR's scripts call it: no antialiasing) or catmull_rom (pairforge's resampler,
// antialiased on downscale).
const std::vector<std::string>& rescale_filters();
cv::Mat rescale(const cv::Mat& image, cv::Size size, const std::string& filter);

// The pseudo-HR frame of `lr`: rescaled by `factor`, upscaled by the model, resized to exactly
// twice the LR size.
cv::Mat pseudo_hr(const cv::Mat& lr, double factor, const UpscaleFn& up, const std::string& filter);

// lo, lo + step, ..., up to hi (inclusive within rounding), each rounded to 1e-6.
std::vector<double> factor_grid(double lo, double hi, double step);

struct SearchOptions {
  std::vector<double> factors;  // candidates, each in (0, 1]
  int patches = 24;             // edge-rich LR patches measured
  int patch_size = 48;          // their side, LR pixels
  int context = 16;             // LR pixels around a patch the model also sees
  std::string filter = "cv_lanczos4";
  ScoreWeights weights;
  ProbeOptions probes;
};

struct PatchPlace {
  int frame = 0;
  cv::Rect rect;  // in LR pixels
  double edge_density = 0;
};

struct Candidate {
  double factor = 1;
  ArtifactScore score;
  int rank = 0;                // 1 = best
  std::vector<cv::Mat> crops;  // pseudo-HR of each patch (2x its size)
};

struct SearchResult {
  std::vector<PatchPlace> patches;
  std::vector<cv::Mat> lr_crops;      // the LR patches
  std::vector<Candidate> candidates;  // in the order of SearchOptions::factors
  double best = 1;                    // the factor ranked first
};

// The `count` patches of `size` with the highest share of edge pixels (Canny), spread over the
// frames in turn and not overlapping; patches with almost no edge are never taken. Throws
// InputError when no frame has an edge-rich patch.
std::vector<PatchPlace> pick_patches(const std::vector<cv::Mat>& frames, int count, int size);

SearchResult search_rescaling(const std::vector<cv::Mat>& frames, const UpscaleFn& up,
                              const SearchOptions& options);

// A sheet a person can check the choice on: the LR patches (nearest-neighbour, at the pseudo-HR
// size), then one row per candidate with its rank and scores; `chosen` is marked. RGB float.
cv::Mat contact_sheet(const SearchResult& result, double chosen, int columns = 4);

nlohmann::json search_json(const SearchResult& result, double chosen);

}  // namespace pf::lbo

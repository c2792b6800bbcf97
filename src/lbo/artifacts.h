// Image statistics that tell an upscaler's clean output from one with artifacts, without a
// ground truth: measured on edge profiles (the intensity across an edge, along its normal) and
// in flat areas, at places picked once from a reference image so that every candidate is
// measured at the same spots.
//
//   ringing   oscillation next to edges: the total variation of the profile beyond what a
//             monotone edge needs, as a share of the edge's contrast (halos, overshoot, ringing
//             of sharpened or over-restored edges; 0 for a clean step or ramp)
//   aliasing  jagged edges: how far the edge's position along the normal wanders, in pixels,
//             from a smooth (quadratic) course over 7 pixels along the edge (staircases)
//   noise     high-pass RMS in flat areas (away from every edge), as a share of the median
//             edge contrast (noise, blocking, mosquito noise the upscaler kept or made)
//   blur      1 - 1.5 / (edge width in pixels), at least 0: 0 up to a 1.5-pixel rise, 0.5 for
//             a three-pixel ramp (the detail a too-small rescaling factor gives away)
//   detail    what the upscale lost of the LR frame's own structure: the RMS difference of the
//             two, the upscale area-reduced to the LR size, both low-passed (so the artifacts
//             being removed do not count), as a share of the LR's low-passed contrast. The blur
//             statistic saturates once edges are gone; this one keeps growing, so a factor
//             that leaves a blob is never ranked first (measured: factor 0.1 ranked first
//             without it on the demo clip).
//
// Lower is better for each; the total is their weighted sum.
#pragma once
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace pf::lbo {

// Where to measure: edge points with their unit normal (pointing to the brighter side in the
// reference) and flat pixels.
struct Probes {
  std::vector<cv::Point2f> points, normals;
  cv::Mat flat;  // CV_8U mask of flat pixels
  cv::Size size;
};

struct ProbeOptions {
  int radius = 5;                // profile half-length along the normal, pixels
  double min_contrast = 0.08;    // edges with less luma contrast than this are not probed
  int max_points = 1500;         // a deterministic subset when there are more edge points
  int flat_distance = 5;         // flat pixels are at least this far from any edge pixel
  double reference_sigma = 1.5;  // Gaussian smoothing of the reference before edges are found
  // Edges whose smoothed reference profile is not monotone within this share of its contrast
  // (another edge nearby) are not probed.
  double max_reference_ringing = 0.1;
  uint64_t seed = 0;  // picks the subset
};

// Probes from a reference image (RGB or grey float, [0, 1]): Canny edges of its luma, normals
// from its smoothed gradient; points whose profile leaves the image or whose contrast is low
// are left out.
Probes find_probes(const cv::Mat& reference, const ProbeOptions& options = {});

struct ScoreWeights {
  double ringing = 1, aliasing = 1, noise = 1, blur = 1, detail = 1;
};

struct ArtifactScore {
  double ringing = 0, aliasing = 0, noise = 0, blur = 0, detail = 0;
  double total = 0;
  int edges = 0;  // probes that were measured

  // "ringing 0.12  aliasing 0.03  noise 0.05  blur 0.41  detail 0.08"
  std::string describe() const;
  // The weighted sum of the statistics.
  double weighted(const ScoreWeights& w) const;
};

// Measures `image` (the reference's size, RGB or grey float) at the probes.
ArtifactScore score_artifacts(const cv::Mat& image, const Probes& probes,
                              const ScoreWeights& weights = {}, int radius = 5);

// The detail statistic of an upscale `image` (any size) of `lr` (RGB or grey float); `sigma` is
// the low-pass, in LR pixels.
double detail_loss(const cv::Mat& image, const cv::Mat& lr, double sigma = 1.0);

// The mean of several scores, each weighted by its measured edges.
ArtifactScore mean_score(const std::vector<ArtifactScore>& scores, const ScoreWeights& weights);

// BT.601 luma of an RGB float image (grey images are returned as they are).
cv::Mat luma(const cv::Mat& image);

}  // namespace pf::lbo

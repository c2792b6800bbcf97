// Curation measures: each declared once, in one table (name, help, direction, default
// threshold), in the spirit of the engine's parameter tables (core/param.h). The CLI's
// --min-NAME / --max-NAME flags, the fields of scores.jsonl and the columns of the curation page
// all come from that table. Each scorer lives in its own file (src/prep/<family>.cpp).
#pragma once
#include <array>
#include <cstdint>
#include <limits>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace pf::prep {

// What a scorer reads: the 8-bit BT.601 luma of an image or of one tile (a view into the whole
// image's luma), where the tile sits in the image (the 8x8 JPEG grid is the image's), and the
// luma histogram, computed once for the measures that need only it.
struct Planes {
  cv::Mat luma;      // CV_8UC1
  cv::Point origin;  // of `luma` in the whole image
  std::array<uint32_t, 256> histogram{};

  Planes(cv::Mat luma8, cv::Point origin = {});
  // The tile `r` of this (whole-image) view.
  Planes tile(const cv::Rect& r) const;
};

// 8-bit luma of a CV_32FC3 RGB [0,1] image (io::Image::rgb) or of an 8-bit RGB image.
cv::Mat luma8(const cv::Mat& rgb);

enum class Direction {
  kHigherIsBetter,  // a --min-NAME threshold
  kLowerIsBetter,   // a --max-NAME threshold
  kInfo             // reported only
};

struct Measure {
  const char* name;
  const char* help;
  Direction direction;
  double threshold;  // the default of --min-/--max-NAME
  double (*score)(const Planes&);
};

// The table, in the order of scores.jsonl's fields and of the page's columns.
const std::vector<Measure>& measures();
// Index of a measure in measures(); throws pf::Error for an unknown name.
size_t measure_index(const std::string& name);

// "min-complexity", "max-blockiness" (empty for kInfo).
std::string threshold_flag(const Measure& m);

// Every measure of `p`, in table order.
std::vector<double> score_all(const Planes& p);

// Sum of n floats in eight independent lanes (vectorises without reassociating a reduction).
inline double sum_lanes(const float* v, int n) {
  float lanes[8] = {};
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) lanes[k] += v[i + k];
  double s = 0;
  for (; i < n; ++i) s += v[i];
  for (float l : lanes) s += l;
  return s;
}

// The scorers (one file per family).
double gradient_complexity(const Planes& p);  // complexity.cpp
double compression_ratio(const Planes& p);    // complexity.cpp
double grid_blockiness(const Planes& p);      // blockiness.cpp
double laplacian_sharpness(const Planes& p);  // sharpness.cpp
double shadow_share(const Planes& p);         // exposure.cpp
double highlight_share(const Planes& p);      // exposure.cpp
double mean_brightness(const Planes& p);      // exposure.cpp
double luma_deviation(const Planes& p);       // flatness.cpp
double black_border(const Planes& p);         // borders.cpp

// The widths of the near-black bars at each edge: top, bottom, left, right (borders.cpp).
std::array<int, 4> black_borders(const cv::Mat& luma8);

}  // namespace pf::prep

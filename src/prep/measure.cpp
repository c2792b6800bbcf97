#include "prep/measure.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace pf::prep {

const std::vector<Measure>& measures() {
  using D = Direction;
  // One row per measure, like libavfilter's allfilters.c: adding a measure is a row here and a
  // function in its family's file.
  static const std::vector<Measure> table = {
      {"complexity", "mean Sobel gradient magnitude of the luma (levels per pixel); low: flat",
       D::kHigherIsBetter, 2.0, gradient_complexity},
      {"compression",
       "deflated size of the half-size luma (PNG Sub filter) over its raw size; low: simple",
       D::kHigherIsBetter, 0.0, compression_ratio},
      {"blockiness", "mean luma step across the 8x8 grid over the step inside blocks; 1: none",
       D::kLowerIsBetter, 1.3, grid_blockiness},
      {"sharpness", "variance of the luma's Laplacian; low: soft or blurred", D::kHigherIsBetter,
       20.0, laplacian_sharpness},
      {"shadows", "share of pixels with luma <= 4 (clipped shadows)", D::kLowerIsBetter, 0.5,
       shadow_share},
      {"highlights", "share of pixels with luma >= 251 (clipped highlights)", D::kLowerIsBetter,
       0.5, highlight_share},
      {"brightness", "mean luma, 0-255", D::kInfo, 0.0, mean_brightness},
      {"contrast", "standard deviation of the luma, 0-255; low: flat", D::kHigherIsBetter, 5.0,
       luma_deviation},
      {"border", "width in pixels of the widest near-black bar at an edge", D::kLowerIsBetter, 4.0,
       black_border},
  };
  return table;
}

size_t measure_index(const std::string& name) {
  const auto& t = measures();
  for (size_t i = 0; i < t.size(); ++i)
    if (name == t[i].name) return i;
  throw Error("no curation measure named '" + name + "'");
}

std::string threshold_flag(const Measure& m) {
  switch (m.direction) {
    case Direction::kHigherIsBetter:
      return std::string("min-") + m.name;
    case Direction::kLowerIsBetter:
      return std::string("max-") + m.name;
    case Direction::kInfo:
      break;
  }
  return "";
}

Planes::Planes(cv::Mat luma8, cv::Point at) : luma(std::move(luma8)), origin(at) {
  CV_Assert(luma.type() == CV_8UC1);
  // Four partial histograms break the store-to-load chain on runs of one value.
  std::array<uint32_t, 256> h[4] = {};
  for (int y = 0; y < luma.rows; ++y) {
    const uint8_t* row = luma.ptr<uint8_t>(y);
    int x = 0;
    for (; x + 4 <= luma.cols; x += 4)
      ++h[0][row[x]], ++h[1][row[x + 1]], ++h[2][row[x + 2]], ++h[3][row[x + 3]];
    for (; x < luma.cols; ++x) ++h[0][row[x]];
  }
  for (int v = 0; v < 256; ++v) histogram[v] = h[0][v] + h[1][v] + h[2][v] + h[3][v];
}

Planes Planes::tile(const cv::Rect& r) const {
  return Planes(luma(r), origin + r.tl());
}

cv::Mat luma8(const cv::Mat& rgb) {
  cv::Mat gray, out;
  if (rgb.channels() == 1)
    gray = rgb;
  else
    cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
  if (gray.depth() == CV_8U) return gray;
  gray.convertTo(out, CV_8U, gray.depth() == CV_32F || gray.depth() == CV_64F ? 255.0 : 1.0);
  return out;
}

std::vector<double> score_all(const Planes& p) {
  const auto& t = measures();
  std::vector<double> out(t.size());
  for (size_t i = 0; i < t.size(); ++i) out[i] = t[i].score(p);
  return out;
}

}  // namespace pf::prep

// Test images for the LBO layer: cartoon-like frames (flat colour shapes with clean, antialiased
// edges and dark lines), and the artifacts the rescaling search must see in them.
#pragma once
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "core/rng.h"

namespace pf::test {

// Shapes drawn `supersample` times larger, then area-downscaled: clean edges.
// `antialiased` false draws and reduces without antialiasing (jagged, aliased edges).
inline cv::Mat cartoon(int width, int height, uint64_t seed, bool antialiased = true,
                       int supersample = 4) {
  const int s = supersample;
  cv::Mat big(height * s, width * s, CV_32FC3, cv::Scalar(0.85, 0.8, 0.7));
  Rng rng(seed);
  const int line = antialiased ? cv::LINE_AA : cv::LINE_8;
  const int shapes = std::max(6, width * height / 1600);
  for (int i = 0; i < shapes; ++i) {
    const cv::Scalar colour(rng.uniform(), rng.uniform(), rng.uniform());
    const cv::Point c(static_cast<int>(rng.uniform_int(0, width * s)),
                      static_cast<int>(rng.uniform_int(0, height * s)));
    const auto anywhere = [&] {
      return cv::Point(static_cast<int>(rng.uniform_int(0, width * s)),
                       static_cast<int>(rng.uniform_int(0, height * s)));
    };
    if (i % 3 == 0) {
      cv::circle(big, c, static_cast<int>(rng.uniform_int(6 * s, 20 * s)), colour, cv::FILLED,
                 line);
    } else if (i % 3 == 1) {
      const std::vector<std::vector<cv::Point>> tri = {{c, anywhere(), anywhere()}};
      cv::fillPoly(big, tri, colour, line);
    } else {
      cv::line(big, c, anywhere(), cv::Scalar::all(0.1), 2 * s, line);
    }
  }
  cv::Mat out;
  cv::resize(big, out, cv::Size(width, height), 0, 0,
             antialiased ? cv::INTER_AREA : cv::INTER_NEAREST);
  return out;
}

// Unsharp masking with a strong amount: halos on both sides of every edge.
inline cv::Mat oversharpened(const cv::Mat& img, double amount = 1.5, double sigma = 1.5) {
  cv::Mat blurred;
  cv::GaussianBlur(img, blurred, cv::Size(0, 0), sigma);
  return img + amount * (img - blurred);
}

}  // namespace pf::test

// Shared test helpers: temp folders, small deterministic images, file comparison.
#pragma once
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "core/rng.h"
#include "io/image.h"
#include "temp_dir.h"

namespace pf::test {

// A textured RGB test image: smooth gradients, edges and noise, the same for a given seed.
inline cv::Mat textured_image(int width, int height, uint64_t seed) {
  cv::Mat img(height, width, CV_32FC3);
  Rng rng(seed);
  const double fx = rng.uniform(0.05, 0.3), fy = rng.uniform(0.05, 0.3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const float g = static_cast<float>(0.5 + 0.4 * std::sin(x * fx) * std::cos(y * fy));
      const float edge = (x > width / 2) ? 0.3f : 0.f;
      img.at<cv::Vec3f>(y, x) = cv::Vec3f(g, 0.6f * g + edge, 1.f - g) * 0.8f +
                                cv::Vec3f::all(static_cast<float>(0.1 * rng.uniform()));
    }
  return img;
}

inline void write_png(const std::string& path, const cv::Mat& rgb, const cv::Mat& alpha = {}) {
  io::write_png_atomic(path, rgb, alpha, 8);
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

inline double psnr(const cv::Mat& a, const cv::Mat& b) {
  const double mse = cv::norm(a, b, cv::NORM_L2SQR) / static_cast<double>(a.total() * a.channels());
  return mse <= 1e-12 ? 99.0 : 10.0 * std::log10(1.0 / mse);
}

}  // namespace pf::test

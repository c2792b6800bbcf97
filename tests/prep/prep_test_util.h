// Images for the curation tests: sample frames shrunk to a few hundred pixels.
#pragma once
#include <opencv2/imgproc.hpp>
#include <string>

#include "io/image.h"
#include "prep/measure.h"

namespace pf::test {

// datasets/samples/NAME, area-shrunk to width x height (a multiple of 8: no partial JPEG blocks).
inline cv::Mat sample(const std::string& name, int width = 320, int height = 200) {
  const cv::Mat rgb =
      io::read_image(std::string(PAIRFORGE_SOURCE_DIR) + "/datasets/samples/" + name).rgb;
  cv::Mat out;
  cv::resize(rgb, out, cv::Size(width, height), 0, 0, cv::INTER_AREA);
  return out;
}

inline double score(const std::string& measure, const cv::Mat& rgb) {
  const prep::Planes p(prep::luma8(rgb));
  return prep::measures()[prep::measure_index(measure)].score(p);
}

}  // namespace pf::test

// Complexity: how much there is to learn from a picture. Two classical measures: gradient energy
// (the spatial information of ITU-T P.910, as a mean rather than a deviation, so a flat area
// scores 0) and compressibility (what a PNG encoder makes of the luma).
#include <opencv2/imgproc.hpp>

#include "io/fast_deflate.h"
#include "prep/measure.h"

namespace pf::prep {

double gradient_complexity(const Planes& p) {
  if (p.luma.rows < 3 || p.luma.cols < 3) return 0;
  // Sobel / 8: one level per pixel of slope reads as 1.
  cv::Mat gx, gy, mag;
  cv::Sobel(p.luma, gx, CV_32F, 1, 0, 3, 1.0 / 8, 0, cv::BORDER_REPLICATE);
  cv::Sobel(p.luma, gy, CV_32F, 0, 1, 3, 1.0 / 8, 0, cv::BORDER_REPLICATE);
  cv::magnitude(gx, gy, mag);
  return cv::mean(mag)[0];
}

double compression_ratio(const Planes& p) {
  const int w = p.luma.cols, h = p.luma.rows;
  if (w == 0 || h == 0) return 0;
  // PNG rows: a filter byte (1, Sub) then each sample minus its left neighbour.
  const size_t row_bytes = static_cast<size_t>(w) + 1;
  std::vector<uint8_t> filtered(row_bytes * h);
  for (int y = 0; y < h; ++y) {
    const uint8_t* src = p.luma.ptr<uint8_t>(y);
    uint8_t* dst = filtered.data() + row_bytes * y;
    dst[0] = 1;
    dst[1] = src[0];
    for (int x = 1; x < w; ++x) dst[x + 1] = static_cast<uint8_t>(src[x] - src[x - 1]);
  }
  std::vector<uint8_t> out;
  out.reserve(filtered.size() / 2);
  io::fast_zlib_compress(filtered.data(), filtered.size(), 1, row_bytes, out);
  return static_cast<double>(out.size()) / static_cast<double>(w * static_cast<size_t>(h));
}

}  // namespace pf::prep

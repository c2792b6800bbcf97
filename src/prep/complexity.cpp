// Complexity: how much there is to learn from a picture. Two classical measures: gradient energy
// (the spatial information of ITU-T P.910, as a mean rather than a deviation, so a flat area
// scores 0) and compressibility (what a PNG encoder makes of the luma at half size).
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "io/fast_deflate.h"
#include "prep/measure.h"

namespace pf::prep {

double gradient_complexity(const Planes& p) {
  const int w = p.luma.cols, h = p.luma.rows;
  if (h < 3 || w < 3) return 0;
  // Sobel magnitude over the inner pixels, in one pass; / 8 at the end: a slope of one level
  // per pixel reads as 1.
  std::vector<float> mag(w);
  double sum = 0;
  for (int y = 1; y + 1 < h; ++y) {
    const uint8_t* a = p.luma.ptr<uint8_t>(y - 1);
    const uint8_t* b = p.luma.ptr<uint8_t>(y);
    const uint8_t* c = p.luma.ptr<uint8_t>(y + 1);
    for (int x = 1; x + 1 < w; ++x) {
      const int gx = (a[x + 1] - a[x - 1]) + 2 * (b[x + 1] - b[x - 1]) + (c[x + 1] - c[x - 1]);
      const int gy = (c[x - 1] + 2 * c[x] + c[x + 1]) - (a[x - 1] + 2 * a[x] + a[x + 1]);
      mag[x] = std::sqrt(static_cast<float>(gx * gx + gy * gy));
    }
    sum += sum_lanes(mag.data() + 1, w - 2);
  }
  return sum / 8.0 / (static_cast<double>(w - 2) * (h - 2));
}

double compression_ratio(const Planes& p) {
  // At half size (2x2 means): deflate is the dearest part of scoring a frame, and what it says
  // of detail survives the reduction.
  const int w = p.luma.cols / 2, h = p.luma.rows / 2;
  if (w == 0 || h == 0) return 0;
  cv::Mat half;
  cv::resize(p.luma(cv::Rect(0, 0, 2 * w, 2 * h)), half, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  // PNG rows: a filter byte (1, Sub) then each sample minus its left neighbour.
  const size_t row_bytes = static_cast<size_t>(w) + 1;
  std::vector<uint8_t> filtered(row_bytes * h);
  for (int y = 0; y < h; ++y) {
    const uint8_t* src = half.ptr<uint8_t>(y);
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

// Black borders: letterbox and pillarbox bars, or the black frame of a bad crop. A row (column)
// at an edge belongs to a bar when it is near black all along: its mean luma at most 12 and no
// pixel above 40 (analogue captures and codecs leave some noise in the black).
#include <algorithm>

#include "prep/measure.h"

namespace pf::prep {
namespace {

constexpr int kMaxMean = 12, kMaxPixel = 40;

bool dark_row(const cv::Mat& l, int y) {
  const uint8_t* row = l.ptr<uint8_t>(y);
  uint32_t sum = 0;
  for (int x = 0; x < l.cols; ++x) {
    if (row[x] > kMaxPixel) return false;
    sum += row[x];
  }
  return sum <= static_cast<uint32_t>(kMaxMean) * static_cast<uint32_t>(l.cols);
}

bool dark_col(const cv::Mat& l, int x) {
  uint32_t sum = 0;
  for (int y = 0; y < l.rows; ++y) {
    const uint8_t v = l.ptr<uint8_t>(y)[x];
    if (v > kMaxPixel) return false;
    sum += v;
  }
  return sum <= static_cast<uint32_t>(kMaxMean) * static_cast<uint32_t>(l.rows);
}

}  // namespace

std::array<int, 4> black_borders(const cv::Mat& l) {
  std::array<int, 4> b{};
  if (l.empty()) return b;
  while (b[0] < l.rows && dark_row(l, b[0])) ++b[0];
  if (b[0] == l.rows) return {l.rows, l.rows, l.cols, l.cols};  // all black
  while (b[1] < l.rows && dark_row(l, l.rows - 1 - b[1])) ++b[1];
  while (b[2] < l.cols && dark_col(l, b[2])) ++b[2];
  while (b[3] < l.cols && dark_col(l, l.cols - 1 - b[3])) ++b[3];
  return b;
}

double black_border(const Planes& p) {
  const auto b = black_borders(p.luma);
  return *std::max_element(b.begin(), b.end());
}

}  // namespace pf::prep

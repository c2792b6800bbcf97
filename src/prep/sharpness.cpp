// Sharpness: the variance of the Laplacian of the luma (Pech-Pacheco et al. 2000), the usual
// focus measure. Blur removes the high frequencies the Laplacian sees, so it falls steadily with
// the blur's radius.
#include <algorithm>

#include "prep/measure.h"

namespace pf::prep {

double laplacian_sharpness(const Planes& p) {
  const int w = p.luma.cols, h = p.luma.rows;
  if (h < 3 || w < 3) return 0;
  // The 4-neighbour Laplacian (OpenCV's ksize 1) over the inner pixels. Integer sums per piece
  // of a row: |L| <= 1020, so 2048 squares fit in 32 bits.
  int64_t sum = 0;
  uint64_t squares = 0;
  for (int y = 1; y + 1 < h; ++y) {
    const uint8_t* a = p.luma.ptr<uint8_t>(y - 1);
    const uint8_t* b = p.luma.ptr<uint8_t>(y);
    const uint8_t* c = p.luma.ptr<uint8_t>(y + 1);
    for (int x0 = 1; x0 + 1 < w; x0 += 2048) {
      const int x1 = std::min(w - 1, x0 + 2048);
      int32_t s = 0;
      uint32_t q = 0;
      for (int x = x0; x < x1; ++x) {
        const int l = a[x] + c[x] + b[x - 1] + b[x + 1] - 4 * b[x];
        s += l;
        q += static_cast<uint32_t>(l * l);
      }
      sum += s;
      squares += q;
    }
  }
  const double n = static_cast<double>(w - 2) * (h - 2);
  const double mean = static_cast<double>(sum) / n;
  return std::max(0.0, static_cast<double>(squares) / n - mean * mean);
}

}  // namespace pf::prep

// Blockiness: the 8x8 DCT grid a JPEG or MPEG codec leaves behind, measured as BHI filtering and
// the no-reference blocking metrics do: the mean luma step between neighbours that straddle a
// block boundary over the mean step between neighbours inside a block. A clean picture has no
// reason to prefer the grid (about 1); a blocky one steps at every eighth pixel (well above 1).
// The grid is the whole image's: a tile at an odd origin keeps its image's phase.
#include <algorithm>

#include "prep/measure.h"

namespace pf::prep {
namespace {

inline uint8_t absdiff(uint8_t a, uint8_t b) {
  return static_cast<uint8_t>(std::max(a, b) - std::min(a, b));
}

// How many of the steps 1..n-1 (between i-1 and i) fall on the grid (phase 0) or off it.
int64_t steps(int n, int origin, bool on_grid) {
  int64_t c = 0;
  for (int i = 1; i < n; ++i) c += (((i + origin) & 7) == 0) == on_grid;
  return c;
}

}  // namespace

double grid_blockiness(const Planes& p) {
  const int w = p.luma.cols, h = p.luma.rows;
  if (w < 9 && h < 9) return 1;
  // Sums of |step| by phase: the step between x-1 and x counts for phase (origin + x) mod 8;
  // phase 0 is a block boundary.
  uint64_t hsum[8] = {}, vsum[8] = {};
  const int ox = p.origin.x & 7, oy = p.origin.y & 7;
  const int first = 8 - ox;  // the first x >= 1 of phase 0
  std::vector<uint8_t> d(w + 8, 0);
  for (int y = 0; y < h; ++y) {
    const uint8_t* row = p.luma.ptr<uint8_t>(y);
    for (int x = 1; x < w; ++x) d[x] = absdiff(row[x], row[x - 1]);
    uint32_t acc[8] = {};
    int x = 1;
    for (; x < first; ++x) acc[(x + ox) & 7] += d[x];
    // Whole groups of eight from a phase-0 step: eight independent lanes.
    for (; x + 8 <= w; x += 8)
      for (int k = 0; k < 8; ++k) acc[k] += d[x + k];
    for (; x < w; ++x) acc[(x + ox) & 7] += d[x];
    for (int i = 0; i < 8; ++i) hsum[i] += acc[i];
    if (y > 0) {
      const uint8_t* above = p.luma.ptr<uint8_t>(y - 1);
      uint32_t s = 0;
      for (int i = 0; i < w; ++i) s += absdiff(row[i], above[i]);
      vsum[(y + oy) & 7] += s;
    }
  }
  uint64_t boundary = hsum[0] + vsum[0], inner = 0;
  for (int i = 1; i < 8; ++i) inner += hsum[i] + vsum[i];
  const double nb =
      static_cast<double>(steps(w, ox, true)) * h + static_cast<double>(steps(h, oy, true)) * w;
  const double ni =
      static_cast<double>(steps(w, ox, false)) * h + static_cast<double>(steps(h, oy, false)) * w;
  if (nb == 0 || ni == 0) return 1;
  // One level of slack keeps flat pictures (0 / 0) at 1.
  return (static_cast<double>(boundary) / nb + 1.0) / (static_cast<double>(inner) / ni + 1.0);
}

}  // namespace pf::prep

// Blockiness: the 8x8 DCT grid a JPEG or MPEG codec leaves behind, measured as BHI filtering and
// the no-reference blocking metrics do: the mean luma step between neighbours that straddle a
// block boundary over the mean step between neighbours inside a block. A clean picture has no
// reason to prefer the grid (about 1); a blocky one steps at every eighth pixel (well above 1).
// The grid is the whole image's: a tile at an odd origin keeps its image's phase.
#include <cstdlib>

#include "prep/measure.h"

namespace pf::prep {

double grid_blockiness(const Planes& p) {
  const int w = p.luma.cols, h = p.luma.rows;
  if (w < 9 && h < 9) return 1;
  // Sums of |step| by phase: steps between x-1 and x, grouped by (origin + x) mod 8; phase 0 is
  // a block boundary.
  uint64_t hsum[8] = {}, vsum[8] = {};
  const int ox = p.origin.x & 7, oy = p.origin.y & 7;
  for (int y = 0; y < h; ++y) {
    const uint8_t* row = p.luma.ptr<uint8_t>(y);
    uint32_t acc[8] = {};
    for (int x = 1; x < w; ++x) acc[(x + ox) & 7] += std::abs(row[x] - row[x - 1]);
    for (int i = 0; i < 8; ++i) hsum[i] += acc[i];
    if (y > 0) {
      const uint8_t* above = p.luma.ptr<uint8_t>(y - 1);
      uint32_t s = 0;
      for (int x = 0; x < w; ++x) s += std::abs(row[x] - above[x]);
      vsum[(y + oy) & 7] += s;
    }
  }
  uint64_t boundary = hsum[0] + vsum[0], inner = 0;
  for (int i = 1; i < 8; ++i) inner += hsum[i] + vsum[i];
  // How many steps of each kind there were.
  auto count = [](int n, int o, bool at_boundary) {
    int64_t c = 0;
    for (int x = 1; x < n; ++x) c += (((x + o) & 7) == 0) == at_boundary;
    return c;
  };
  const double nb =
      static_cast<double>(count(w, ox, true)) * h + static_cast<double>(count(h, oy, true)) * w;
  const double ni =
      static_cast<double>(count(w, ox, false)) * h + static_cast<double>(count(h, oy, false)) * w;
  if (nb == 0 || ni == 0) return 1;
  // One level of slack keeps flat pictures (0 / 0) at 1.
  return (static_cast<double>(boundary) / nb + 1.0) / (static_cast<double>(inner) / ni + 1.0);
}

}  // namespace pf::prep

// Flatness: the standard deviation of the luma. A flat tile (sky, a wall, a fade to black) has
// little of it and nothing to teach an upscaler.
#include <cmath>

#include "prep/measure.h"

namespace pf::prep {

double luma_deviation(const Planes& p) {
  double sum = 0, sq = 0, total = 0;
  for (int v = 0; v < 256; ++v) {
    const double n = p.histogram[v];
    sum += n * v, sq += n * v * v, total += n;
  }
  if (total == 0) return 0;
  const double mean = sum / total;
  return std::sqrt(std::max(0.0, sq / total - mean * mean));
}

}  // namespace pf::prep

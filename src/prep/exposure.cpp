// Exposure: clipped shadows and highlights and the mean level, all from the luma histogram.
#include "prep/measure.h"

namespace pf::prep {
namespace {

double share(const Planes& p, int lo, int hi) {
  uint64_t n = 0, total = 0;
  for (int v = 0; v < 256; ++v) {
    total += p.histogram[v];
    if (v >= lo && v <= hi) n += p.histogram[v];
  }
  return total ? static_cast<double>(n) / static_cast<double>(total) : 0;
}

}  // namespace

double shadow_share(const Planes& p) {
  return share(p, 0, 4);
}
double highlight_share(const Planes& p) {
  return share(p, 251, 255);
}

double mean_brightness(const Planes& p) {
  double sum = 0, total = 0;
  for (int v = 0; v < 256; ++v)
    sum += static_cast<double>(p.histogram[v]) * v, total += p.histogram[v];
  return total ? sum / total : 0;
}

}  // namespace pf::prep

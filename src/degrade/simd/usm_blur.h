// The unsharp mask's Gaussian blur of the image in 16-bit fixed point: 16 values in an AVX2
// vector where floats have 8, half the bytes to stream through the caches, and three integer
// steps a tap (a rounded mean of the two samples, a high multiply, an add) where floats take
// four. Both 51-tap passes cost less than half of what they cost in float.
//
// The image enters as round(x * kBlurOne), exact for 8-bit frames (x = v / 255 is v * 256), and
// the blur leaves as a float within BlurKernel::bound of the float blur on every pixel. The
// unsharp mask moves an output pixel by at most amount * bound through it, so sharpen.cpp takes
// this path only where that stays far below 0.5/255, and only for images within [0, 1]. Integer
// arithmetic gives the same bytes on every instruction set.
#pragma once
#include <cstdint>
#include <vector>

#include "degrade/simd/sym_filter.h"

namespace pf::degrade {

// 1.0 in the fixed-point image: 255 * 256, so that 8-bit values convert exactly.
constexpr int kBlurOne = 255 * 256;

struct BlurKernel {
  // Both passes: sum_k floor(mean_k * weights[k] / 65536), mean_0 the centre sample, mean_k the
  // rounded-up mean of the samples k before and k after; weights[k] is 2 w_k (w_0 for the
  // centre) in 1/65536, summing to 65536.
  std::vector<uint16_t> weights;
  // Added to the row pass's sum before it becomes a float: centres the truncation of the two
  // passes' products (each loses less than one unit).
  int offset = 0;
  // Worst case of |blur - float blur| over every image in [0, 1], in [0, 1] units.
  double bound = 0;
};
// The fixed-point form of `gauss`, the half of a normalised Gaussian (OpenCV's, in float).
BlurKernel usm_blur_kernel(const HalfKernel& gauss);

// out[x] = round(in[x] * kBlurOne) for n values; false (and `out` unspecified) when a value is
// outside [0, 1] or NaN.
bool usm_fixed_row(const float* in, int n, uint16_t* out);

// A fixed-point row with room for `half` mirrored pixels on each side, for the row pass.
class FixedRow {
 public:
  FixedRow(int width, int channels, int half);
  FixedRow(const FixedRow& o) : FixedRow(o.width_, o.channels_, o.half_) {}
  FixedRow& operator=(const FixedRow&) = delete;
  uint16_t* data() { return buf_.data() + start_; }
  // Mirrors the margins, then runs the row pass into `out` as floats in [0, 1] units.
  void filter(const BlurKernel& k, float* out);

 private:
  std::vector<uint16_t> buf_, sums_;
  int width_, channels_, half_;
  size_t start_;  // index of pixel 0: at least half_ pixels in, on a 64-byte boundary
};

}  // namespace pf::degrade

// Highway kernels of cubic_resize.h, compiled once per instruction set through
// hwy/foreach_target.h; the HWY_ONCE part holds OpenCV's tables, its border taps and the row loop.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "degrade/simd/cubic_resize.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace pf::degrade::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The horizontal pass of output pixels [begin, end) of a row of 3- or 4-channel pixels, none of
// them at a border: out pixel x = ((in(s - 1) a0 + in(s) a1) + in(s + 1) a2) + in(s + 2) a3,
// where in(p) is source pixel p (its samples side by side in a 4-lane vector), s = ofs[x] / step
// and a = alpha[4 x ...]. Writes 4 floats at out + x * step (a 3-channel pixel's fourth is the
// next one's first, written after it). Returns where it stopped: at begin where a vector has
// fewer than 4 lanes.
int CubicRowPass(const float* in, const int* ofs, const float* alpha, int begin, int end, int step,
                 float* out) {
  const hn::CappedTag<float, 4> d;
  if (hn::Lanes(d) < 4) return begin;
  for (int x = begin; x < end; ++x) {
    const float* s = in + ofs[x];
    const float* a = alpha + 4 * x;
    auto sum = hn::Mul(hn::LoadU(d, s - step), hn::Set(d, a[0]));
    sum = hn::Add(sum, hn::Mul(hn::LoadU(d, s), hn::Set(d, a[1])));
    sum = hn::Add(sum, hn::Mul(hn::LoadU(d, s + step), hn::Set(d, a[2])));
    sum = hn::Add(sum, hn::Mul(hn::LoadU(d, s + 2 * step), hn::Set(d, a[3])));
    hn::StoreU(sum, d, out + x * step);
  }
  return end;
}

// The vertical pass over values [0, n) of four horizontally resampled rows, OpenCV's vector
// order: out = r0 b0 + (r1 b1 + (r2 b2 + r3 b3)). n is a multiple of 4; whole vectors first.
void CubicColumnPass(const float* const* rows, const float* beta, int n, float* out) {
  const hn::ScalableTag<float> d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto b0 = hn::Set(d, beta[0]), b1 = hn::Set(d, beta[1]);
  const auto b2 = hn::Set(d, beta[2]), b3 = hn::Set(d, beta[3]);
  int x = 0;
  for (; x + lanes <= n; x += lanes) {
    const auto inner =
        hn::Add(hn::Mul(hn::LoadU(d, rows[2] + x), b2), hn::Mul(hn::LoadU(d, rows[3] + x), b3));
    const auto middle = hn::Add(hn::Mul(hn::LoadU(d, rows[1] + x), b1), inner);
    hn::StoreU(hn::Add(hn::Mul(hn::LoadU(d, rows[0] + x), b0), middle), d, out + x);
  }
  for (; x < n; ++x)
    out[x] = rows[0][x] * beta[0] +
             (rows[1][x] * beta[1] + (rows[2][x] * beta[2] + rows[3][x] * beta[3]));
}

}  // namespace pf::degrade::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <vector>

#include "core/error.h"
#include "degrade/simd/cubic_resize.h"

namespace pf::degrade {

HWY_EXPORT(CubicRowPass);
HWY_EXPORT(CubicColumnPass);

namespace {

// OpenCV's interpolateCubic (imgproc/src/resize.cpp), in float.
void cubic_weights(float x, float* w) {
  const float a = -0.75f;
  w[0] = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a;
  w[1] = ((a + 2) * x - (a + 3)) * x * x + 1;
  w[2] = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1;
  w[3] = 1.f - w[0] - w[1] - w[2];
}

int floor_int(float v) {  // cvFloor
  const int i = static_cast<int>(v);
  return i - (static_cast<float>(i) > v);
}

// One axis as hal::resize sets it up: per output, the first tap's source index (less one) and the
// four weights; [first_inner, end_inner) are the outputs whose four taps lie inside.
struct Axis {
  std::vector<int> start;  // source index of tap 1 (tap 0 is one before)
  std::vector<float> weights;
  int first_inner = 0, end_inner = 0;
};

Axis cubic_axis(int source, int output) {
  const double scale = 1. / (static_cast<double>(output) / source);
  Axis a;
  a.start.resize(output);
  a.weights.resize(4 * static_cast<size_t>(output));
  a.end_inner = output;
  for (int i = 0; i < output; ++i) {
    float f = static_cast<float>((i + 0.5) * scale - 0.5);
    const int s = floor_int(f);
    f -= static_cast<float>(s);
    if (s < 1) a.first_inner = i + 1;
    if (s + 2 >= source) a.end_inner = std::min(a.end_inner, i);
    a.start[i] = s;
    cubic_weights(f, &a.weights[4 * static_cast<size_t>(i)]);
  }
  return a;
}

// HResizeCubic: row `in` (cols pixels of `channels` samples) into out (outputs * channels
// samples, plus one spare).
void row_pass(const float* in, int cols, int channels, const Axis& x_axis, const int* ofs,
              float* out) {
  const int outputs = static_cast<int>(x_axis.start.size());
  const int width = cols * channels;
  // A border output sums from 0, with taps outside the row moved to its first or last pixel.
  const auto border = [&](int x) {
    const float* w = &x_axis.weights[4 * static_cast<size_t>(x)];
    for (int c = 0; c < channels; ++c) {
      float v = 0;
      for (int t = 0; t < 4; ++t) {
        int at = (x_axis.start[x] - 1 + t) * channels + c;
        while (at < 0) at += channels;
        while (at >= width) at -= channels;
        v += in[at] * w[t];
      }
      out[x * channels + c] = v;
    }
  };
  const auto inner = [&](int x) {
    const float* w = &x_axis.weights[4 * static_cast<size_t>(x)];
    for (int c = 0; c < channels; ++c) {
      const float* s = in + ofs[x] + c;
      out[x * channels + c] =
          s[-channels] * w[0] + s[0] * w[1] + s[channels] * w[2] + s[2 * channels] * w[3];
    }
  };
  const int lo = std::min(x_axis.first_inner, outputs), hi = std::max(lo, x_axis.end_inner);
  for (int x = 0; x < lo; ++x) border(x);
  // 4-float loads of the last tap must stay inside the row (3 channels: not its last pixel).
  int vector_end = hi;
  while (vector_end > lo && (x_axis.start[vector_end - 1] + 2) * channels + 4 > width) --vector_end;
  int x = lo;
  if (channels >= 3)
    x = HWY_DYNAMIC_DISPATCH(CubicRowPass)(in, ofs, x_axis.weights.data(), lo, vector_end, channels,
                                           out);
  for (; x < hi; ++x) inner(x);
  for (x = hi; x < outputs; ++x) border(x);
}

}  // namespace

bool cubic_resize_applies(const cv::Mat& src, cv::Size size) {
  return src.depth() == CV_32F && src.channels() <= 4 && !src.empty() && size.width > 0 &&
         size.height > 0 && size != src.size();
}

cv::Mat cubic_resize(const cv::Mat& src, cv::Size size) {
  if (!cubic_resize_applies(src, size)) throw Error("cubic_resize: not a float resize");
  const int channels = src.channels(), n = size.width * channels;
  const Axis across = cubic_axis(src.cols, size.width), down = cubic_axis(src.rows, size.height);
  std::vector<int> ofs(size.width);
  for (int x = 0; x < size.width; ++x) ofs[x] = across.start[x] * channels;
  // Four resampled rows in a ring, by source row: each is made once.
  std::vector<float> ring(4 * (static_cast<size_t>(n) + 1));
  int held[4] = {-1, -1, -1, -1};
  cv::Mat dst(size, src.type());
  const int vector_part = n / 4 * 4;  // OpenCV's 4-float vectors; the rest in its scalar order
  for (int y = 0; y < size.height; ++y) {
    const float* rows[4];
    for (int t = 0; t < 4; ++t) {
      const int sy = std::clamp(down.start[y] - 1 + t, 0, src.rows - 1);
      float* slot = ring.data() + (sy % 4) * (static_cast<size_t>(n) + 1);
      if (held[sy % 4] != sy) {
        row_pass(src.ptr<float>(sy), src.cols, channels, across, ofs.data(), slot);
        held[sy % 4] = sy;
      }
      rows[t] = slot;
    }
    const float* beta = &down.weights[4 * static_cast<size_t>(y)];
    float* out = dst.ptr<float>(y);
    HWY_DYNAMIC_DISPATCH(CubicColumnPass)(rows, beta, vector_part, out);
    for (int x = vector_part; x < n; ++x)
      out[x] =
          rows[0][x] * beta[0] + rows[1][x] * beta[1] + rows[2][x] * beta[2] + rows[3][x] * beta[3];
  }
  return dst;
}

}  // namespace pf::degrade
#endif  // HWY_ONCE

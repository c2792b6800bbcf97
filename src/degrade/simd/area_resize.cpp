// Highway kernels of area_resize.h, compiled once per instruction set through
// hwy/foreach_target.h; the HWY_ONCE part holds the tables (OpenCV's) and the row loop.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "degrade/simd/area_resize.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace pf::degrade::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The horizontal pass of outputs [0, count) of a row of 3- or 4-channel pixels: out pixel x gets
// sum_k in[ofs[x taps + k] + c] * alpha[x taps + k] for each channel c, summed from 0 in k order,
// one pixel's samples side by side in a 4-lane vector. Writes 4 floats a pixel at out + x * step
// (a 3-channel pixel's fourth is the next one's first, written after it). Returns how many
// outputs it made: none where a vector has fewer than 4 lanes.
int AreaRowPass(const float* in, const int* ofs, const float* alpha, int taps, int count, int step,
                float* out) {
  const hn::CappedTag<float, 4> d;
  if (hn::Lanes(d) < 4) return 0;
  for (int x = 0; x < count; ++x) {
    auto sum = hn::Zero(d);
    const int* o = ofs + x * taps;
    const float* a = alpha + x * taps;
    for (int k = 0; k < taps; ++k)
      sum = hn::Add(sum, hn::Mul(hn::LoadU(d, in + o[k]), hn::Set(d, a[k])));
    hn::StoreU(sum, d, out + x * step);
  }
  return count;
}

// out[i] = beta * row[i] (first) or out[i] + beta * row[i].
void AreaWeighRow(const float* row, float beta, bool first, int n, float* out) {
  const hn::ScalableTag<float> d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto b = hn::Set(d, beta);
  int i = 0;
  if (first) {
    for (; i + lanes <= n; i += lanes) hn::StoreU(hn::Mul(b, hn::LoadU(d, row + i)), d, out + i);
    for (; i < n; ++i) out[i] = beta * row[i];
    return;
  }
  for (; i + lanes <= n; i += lanes)
    hn::StoreU(hn::Add(hn::LoadU(d, out + i), hn::Mul(b, hn::LoadU(d, row + i))), d, out + i);
  for (; i < n; ++i) out[i] = out[i] + beta * row[i];
}

}  // namespace pf::degrade::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "degrade/simd/area_resize.h"

namespace pf::degrade {

HWY_EXPORT(AreaRowPass);
HWY_EXPORT(AreaWeighRow);

namespace {

// One source sample's share of an output sample: OpenCV's DecimateAlpha.
struct Share {
  int source, target;
  float alpha;
};

// OpenCV's computeResizeAreaTab (imgproc/src/resize.cpp): the shares along one axis, in output
// order and, within an output, in source order. `scale` = source / output size, computed as
// OpenCV does (1 / (output / source)).
std::vector<Share> area_shares(int source_size, int output_size, int channels, double scale) {
  std::vector<Share> shares;
  shares.reserve(static_cast<size_t>(source_size) * 2);
  for (int dx = 0; dx < output_size; ++dx) {
    const double fsx1 = dx * scale, fsx2 = fsx1 + scale;
    const double cell = std::min(scale, source_size - fsx1);
    int sx1 = static_cast<int>(std::ceil(fsx1)), sx2 = static_cast<int>(std::floor(fsx2));
    sx2 = std::min(sx2, source_size - 1);
    sx1 = std::min(sx1, sx2);
    if (sx1 - fsx1 > 1e-3)
      shares.push_back(
          {(sx1 - 1) * channels, dx * channels, static_cast<float>((sx1 - fsx1) / cell)});
    for (int sx = sx1; sx < sx2; ++sx)
      shares.push_back({sx * channels, dx * channels, static_cast<float>(1.0 / cell)});
    if (fsx2 - sx2 > 1e-3)
      shares.push_back({sx2 * channels, dx * channels,
                        static_cast<float>(std::min(std::min(fsx2 - sx2, 1.), cell) / cell)});
  }
  return shares;
}

// The horizontal shares as a table of `taps` per output pixel, each output's own shares first,
// then zero weights on its last source pixel: adding 0 * x leaves a sum as it is (a sum is never
// -0), so every output runs the same number of taps, without a branch on its count.
struct PaddedShares {
  int taps = 0;
  std::vector<int> source;
  std::vector<float> alpha;
  int vector_end = 0;  // outputs from here read the row's last pixel: a 4-float load would overrun
};

PaddedShares pad_shares(const std::vector<Share>& shares, int outputs, int channels,
                        int row_values) {
  std::vector<int> first(static_cast<size_t>(outputs) + 1, 0);
  for (size_t k = 0, x = 0; x < static_cast<size_t>(outputs); ++x) {
    first[x] = static_cast<int>(k);
    while (k < shares.size() && shares[k].target == static_cast<int>(x) * channels) ++k;
    first[x + 1] = static_cast<int>(k);
  }
  PaddedShares p;
  for (int x = 0; x < outputs; ++x) p.taps = std::max(p.taps, first[x + 1] - first[x]);
  p.source.resize(static_cast<size_t>(outputs) * p.taps);
  p.alpha.resize(p.source.size());
  p.vector_end = outputs;
  for (int x = 0; x < outputs; ++x) {
    const int n = first[x + 1] - first[x];
    if (n == 0) throw Error("area_resize: an output pixel without a source pixel");
    for (int k = 0; k < p.taps; ++k) {
      const Share& s = shares[first[x] + std::min(k, n - 1)];
      p.source[static_cast<size_t>(x) * p.taps + k] = s.source;
      p.alpha[static_cast<size_t>(x) * p.taps + k] = k < n ? s.alpha : 0.f;
    }
    if (shares[first[x + 1] - 1].source + 4 > row_values && p.vector_end == outputs)
      p.vector_end = x;
  }
  return p;
}

// The horizontal pass of one source row into `out` (outputs * channels floats, plus one spare).
void row_pass(const float* in, const PaddedShares& p, int outputs, int channels, float* out) {
  int done = 0;
  if (channels >= 3)
    done = HWY_DYNAMIC_DISPATCH(AreaRowPass)(in, p.source.data(), p.alpha.data(), p.taps,
                                             p.vector_end, channels, out);
  for (int x = done; x < outputs; ++x)
    for (int c = 0; c < channels; ++c) {
      float sum = 0.f;
      for (int k = 0; k < p.taps; ++k) {
        const size_t at = static_cast<size_t>(x) * p.taps + k;
        sum = sum + in[p.source[at] + c] * p.alpha[at];
      }
      out[x * channels + c] = sum;
    }
}

}  // namespace

bool area_resize_applies(const cv::Mat& src, cv::Size size) {
  if (src.depth() != CV_32F || src.channels() > 4 || src.empty() || size.width <= 0 ||
      size.height <= 0)
    return false;
  const double scale_x = 1. / (static_cast<double>(size.width) / src.cols);
  const double scale_y = 1. / (static_cast<double>(size.height) / src.rows);
  if (scale_x < 1 || scale_y < 1) return false;  // OpenCV resizes that as INTER_LINEAR
  const auto integral = [](double s) {
    return std::abs(s - static_cast<double>(cv::saturate_cast<int>(s))) < DBL_EPSILON;
  };
  return !(integral(scale_x) && integral(scale_y));
}

cv::Mat area_resize(const cv::Mat& src, cv::Size size) {
  if (!area_resize_applies(src, size)) throw Error("area_resize: not OpenCV's fractional path");
  const int channels = src.channels(), n = size.width * channels;
  const double scale_x = 1. / (static_cast<double>(size.width) / src.cols);
  const double scale_y = 1. / (static_cast<double>(size.height) / src.rows);
  const PaddedShares across = pad_shares(area_shares(src.cols, size.width, channels, scale_x),
                                         size.width, channels, src.cols * channels);
  const std::vector<Share> down = area_shares(src.rows, size.height, 1, scale_y);
  cv::Mat dst(size, src.type());
  std::vector<float> row(static_cast<size_t>(n) + 1);
  int made = -1;  // the source row `row` holds (a row shared by two outputs is filtered once)
  // OpenCV adds the first output row's first share to zeros and starts each later row with its
  // first share alone: the same values, and the same sign of a zero.
  dst.row(0).setTo(0);
  for (size_t j = 0; j < down.size(); ++j) {
    const Share& s = down[j];
    if (s.source != made)
      row_pass(src.ptr<float>(s.source), across, size.width, channels, row.data()), made = s.source;
    const bool first = j > 0 && down[j - 1].target != s.target;
    HWY_DYNAMIC_DISPATCH(AreaWeighRow)(row.data(), s.alpha, first, n, dst.ptr<float>(s.target));
  }
  return dst;
}

}  // namespace pf::degrade
#endif  // HWY_ONCE

// Highway kernels of sym_filter.h. This file is compiled once per instruction set through
// hwy/foreach_target.h; the HWY_ONCE part at the end holds the dispatching wrappers.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "degrade/simd/sym_filter.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "degrade/simd/column_four-inl.h"

HWY_BEFORE_NAMESPACE();
namespace pf::degrade::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// out[i] = w[0] * c[i] + sum_k w[k] * (a_k[i] + b_k[i]) for i in [0, n), where a_k = at(-k) and
// b_k = at(+k) are the samples k taps away: other rows (vertical) or the same row shifted by k
// pixels (horizontal). Odd kernels take b_k[i] - a_k[i] instead of the sum; with Accumulate the
// result is added to out[i] as the last step. Eight vectors at a time (each tap's weight and row
// pointers loaded once for eight: 7 % faster than four on Zen 2, where the loads are the limit),
// then four, then one, then scalars, all in the same order, so the tail gives what a wider vector
// would have.
template <bool Odd, class D, class V>
HWY_INLINE V pair_of(D, V a, V b) {
  if constexpr (Odd) return hn::Sub(b, a);
  return hn::Add(a, b);
}

template <bool Accumulate, class D, class V>
HWY_INLINE void store(D d, V s, float* out) {
  if constexpr (Accumulate) s = hn::Add(hn::LoadU(d, out), s);
  hn::StoreU(s, d, out);
}

// symmetric_pass's outputs V vectors at a time from i while V whole vectors remain; returns where
// it stopped.
template <int V, bool Odd, bool Accumulate, class At>
HWY_INLINE int symmetric_blocks(const At& at, const float* w, int half, int i, int n, float* out) {
  const hn::ScalableTag<float> d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto w0 = hn::Set(d, w[0]);
  for (; i + V * lanes <= n; i += V * lanes) {
    hn::Vec<decltype(d)> s[V];
    const float* c = at(0) + i;
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) s[v] = hn::Mul(w0, hn::LoadU(d, c + v * lanes));
    for (int k = 1; k <= half; ++k) {
      const auto wk = hn::Set(d, w[k]);
      const float* a = at(-k) + i;
      const float* b = at(k) + i;
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v)
        s[v] = hn::Add(s[v], hn::Mul(wk, pair_of<Odd>(d, hn::LoadU(d, a + v * lanes),
                                                      hn::LoadU(d, b + v * lanes))));
    }
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) store<Accumulate>(d, s[v], out + i + v * lanes);
  }
  return i;
}

template <bool Odd, bool Accumulate, class At>
HWY_INLINE void symmetric_pass(const At& at, const float* w, int half, int begin, int n,
                               float* out) {
  int i = symmetric_blocks<8, Odd, Accumulate>(at, w, half, begin, n, out);
  i = symmetric_blocks<4, Odd, Accumulate>(at, w, half, i, n, out);
  i = symmetric_blocks<1, Odd, Accumulate>(at, w, half, i, n, out);
  for (; i < n; ++i) {
    float s = w[0] * at(0)[i];
    for (int k = 1; k <= half; ++k)
      s = s + w[k] * (Odd ? at(k)[i] - at(-k)[i] : at(-k)[i] + at(k)[i]);
    out[i] = Accumulate ? out[i] + s : s;
  }
}

// rows[half + k] is the source row k rows below the output row (k in [-half, half]); floats
// [begin, end) of the row.
void VerticalPass(const float* const* rows, const float* w, int half, bool odd, int begin, int end,
                  float* out) {
  const auto at = [rows, half](int k) { return rows[half + k]; };
  if (odd)
    symmetric_pass<true, false>(at, w, half, begin, end, out);
  else
    symmetric_pass<false, false>(at, w, half, begin, end, out);
}

// Four consecutive output rows at once (column_four-inl.h), each summed in the order of
// symmetric_pass, so both give the same bytes.
template <bool Odd>
HWY_INLINE void vertical_four(const float* const* rows, const float* w, int half, int begin,
                              int end, float* const* out) {
  const hn::ScalableTag<float> d;
  const int i = column_four(
      d, rows, w, half, begin, end, out, [](auto w0, auto c) { return hn::Mul(w0, c); },
      [d](auto s, auto wk, auto a, auto b) {
        return hn::Add(s, hn::Mul(wk, pair_of<Odd>(d, a, b)));
      });
  for (int j = 0; j < 4 && i < end; ++j) {  // the last floats, fewer than a vector
    const float* const* r = rows + half;
    const auto at = [r, j](int k) { return r[j + k]; };
    symmetric_pass<Odd, false>(at, w, half, i, end, out[j]);
  }
}

void VerticalPassFour(const float* const* rows, const float* w, int half, bool odd, int begin,
                      int end, float* const* out) {
  if (odd)
    vertical_four<true>(rows, w, half, begin, end, out);
  else
    vertical_four<false>(rows, w, half, begin, end, out);
}

// `in` is a row of interleaved pixels of `step` floats each, with at least half * step valid
// (mirrored) floats before in[0] and after in[n - 1].
void HorizontalPass(const float* in, int step, const float* w, int half, bool odd, bool accumulate,
                    int n, float* out) {
  const auto at = [in, step](int k) { return in + static_cast<ptrdiff_t>(k) * step; };
  if (odd && accumulate)
    symmetric_pass<true, true>(at, w, half, 0, n, out);
  else if (odd)
    symmetric_pass<true, false>(at, w, half, 0, n, out);
  else if (accumulate)
    symmetric_pass<false, true>(at, w, half, 0, n, out);
  else
    symmetric_pass<false, false>(at, w, half, 0, n, out);
}

// A 2-D kernel with point symmetry, k(dy, dx) = k(-dy, -dx), as a list of tap pairs: out[i] =
// w[0] * centre[i] + sum_p w[p + 1] * (a[p][i] + b[p][i]) for i in [begin, end), where a[p] and
// b[p] point at the two taps' samples for output 0.
void PairedTapsPass(const float* const* a, const float* const* b, const float* w, int pairs,
                    const float* centre, int begin, int end, float* out) {
  symmetric_pass<false, false>(
      [a, b, centre](int k) { return k == 0  ? centre
                                     : k < 0 ? a[-k - 1]
                                             : b[k - 1]; }, w, pairs,
      begin, end, out);
}

}  // namespace pf::degrade::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <string>

#include "core/error.h"
#include "degrade/simd/sym_filter.h"

namespace pf::degrade {

HWY_EXPORT(VerticalPass);
HWY_EXPORT(VerticalPassFour);
HWY_EXPORT(HorizontalPass);
HWY_EXPORT(PairedTapsPass);

namespace {

// cv::borderInterpolate(i, n, BORDER_REFLECT_101), also for offsets beyond one image width.
int reflect_101(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

}  // namespace

namespace {

// The half of `taps` with parity `odd`, or an empty kernel if the taps do not have it.
HalfKernel half_with_parity(const std::vector<double>& taps, bool odd, int& failed_at) {
  const int size = static_cast<int>(taps.size());
  if (size % 2 == 0)
    throw Error("sym_filter: kernel size must be odd, got " + std::to_string(size));
  const int half = size / 2;
  double scale = 0;
  for (double t : taps) scale = std::max(scale, std::fabs(t));
  HalfKernel out(half + 1);
  out.odd = odd;
  for (int k = 0; k <= half; ++k) {
    const double mirrored = odd ? -taps[half - k] : taps[half - k];
    if (std::fabs(mirrored - taps[half + k]) > 1e-7 * scale) {
      failed_at = k;
      return {};
    }
    out[k] = k == 0 && odd ? 0.f : static_cast<float>(taps[half + k]);
  }
  return out;
}

}  // namespace

HalfKernel half_of_symmetric(const std::vector<double>& taps) {
  int failed_at = 0;
  HalfKernel out = half_with_parity(taps, false, failed_at);
  if (out.empty())
    throw Error("sym_filter: kernel is not symmetric at offset " + std::to_string(failed_at));
  return out;
}

HalfKernel half_of_kernel(const std::vector<double>& taps) {
  int failed_at = 0;
  HalfKernel out = half_with_parity(taps, false, failed_at);
  if (out.empty()) out = half_with_parity(taps, true, failed_at);
  if (out.empty())
    throw Error("sym_filter: kernel is neither symmetric nor antisymmetric at offset " +
                std::to_string(failed_at));
  return out;
}

HalfKernel gaussian_half_kernel(int ksize, double sigma) {
  const cv::Mat k = cv::getGaussianKernel(ksize, sigma, CV_32F);
  HalfKernel out(ksize / 2 + 1);
  for (int i = 0; i <= ksize / 2; ++i) out[i] = k.at<float>(ksize / 2 + i);
  return out;
}

void sym_filter_columns(const float* const* rows, int count, const HalfKernel& k, int n,
                        float* const* out) {
  const int half = static_cast<int>(k.size()) - 1;
  // Tiles of columns: the count + 2 * half source rows of one tile stay in cache while the tile's
  // output rows are made (a whole 1080p row of 51 source rows would not: ~1.2 MB per row). With
  // the four-row pass, which loads each source row once per four outputs, 4 KB a row is best:
  // separable 7- to 31-tap blurs of a 1080p frame 10-24 % faster than with 512 bytes, 51 taps
  // alike, 8 KB and whole rows slower again (an AVX2 machine with 32 KiB L1 and 512 KiB L2).
  constexpr int kTileFloats = 1024;
  for (int x0 = 0; x0 < n; x0 += kTileFloats) {
    const int x1 = std::min(n, x0 + kTileFloats);
    int r = 0;
    for (; r + 4 <= count; r += 4)
      HWY_DYNAMIC_DISPATCH(VerticalPassFour)(rows + r, k.data(), half, k.odd, x0, x1, out + r);
    for (; r < count; ++r)
      HWY_DYNAMIC_DISPATCH(VerticalPass)(rows + r, k.data(), half, k.odd, x0, x1, out[r]);
  }
}

PaddedRow::PaddedRow(int width, int channels, int half)
    : buf_(static_cast<size_t>(width + 2 * half) * channels + 16),
      width_(width),
      channels_(channels),
      half_(half),
      start_(aligned_start(buf_, static_cast<size_t>(half) * channels)) {}

void PaddedRow::filter(const HalfKernel& k, float* out, bool accumulate) {
  const int half = static_cast<int>(k.size()) - 1;
  if (half > half_) throw Error("sym_filter: kernel wider than the row's margins");
  float* row = data();
  mirror_margins(row, width_, channels_, half);
  HWY_DYNAMIC_DISPATCH(HorizontalPass)
  (row, channels_, k.data(), half, k.odd, accumulate, width_ * channels_, out);
}

void sym_sep_filter_rows(const cv::Mat& src, int y0, int y1, const HalfKernel& kx,
                         const HalfKernel& ky, cv::Mat& dst, bool accumulate) {
  if (src.depth() != CV_32F) throw Error("sym_filter: wants a float image");
  if (kx.empty() || ky.empty()) throw Error("sym_filter: empty kernel");
  if (y0 < 0 || y1 > src.rows || y0 > y1) throw Error("sym_filter: row range outside the image");
  if (accumulate && (dst.rows != y1 - y0 || dst.cols != src.cols || dst.type() != src.type()))
    throw Error("sym_filter: the sum to accumulate into has the wrong shape");
  if (dst.data == src.data) {  // the rows beyond each output row are still needed as they were
    cv::Mat fresh;
    sym_sep_filter_rows(src, y0, y1, kx, ky, fresh);
    if (accumulate)
      dst += fresh;
    else
      dst = fresh;
    return;
  }
  const int hy = static_cast<int>(ky.size()) - 1, n = src.cols * src.channels();
  dst.create(y1 - y0, src.cols, src.type());
  // Twice the streaming filters' batch: the rows above and below a batch are read again by the
  // next one, and with 32 output rows a 7- to 13-tap blur of a 1080p frame takes 22 % less time
  // than with 16 (21 taps: 7 %; 64 rows: no better than 32), on an AVX2 machine with 512 KiB L2.
  constexpr int batch = 2 * kRowBatch;
  std::vector<PaddedRow> padded(
      batch, PaddedRow(src.cols, src.channels(), static_cast<int>(kx.size()) - 1));
  std::vector<float*> outs(batch);
  std::vector<const float*> rows(batch + 2 * hy);
  for (int y = y0; y < y1; y += batch) {
    const int count = std::min(batch, y1 - y);
    for (int j = 0; j < count + 2 * hy; ++j)
      rows[j] = src.ptr<float>(reflect_101(y - hy + j, src.rows));
    for (int r = 0; r < count; ++r) outs[r] = padded[r].data();
    sym_filter_columns(rows.data(), count, ky, n, outs.data());
    for (int r = 0; r < count; ++r) padded[r].filter(kx, dst.ptr<float>(y + r - y0), accumulate);
  }
}

int mirror_row(int i, int n) {
  return reflect_101(i, n);
}

PairedTaps paired_taps(const cv::Mat& kernel, double budget) {
  cv::Mat k;
  kernel.convertTo(k, CV_64F);
  if (k.rows != k.cols || k.rows % 2 == 0) return {};
  const int half = k.rows / 2;
  double scale = 0;
  for (int y = 0; y < k.rows; ++y)
    for (int x = 0; x < k.cols; ++x) scale = std::max(scale, std::fabs(k.at<double>(y, x)));
  struct Pair {
    int dy, dx;
    double w;
  };
  std::vector<Pair> all;
  for (int dy = 0; dy <= half; ++dy)
    for (int dx = dy == 0 ? 1 : -half; dx <= half; ++dx) {
      const double a = k.at<double>(half + dy, half + dx), b = k.at<double>(half - dy, half - dx);
      if (std::fabs(a - b) > 1e-7 * scale) return {};  // not point-symmetric
      all.push_back({dy, dx, a});
    }
  // The smallest pairs go first, while their L1 mass (each counts twice) fits the budget.
  std::vector<size_t> order(all.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return std::fabs(all[a].w) < std::fabs(all[b].w); });
  PairedTaps t;
  t.centre = static_cast<float>(k.at<double>(half, half));
  t.symmetric = true;
  size_t first_kept = 0;
  for (; first_kept < order.size(); ++first_kept) {
    const double mass = 2 * std::fabs(all[order[first_kept]].w);
    if (t.dropped_l1 + mass > budget) break;
    t.dropped_l1 += mass;
  }
  std::vector<size_t> kept(order.begin() + first_kept, order.end());
  std::sort(kept.begin(), kept.end());  // back to raster order: rows are read in turn
  for (size_t i : kept) {
    t.dy.push_back(all[i].dy);
    t.dx.push_back(all[i].dx);
    t.w.push_back(static_cast<float>(all[i].w));
    t.reach = std::max({t.reach, std::abs(all[i].dy), std::abs(all[i].dx)});
  }
  return t;
}

void paired_taps_filter(const cv::Mat& src, cv::Mat& dst, const PairedTaps& t) {
  if (src.depth() != CV_32F) throw Error("sym_filter: wants a float image");
  if (dst.data == src.data) {
    cv::Mat fresh;
    paired_taps_filter(src, fresh, t);
    dst = fresh;
    return;
  }
  const int reach = t.reach, channels = src.channels(), width = src.cols;
  const int pairs = static_cast<int>(t.w.size());
  dst.create(src.size(), src.type());
  std::vector<const float*> a(pairs), b(pairs);
  std::vector<float> weights{t.centre};
  weights.insert(weights.end(), t.w.begin(), t.w.end());
  // One output row's pixels [x0, x1), the taps read from rows row(dy) whose pixel `left` is
  // image pixel 0 (every tap pointer stays inside its row).
  const auto pass = [&](const auto& row, int left, int x0, int x1, float* out) {
    if (x1 <= x0) return;
    const auto at = [&](int dy, int dx) {
      return row(dy) + static_cast<ptrdiff_t>(left + x0 + dx) * channels;
    };
    for (int p = 0; p < pairs; ++p) a[p] = at(t.dy[p], t.dx[p]), b[p] = at(-t.dy[p], -t.dx[p]);
    HWY_DYNAMIC_DISPATCH(PairedTapsPass)
    (a.data(), b.data(), weights.data(), pairs, at(0, 0), 0, (x1 - x0) * channels,
     out + static_cast<ptrdiff_t>(x0) * channels);
  };
  // The pixels `reach` or more from the left and right edges read `src` itself (rows above and
  // below mirrored by pointer), in column tiles: the 2 * reach + 1 rows of a tile stay in the
  // cache from one output row to the next (tiles of 1024 pixels ran 2-5 % faster than of 256 on
  // Zen 2 with the eight-vector passes: its L2 is what holds them). The edge pixels read small
  // mirrored copies of the columns they need, made per stripe of rows with copyMakeBorder, which
  // takes the rows beyond a stripe from `src`: every stripe equals the same rows of the whole
  // image.
  constexpr int kStripeRows = 64, kTileFloats = 3072;
  const int inner0 = std::min(width, reach), inner1 = std::max(inner0, width - reach);
  const int strip = std::min(width, 2 * reach);  // image columns an edge's outputs read
  cv::Mat left_strip, right_strip;
  for (int y0 = 0; y0 < src.rows; y0 += kStripeRows) {
    const int y1 = std::min(src.rows, y0 + kStripeRows);
    cv::copyMakeBorder(src(cv::Range(y0, y1), cv::Range(0, strip)), left_strip, reach, reach, reach,
                       reach, cv::BORDER_REFLECT_101);
    cv::copyMakeBorder(src(cv::Range(y0, y1), cv::Range(width - strip, width)), right_strip, reach,
                       reach, reach, reach, cv::BORDER_REFLECT_101);
    constexpr int kTilePixels = kTileFloats / 3;
    for (int x0 = inner0; x0 < inner1; x0 += kTilePixels) {
      const int x1 = std::min(inner1, x0 + kTilePixels);
      for (int y = y0; y < y1; ++y)
        pass([&](int dy) { return src.ptr<float>(mirror_row(y + dy, src.rows)); }, 0, x0, x1,
             dst.ptr<float>(y));
    }
    for (int y = y0; y < y1; ++y) {
      float* out = dst.ptr<float>(y);
      // Strip row y - y0 + reach holds image row y; its pixel `reach` is image pixel 0 (left)
      // or width - strip (right).
      pass([&](int dy) { return left_strip.ptr<float>(y - y0 + reach + dy); }, reach, 0, inner0,
           out);
      pass([&](int dy) { return right_strip.ptr<float>(y - y0 + reach + dy); },
           reach - (width - strip), inner1, width, out);
    }
  }
}

}  // namespace pf::degrade
#endif  // HWY_ONCE

// Highway kernels of usm_mask.h, compiled once per instruction set through hwy/foreach_target.h.
// Integer arithmetic only: every instruction set gives the same bytes.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "degrade/simd/usm_mask.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "degrade/simd/column_four-inl.h"

HWY_BEFORE_NAMESPACE();
namespace pf::degrade::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// out[i] = offset + q[0] * in[i] + sum_k q[k] * (in[i - k * step] + in[i + k * step]). The mask
// holds 0 and 1 and the weights sum to kMaskOne, so no sum leaves 16 bits.
void MaskRowPass(const uint16_t* in, int step, const uint16_t* q, int half, uint16_t offset, int n,
                 uint16_t* out) {
  const hn::ScalableTag<uint16_t> d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto q0 = hn::Set(d, q[0]), start = hn::Set(d, offset);
  int i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {  // four vectors: more sums in flight
    auto s0 = hn::Add(start, hn::Mul(q0, hn::LoadU(d, in + i)));
    auto s1 = hn::Add(start, hn::Mul(q0, hn::LoadU(d, in + i + lanes)));
    auto s2 = hn::Add(start, hn::Mul(q0, hn::LoadU(d, in + i + 2 * lanes)));
    auto s3 = hn::Add(start, hn::Mul(q0, hn::LoadU(d, in + i + 3 * lanes)));
    for (int k = 1; k <= half; ++k) {
      const auto qk = hn::Set(d, q[k]);
      const uint16_t* a = in + i - k * step;
      const uint16_t* b = in + i + k * step;
      s0 = hn::Add(s0, hn::Mul(qk, hn::Add(hn::LoadU(d, a), hn::LoadU(d, b))));
      s1 = hn::Add(s1, hn::Mul(qk, hn::Add(hn::LoadU(d, a + lanes), hn::LoadU(d, b + lanes))));
      s2 = hn::Add(s2,
                   hn::Mul(qk, hn::Add(hn::LoadU(d, a + 2 * lanes), hn::LoadU(d, b + 2 * lanes))));
      s3 = hn::Add(s3,
                   hn::Mul(qk, hn::Add(hn::LoadU(d, a + 3 * lanes), hn::LoadU(d, b + 3 * lanes))));
    }
    hn::StoreU(s0, d, out + i);
    hn::StoreU(s1, d, out + i + lanes);
    hn::StoreU(s2, d, out + i + 2 * lanes);
    hn::StoreU(s3, d, out + i + 3 * lanes);
  }
  // One vector more: filter's stretches come in blocks of 64 values, so few reach the scalar end.
  for (; i + lanes <= n; i += lanes) {
    auto s = hn::Add(start, hn::Mul(q0, hn::LoadU(d, in + i)));
    for (int k = 1; k <= half; ++k)
      s = hn::Add(s, hn::Mul(hn::Set(d, q[k]), hn::Add(hn::LoadU(d, in + i - k * step),
                                                       hn::LoadU(d, in + i + k * step))));
    hn::StoreU(s, d, out + i);
  }
  for (; i < n; ++i) {
    unsigned s = offset + q[0] * in[i];
    for (int k = 1; k <= half; ++k) s += q[k] * (in[i - k * step] + in[i + k * step]);
    out[i] = static_cast<uint16_t>(s);
  }
}

// rows[half + k] is the row k below the output row; values [begin, end) of it.
void MaskColumnPass(const uint16_t* const* rows, const uint16_t* w, int half, int begin, int end,
                    uint16_t* out) {
  const hn::ScalableTag<uint16_t> d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto w0 = hn::Set(d, w[0]);
  const uint16_t* centre = rows[half];
  int i = begin;
  for (; i + 2 * lanes <= end; i += 2 * lanes) {
    auto s0 = hn::MulHigh(w0, hn::LoadU(d, centre + i));
    auto s1 = hn::MulHigh(w0, hn::LoadU(d, centre + i + lanes));
    for (int k = 1; k <= half; ++k) {
      const auto wk = hn::Set(d, w[k]);
      const uint16_t* a = rows[half - k] + i;
      const uint16_t* b = rows[half + k] + i;
      s0 = hn::Add(s0, hn::MulHigh(wk, hn::AverageRound(hn::LoadU(d, a), hn::LoadU(d, b))));
      s1 = hn::Add(
          s1, hn::MulHigh(wk, hn::AverageRound(hn::LoadU(d, a + lanes), hn::LoadU(d, b + lanes))));
    }
    hn::StoreU(s0, d, out + i);
    hn::StoreU(s1, d, out + i + lanes);
  }
  for (; i < end; ++i) {
    unsigned s = (centre[i] * unsigned{w[0]}) >> 16;
    for (int k = 1; k <= half; ++k) {
      const unsigned mean = (rows[half - k][i] + rows[half + k][i] + 1u) >> 1;
      s += (mean * w[k]) >> 16;
    }
    out[i] = static_cast<uint16_t>(s);
  }
}

// MaskColumnPass for four consecutive output rows out[0..3] (column_four-inl.h): the same sums,
// the same bytes.
void MaskColumnPassFour(const uint16_t* const* rows, const uint16_t* w, int half, int begin,
                        int end, uint16_t* const* out) {
  const hn::ScalableTag<uint16_t> d;
  const int i = column_four(
      d, rows, w, half, begin, end, out, [](auto w0, auto c) { return hn::MulHigh(w0, c); },
      [](auto s, auto wk, auto a, auto b) {
        return hn::Add(s, hn::MulHigh(wk, hn::AverageRound(a, b)));
      });
  if (i < end)
    for (int j = 0; j < 4; ++j) MaskColumnPass(rows + j, w, half, i, end, out[j]);
}

}  // namespace pf::degrade::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/error.h"
#include "degrade/simd/usm_mask.h"

namespace pf::degrade {

HWY_EXPORT(MaskRowPass);
HWY_EXPORT(MaskColumnPass);
HWY_EXPORT(MaskColumnPassFour);

std::vector<uint16_t> round_to_total(const std::vector<double>& targets, long total) {
  std::vector<uint16_t> q(targets.size());
  for (size_t k = 0; k < targets.size(); ++k) {
    q[k] = static_cast<uint16_t>(std::floor(targets[k]));
    total -= q[k];
  }
  std::vector<size_t> order(targets.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return targets[a] - q[a] > targets[b] - q[b]; });
  if (total < 0 || total > static_cast<long>(q.size()))
    throw Error("usm: cannot quantise the mask kernel");
  for (long i = 0; i < total; ++i) ++q[order[i]];
  return q;
}

MaskKernel usm_mask_kernel(const HalfKernel& gauss) {
  const int half = static_cast<int>(gauss.size()) - 1;
  // A 1-tap Gaussian would need a column weight of 65536; the unsharp mask is a no-op there.
  if (half < 1 || gauss.odd) throw Error("usm: the mask kernel needs an even kernel of 3+ taps");
  double total = gauss[0];
  for (int k = 1; k <= half; ++k) total += 2.0 * gauss[k];
  MaskKernel m;
  // Row pass: the centre an even number, so that the pairs (each weight counted twice) make up
  // the rest of kMaskOne exactly.
  const auto centre = static_cast<uint16_t>(2 * std::lround(gauss[0] / total * kMaskOne / 2));
  std::vector<double> targets(half);
  for (int k = 1; k <= half; ++k) targets[k - 1] = gauss[k] / total * kMaskOne;
  m.row = round_to_total(targets, (kMaskOne - centre) / 2);
  m.row.insert(m.row.begin(), centre);
  double over = 0, under = 0;  // the largest error of a sum over any subset of taps
  for (int k = 0; k <= half; ++k) {
    const double e = (static_cast<double>(m.row[k]) / kMaskOne - gauss[k]) * (k == 0 ? 1 : 2);
    (e > 0 ? over : under) += std::fabs(e);
  }
  const double row_error = std::max(over, under);
  // Column pass: 2 w_k in 1/65536 units (w_0 for the centre), made of even numbers.
  std::vector<double> halves(half + 1);
  for (int k = 0; k <= half; ++k) halves[k] = (k == 0 ? 1.0 : 2.0) * gauss[k] / total * 32768;
  m.column = round_to_total(halves, 32768);
  double weight_error = 0;
  for (int k = 0; k <= half; ++k) {
    m.column[k] = static_cast<uint16_t>(2 * m.column[k]);
    weight_error += std::fabs(m.column[k] / 65536.0 - (k == 0 ? 1.0 : 2.0) * gauss[k]);
  }
  // Each truncated product loses less than one unit and each rounded-up mean adds at most half a
  // unit times its weight: the column pass's result lies in (offset - (half + 1), offset + 1/2]
  // units of the exact one. An offset near (half + 1) / 2 centres that, and it is free: added to
  // every row-pass output, it moves no product of a window of zeros off 0 (offset * column[k] <
  // 65536) and none of a window of ones off its exact value (kMaskOne * column[k] / 65536 is an
  // integer).
  const uint16_t widest = *std::max_element(m.column.begin(), m.column.end());
  m.offset = static_cast<uint16_t>(std::min(65535 / widest, (half + 1) / 2));
  const double rounding = std::max(half + 1.0 - m.offset, m.offset + 0.5) / kMaskOne;
  m.bound = row_error + weight_error + rounding;
  return m;
}

MaskRow::MaskRow(int width, int channels, int half)
    // 96 values to spare: 31 at most for the alignment, 63 read past the end by filter's blocks
    // (zeros, never written).
    : buf_(static_cast<size_t>(width + 2 * half) * channels + 96),
      width_(width),
      channels_(channels),
      half_(half),
      start_(aligned_start(buf_, static_cast<size_t>(half) * channels)) {}

void MaskRow::filter(const MaskKernel& k, uint16_t* out, uint8_t* quiet) {
  const int half = static_cast<int>(k.row.size()) - 1;
  if (half > half_) throw Error("usm: mask kernel wider than the row's margins");
  uint16_t* row = data();
  mirror_margins(row, width_, channels_, half);
  const int n = width_ * channels_;
  const auto pass = [&](int x0, int x1) {
    HWY_DYNAMIC_DISPATCH(MaskRowPass)
    (row + x0, channels_, k.row.data(), half, k.offset, x1 - x0, out + x0);
  };
  if (quiet == nullptr) {
    pass(0, n);
    return;
  }
  // busy[b]: a one among the 64 values from 64 b - margin (the mirrored margins included). An
  // output block of 64 values from x reads [x - margin, x + 64 + margin): blocks b to b + reach.
  // (Blocks of 16 skipped a little more and cost a millisecond a dense frame in bookkeeping.)
  constexpr int kBlock = 64;
  const int margin = half * channels_, blocks = (n + kBlock - 1) / kBlock;
  const int reach = (2 * margin + kBlock - 1) / kBlock;
  busy_.assign(static_cast<size_t>(blocks + reach + 1), 0);
  const int filled = (n + 2 * margin + kBlock - 1) / kBlock;  // blocks with data
  for (int b = 0; b < filled; ++b) {
    uint64_t words[kBlock / 4], any = 0;
    std::memcpy(words, row - margin + b * kBlock, sizeof words);
    for (const uint64_t w : words) any |= w;
    busy_[b] = any != 0;
  }
  int window = 0;  // busy blocks among [b, b + reach]
  for (int b = 0; b <= reach; ++b) window += busy_[b];
  int run = -1;  // start of the current stretch to filter, -1 if none
  for (int t = 0; t < mask_tiles(n); ++t) quiet[t] = 1;
  for (int b = 0; b < blocks; ++b) {
    const int x = b * kBlock, end = std::min(n, x + kBlock);
    if (window > 0) {
      if (run < 0) run = x;
      quiet[x / kMaskTileValues] = 0;
    } else {
      if (run >= 0) pass(run, x), run = -1;
      std::fill(out + x, out + end, k.offset);  // what the pass gives a window of zeros
    }
    window += busy_[b + reach + 1] - busy_[b];
  }
  if (run >= 0) pass(run, n);
}

void fixed_filter_columns(const uint16_t* const* rows, int count,
                          const std::vector<uint16_t>& column, int n, uint16_t* const* out,
                          const uint8_t* const* quiet) {
  const int half = static_cast<int>(column.size()) - 1;
  // busy[r]: whether a row among output row r's 2 * half + 1 source rows is not quiet.
  std::vector<char> busy(static_cast<size_t>(std::max(count, 0)));
  // Tiles of 512 bytes of each row, as sym_filter_columns: the tile's source rows stay in cache.
  for (int x0 = 0, t = 0; x0 < n; x0 += kMaskTileValues, ++t) {
    const int x1 = std::min(n, x0 + kMaskTileValues);
    int window = 0;
    if (quiet != nullptr)
      for (int j = 0; j < 2 * half; ++j) window += !quiet[j][t];
    for (int r = 0; r < count; ++r) {
      if (quiet != nullptr) window += !quiet[r + 2 * half][t];
      busy[r] = quiet == nullptr || window > 0;
      if (quiet != nullptr) window -= !quiet[r][t];
    }
    // Groups of four rows with a busy one run together (a quiet row's pass gives its 0s too).
    int r = 0;
    for (; r + 4 <= count; r += 4) {
      if (busy[r] || busy[r + 1] || busy[r + 2] || busy[r + 3]) {
        HWY_DYNAMIC_DISPATCH(MaskColumnPassFour)(rows + r, column.data(), half, x0, x1, out + r);
        continue;
      }
      for (int j = r; j < r + 4; ++j) std::fill(out[j] + x0, out[j] + x1, uint16_t{0});
    }
    for (; r < count; ++r) {
      if (busy[r])
        HWY_DYNAMIC_DISPATCH(MaskColumnPass)(rows + r, column.data(), half, x0, x1, out[r]);
      else
        std::fill(out[r] + x0, out[r] + x1, uint16_t{0});
    }
  }
}

}  // namespace pf::degrade
#endif  // HWY_ONCE

// Highway kernels of usm_blur.h, compiled once per instruction set through hwy/foreach_target.h.
// Integer arithmetic, and conversions that round alike everywhere: the same bytes on every
// instruction set.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "degrade/simd/usm_blur.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <cmath>

HWY_BEFORE_NAMESPACE();
namespace pf::degrade::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// out[i] = floor(c[0] * in[i] / 65536) + sum_k floor(c[k] * mean(in[i - k step], in[i + k step])
// / 65536), the mean rounded up. No sum leaves 16 bits: the weights sum to 65536.
void BlurRowPass(const uint16_t* in, int step, const uint16_t* c, int half, int n, uint16_t* out) {
  const hn::ScalableTag<uint16_t> d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto c0 = hn::Set(d, c[0]);
  int i = 0;
  const auto tap = [&](auto s, auto ck, const uint16_t* a, const uint16_t* b) {
    return hn::Add(s, hn::MulHigh(ck, hn::AverageRound(hn::LoadU(d, a), hn::LoadU(d, b))));
  };
  for (; i + 4 * lanes <= n; i += 4 * lanes) {  // four vectors: more sums in flight
    auto s0 = hn::MulHigh(c0, hn::LoadU(d, in + i));
    auto s1 = hn::MulHigh(c0, hn::LoadU(d, in + i + lanes));
    auto s2 = hn::MulHigh(c0, hn::LoadU(d, in + i + 2 * lanes));
    auto s3 = hn::MulHigh(c0, hn::LoadU(d, in + i + 3 * lanes));
    for (int k = 1; k <= half; ++k) {
      const auto ck = hn::Set(d, c[k]);
      const uint16_t* a = in + i - k * step;
      const uint16_t* b = in + i + k * step;
      s0 = tap(s0, ck, a, b);
      s1 = tap(s1, ck, a + lanes, b + lanes);
      s2 = tap(s2, ck, a + 2 * lanes, b + 2 * lanes);
      s3 = tap(s3, ck, a + 3 * lanes, b + 3 * lanes);
    }
    hn::StoreU(s0, d, out + i);
    hn::StoreU(s1, d, out + i + lanes);
    hn::StoreU(s2, d, out + i + 2 * lanes);
    hn::StoreU(s3, d, out + i + 3 * lanes);
  }
  for (; i + lanes <= n; i += lanes) {
    auto s = hn::MulHigh(c0, hn::LoadU(d, in + i));
    for (int k = 1; k <= half; ++k)
      s = tap(s, hn::Set(d, c[k]), in + i - k * step, in + i + k * step);
    hn::StoreU(s, d, out + i);
  }
  for (; i < n; ++i) {
    unsigned s = (in[i] * unsigned{c[0]}) >> 16;
    for (int k = 1; k <= half; ++k) {
      const unsigned mean = (in[i - k * step] + in[i + k * step] + 1u) >> 1;
      s += (mean * c[k]) >> 16;
    }
    out[i] = static_cast<uint16_t>(s);
  }
}

// out[i] = (in[i] + offset) / kBlurOne as a float.
void FixedToFloatRow(const uint16_t* in, int n, int offset, float scale, float* out) {
  const hn::ScalableTag<float> d;
  const hn::Rebind<int32_t, decltype(d)> di;
  const hn::Rebind<uint16_t, decltype(d)> du;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto off = hn::Set(di, offset);
  const auto s = hn::Set(d, scale);
  int i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto v = hn::Add(
        hn::BitCast(di, hn::PromoteTo(hn::Rebind<uint32_t, decltype(d)>(), hn::LoadU(du, in + i))),
        off);
    hn::StoreU(hn::Mul(hn::ConvertTo(d, v), s), d, out + i);
  }
  for (; i < n; ++i) out[i] = static_cast<float>(in[i] + offset) * scale;
}

// out[i] = round(in[i] * one); returns whether every value was in [0, 1].
bool FloatToFixedRow(const float* in, int n, float one, uint16_t* out) {
  const hn::ScalableTag<float> d;
  const hn::Rebind<uint16_t, decltype(d)> du;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto zero = hn::Zero(d), unit = hn::Set(d, 1.f), scale = hn::Set(d, one);
  auto inside = hn::Eq(zero, zero);
  int i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto v = hn::LoadU(d, in + i);
    inside = hn::And(inside, hn::And(hn::Ge(v, zero), hn::Le(v, unit)));  // false for NaN
    const auto q = hn::NearestInt(hn::Mul(hn::Min(hn::Max(v, zero), unit), scale));
    hn::StoreU(hn::DemoteTo(du, q), du, out + i);
  }
  bool ok = hn::AllTrue(d, inside);
  for (; i < n; ++i) {
    const float v = in[i];
    ok = ok && v >= 0.f && v <= 1.f;
    // Round half to even, as NearestInt in the default rounding mode.
    out[i] = static_cast<uint16_t>(std::nearbyint(std::fmin(std::fmax(v, 0.f), 1.f) * one));
  }
  return ok;
}

}  // namespace pf::degrade::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "degrade/simd/usm_blur.h"
#include "degrade/simd/usm_mask.h"

namespace pf::degrade {

HWY_EXPORT(BlurRowPass);
HWY_EXPORT(FixedToFloatRow);
HWY_EXPORT(FloatToFixedRow);

BlurKernel usm_blur_kernel(const HalfKernel& gauss) {
  const int half = static_cast<int>(gauss.size()) - 1;
  if (half < 1 || gauss.odd) throw Error("usm: the blur kernel needs an even kernel of 3+ taps");
  double total = gauss[0];
  for (int k = 1; k <= half; ++k) total += 2.0 * gauss[k];
  std::vector<double> targets(half + 1);
  for (int k = 0; k <= half; ++k) targets[k] = (k == 0 ? 1.0 : 2.0) * gauss[k] / total * 65536;
  if (targets[0] >= 65535) throw Error("usm: the blur kernel's centre weight is too large");
  BlurKernel b;
  b.weights = round_to_total(targets, 65536);
  // The weights' error against the float kernel, at its worst over means in [0, 1]: the larger of
  // the sums of the errors of one sign. Each pass adds it once.
  double over = 0, under = 0;
  for (int k = 0; k <= half; ++k) {
    const double e = b.weights[k] / 65536.0 - (k == 0 ? 1.0 : 2.0) * gauss[k];
    (e > 0 ? over : under) += std::fabs(e);
  }
  // Each pass's truncated products lose less than one unit each (half + 1 of them) and its
  // rounded-up means add at most half a unit: the two passes land in (-(2 half + 2), 1] units of
  // the exact sum (the column pass's error reaches the row pass's output through weights that
  // sum to 1). The offset half + 1 centres that to (-(half + 1), half + 2]. Add half a unit for
  // the input's rounding (none for 8-bit images) and the float conversion's rounding.
  b.offset = half + 1;
  b.bound = 2 * std::max(over, under) + (half + 2.5) / kBlurOne + 1e-7;
  return b;
}

bool usm_fixed_row(const float* in, int n, uint16_t* out) {
  return HWY_DYNAMIC_DISPATCH(FloatToFixedRow)(in, n, static_cast<float>(kBlurOne), out);
}

FixedRow::FixedRow(int width, int channels, int half)
    : buf_(static_cast<size_t>(width + 2 * half) * channels + 32),
      sums_(static_cast<size_t>(width) * channels),
      width_(width),
      channels_(channels),
      half_(half),
      start_(aligned_start(buf_, static_cast<size_t>(half) * channels)) {}

void FixedRow::filter(const BlurKernel& k, float* out) {
  const int half = static_cast<int>(k.weights.size()) - 1;
  if (half > half_) throw Error("usm: blur kernel wider than the row's margins");
  uint16_t* row = data();
  mirror_margins(row, width_, channels_, half);
  const int n = width_ * channels_;
  HWY_DYNAMIC_DISPATCH(BlurRowPass)(row, channels_, k.weights.data(), half, n, sums_.data());
  HWY_DYNAMIC_DISPATCH(FixedToFloatRow)
  (sums_.data(), n, k.offset, 1.f / static_cast<float>(kBlurOne), out);
}

}  // namespace pf::degrade
#endif  // HWY_ONCE

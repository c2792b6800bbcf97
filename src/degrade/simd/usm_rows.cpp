// Highway kernels of usm_rows.h, compiled once per instruction set through hwy/foreach_target.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "degrade/simd/usm_rows.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace pf::degrade::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void ThresholdRow(const float* in, const float* blur, int n, float threshold, float* mask) {
  const hn::ScalableTag<float> d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto t = hn::Set(d, threshold), scale = hn::Set(d, 255.f), one = hn::Set(d, 1.f);
  int x = 0;
  for (; x + lanes <= n; x += lanes) {
    const auto diff = hn::Abs(hn::Sub(hn::LoadU(d, in + x), hn::LoadU(d, blur + x)));
    hn::StoreU(hn::IfThenElseZero(hn::Gt(hn::Mul(diff, scale), t), one), d, mask + x);
  }
  for (; x < n; ++x) {
    const float diff = in[x] - blur[x];
    mask[x] = (diff < 0 ? -diff : diff) * 255.f > threshold ? 1.f : 0.f;
  }
}

void BlendRow(const float* in, const float* blur, const float* soft, int n, float amount,
              float* out) {
  const hn::ScalableTag<float> d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto a = hn::Set(d, amount), zero = hn::Zero(d), one = hn::Set(d, 1.f);
  int x = 0;
  for (; x + lanes <= n; x += lanes) {
    const auto v = hn::LoadU(d, in + x), s = hn::LoadU(d, soft + x);
    const auto sharp = hn::Add(v, hn::Mul(a, hn::Sub(v, hn::LoadU(d, blur + x))));
    const auto clamped = hn::Min(hn::Max(sharp, zero), one);
    hn::StoreU(hn::Add(hn::Mul(s, clamped), hn::Mul(hn::Sub(one, s), v)), d, out + x);
  }
  for (; x < n; ++x) {
    float sharp = in[x] + amount * (in[x] - blur[x]);
    sharp = sharp < 0.f ? 0.f : (sharp > 1.f ? 1.f : sharp);
    out[x] = soft[x] * sharp + (1.f - soft[x]) * in[x];
  }
}

}  // namespace pf::degrade::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "degrade/simd/usm_rows.h"

namespace pf::degrade {

HWY_EXPORT(ThresholdRow);
HWY_EXPORT(BlendRow);

void usm_threshold_row(const float* in, const float* blur, int n, float threshold, float* mask) {
  HWY_DYNAMIC_DISPATCH(ThresholdRow)(in, blur, n, threshold, mask);
}

void usm_blend_row(const float* in, const float* blur, const float* soft, int n, float amount,
                   float* out) {
  HWY_DYNAMIC_DISPATCH(BlendRow)(in, blur, soft, n, amount, out);
}

}  // namespace pf::degrade
#endif  // HWY_ONCE

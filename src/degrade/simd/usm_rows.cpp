// Highway kernels of usm_rows.h, compiled once per instruction set through hwy/foreach_target.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "degrade/simd/usm_rows.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "degrade/simd/usm_mask.h"

HWY_BEFORE_NAMESPACE();
namespace pf::degrade::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void ThresholdRow(const float* in, const float* blur, int n, float threshold, uint16_t* mask) {
  const hn::ScalableTag<float> d;
  const hn::Rebind<int32_t, decltype(d)> di;
  const hn::Rebind<uint16_t, decltype(d)> du;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto t = hn::Set(d, threshold), scale = hn::Set(d, 255.f);
  const auto one = hn::Set(di, 1);
  int x = 0;
  for (; x + lanes <= n; x += lanes) {
    const auto diff = hn::Abs(hn::Sub(hn::LoadU(d, in + x), hn::LoadU(d, blur + x)));
    const auto above = hn::RebindMask(di, hn::Gt(hn::Mul(diff, scale), t));
    hn::StoreU(hn::DemoteTo(du, hn::IfThenElseZero(above, one)), du, mask + x);
  }
  for (; x < n; ++x) {
    const float diff = in[x] - blur[x];
    mask[x] = (diff < 0 ? -diff : diff) * 255.f > threshold ? 1 : 0;
  }
}

void BlendRow(const float* in, const float* blur, const uint16_t* soft, int n, float amount,
              float* out) {
  const hn::ScalableTag<float> d;
  const hn::Rebind<int32_t, decltype(d)> di;
  const hn::Rebind<uint16_t, decltype(d)> du;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto a = hn::Set(d, amount), zero = hn::Zero(d), one = hn::Set(d, 1.f);
  const auto unit = hn::Set(d, 1.f / kMaskOne);
  int x = 0;
  for (; x + lanes <= n; x += lanes) {
    const auto v = hn::LoadU(d, in + x);
    const auto s = hn::Mul(hn::ConvertTo(d, hn::PromoteTo(di, hn::LoadU(du, soft + x))), unit);
    const auto sharp = hn::Add(v, hn::Mul(a, hn::Sub(v, hn::LoadU(d, blur + x))));
    const auto clamped = hn::Min(hn::Max(sharp, zero), one);
    hn::StoreU(hn::Add(hn::Mul(s, clamped), hn::Mul(hn::Sub(one, s), v)), d, out + x);
  }
  for (; x < n; ++x) {
    const float s = static_cast<float>(soft[x]) * (1.f / kMaskOne);
    float sharp = in[x] + amount * (in[x] - blur[x]);
    sharp = sharp < 0.f ? 0.f : (sharp > 1.f ? 1.f : sharp);
    out[x] = s * sharp + (1.f - s) * in[x];
  }
}

}  // namespace pf::degrade::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "degrade/simd/usm_rows.h"

namespace pf::degrade {

HWY_EXPORT(ThresholdRow);
HWY_EXPORT(BlendRow);

void usm_threshold_row(const float* in, const float* blur, int n, float threshold, uint16_t* mask) {
  HWY_DYNAMIC_DISPATCH(ThresholdRow)(in, blur, n, threshold, mask);
}

void usm_blend_row(const float* in, const float* blur, const uint16_t* soft, int n, float amount,
                   float* out) {
  HWY_DYNAMIC_DISPATCH(BlendRow)(in, blur, soft, n, amount, out);
}

}  // namespace pf::degrade
#endif  // HWY_ONCE

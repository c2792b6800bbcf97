// Highway kernel of quantise_row.h, compiled once per instruction set through hwy/foreach_target.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "io/simd/quantise_row.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace pf::io::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void QuantiseRow8(const float* in, int n, uint8_t* out) {
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const hn::Rebind<uint8_t, decltype(d)> du8;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto scale = hn::Set(d, 255.f), half = hn::Set(d, 0.5f);
  const auto zero = hn::Zero(d), top = hn::Set(d, 255.f + 0.49f);
  int x = 0;
  for (; x + lanes <= n; x += lanes) {
    const auto v = hn::Add(hn::Mul(hn::LoadU(d, in + x), scale), half);
    const auto clipped = hn::Min(hn::Max(v, zero), top);
    hn::StoreU(hn::DemoteTo(du8, hn::ConvertTo(di, clipped)), du8, out + x);
  }
  for (; x < n; ++x) {
    float v = in[x] * 255.f;
    v += 0.5f;
    v = v < 0.f ? 0.f : (v > 255.f + 0.49f ? 255.f + 0.49f : v);
    out[x] = static_cast<uint8_t>(static_cast<int32_t>(v));
  }
}

}  // namespace pf::io::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "io/simd/quantise_row.h"

namespace pf::io {

HWY_EXPORT(QuantiseRow8);

void quantise_row_8bit(const float* in, int n, uint8_t* out) {
  HWY_DYNAMIC_DISPATCH(QuantiseRow8)(in, n, out);
}

}  // namespace pf::io
#endif  // HWY_ONCE

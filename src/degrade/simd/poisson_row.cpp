// Highway kernel of poisson_row.h, compiled once per instruction set through hwy/foreach_target.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "degrade/simd/poisson_row.cpp"
#include "degrade/simd/poisson_row.h"

#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace pf::degrade::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void PoissonNoiseRow(const float* in, const uint32_t* words, int n, const uint32_t* levels,
                     const uint32_t* entries, float inverse_levels, float scale, float* out) {
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const hn::RebindToUnsigned<decltype(d)> du;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto zero = hn::Zero(d), one = hn::Set(d, 1.f), full = hn::Set(d, 255.f);
  const auto half = hn::Set(d, 0.5f), inverse = hn::Set(d, inverse_levels);
  const auto gain = hn::Set(d, scale);
  const auto size_mask = hn::Set(du, (1u << PoissonTables::kSizeBits) - 1);
  const auto low16 = hn::Set(du, 0xFFFFu);
  int x = 0;
  for (; x + lanes <= n; x += lanes) {
    // level_of, lane by lane.
    const auto scaled = hn::Mul(hn::Min(hn::Max(hn::LoadU(d, in + x), zero), one), full);
    const auto whole = hn::ConvertTo(di, scaled);
    const auto up = hn::Ge(hn::Sub(scaled, hn::ConvertTo(d, whole)), half);
    const auto q = hn::Sub(whole, hn::BitCast(di, hn::VecFromMask(d, up)));  // true is -1
    const auto info = hn::GatherIndex(du, levels, q);
    const auto size = hn::And(info, size_mask);
    const auto first = hn::ShiftRight<PoissonTables::kSizeBits>(info);
    // word * size in 32-bit halves (size < 2^12): the high word picks the entry, the low word
    // is the fraction.
    const auto word = hn::LoadU(du, words + x);
    const auto high = hn::Mul(hn::ShiftRight<16>(word), size);
    const auto low = hn::Mul(hn::And(word, low16), size);
    const auto pick = hn::ShiftRight<16>(hn::Add(high, hn::ShiftRight<16>(low)));
    const auto fraction = hn::Add(hn::ShiftLeft<16>(high), low);
    const auto at = hn::BitCast(di, hn::ShiftLeft<1>(hn::Add(first, pick)));
    const auto keep = hn::GatherIndex(du, entries, at);
    const auto counts = hn::GatherIndex(du, entries, hn::Add(at, hn::Set(di, 1)));
    const auto count =
        hn::IfThenElse(hn::Lt(fraction, keep), hn::And(counts, low16), hn::ShiftRight<16>(counts));
    const auto value = hn::Div(hn::ConvertTo(d, q), full);
    const auto photons = hn::ConvertTo(d, hn::BitCast(di, count));
    hn::StoreU(hn::Mul(hn::Sub(hn::Mul(photons, inverse), value), gain), d, out + x);
  }
  for (; x < n; ++x) {
    const int q = level_of(in[x]);
    const uint32_t info = levels[q], size = info & ((1u << PoissonTables::kSizeBits) - 1);
    const uint64_t product = static_cast<uint64_t>(words[x]) * size;
    const uint32_t* entry =
        entries + 2 * ((info >> PoissonTables::kSizeBits) + static_cast<uint32_t>(product >> 32));
    const uint32_t count =
        static_cast<uint32_t>(product) < entry[0] ? entry[1] & 0xFFFFu : entry[1] >> 16;
    const float value = static_cast<float>(q) / 255.f;
    out[x] = (static_cast<float>(count) * inverse_levels - value) * scale;
  }
}

}  // namespace pf::degrade::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace pf::degrade {

HWY_EXPORT(PoissonNoiseRow);

void poisson_noise_row(const float* in, const uint32_t* words, int n, const PoissonTables& tables,
                       float inverse_levels, float scale, float* out) {
  HWY_DYNAMIC_DISPATCH(PoissonNoiseRow)
  (in, words, n, tables.levels.data(), tables.entries.data(), inverse_levels, scale, out);
}

}  // namespace pf::degrade
#endif  // HWY_ONCE

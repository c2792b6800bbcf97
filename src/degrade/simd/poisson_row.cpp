// Highway kernel of poisson_row.h, compiled once per instruction set through hwy/foreach_target.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "degrade/simd/poisson_row.cpp"
#include "degrade/simd/poisson_row.h"

#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <cstring>

HWY_BEFORE_NAMESPACE();
namespace pf::degrade::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// q[x] = level_of(in[x]), lane by lane.
void PoissonLevelsRow(const float* in, int n, int32_t* q) {
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto zero = hn::Zero(d), one = hn::Set(d, 1.f), full = hn::Set(d, 255.f);
  const auto half = hn::Set(d, 0.5f);
  int x = 0;
  for (; x + lanes <= n; x += lanes) {
    const auto scaled = hn::Mul(hn::Min(hn::Max(hn::LoadU(d, in + x), zero), one), full);
    const auto whole = hn::ConvertTo(di, scaled);
    const auto up = hn::Ge(hn::Sub(scaled, hn::ConvertTo(d, whole)), half);
    hn::StoreU(hn::Sub(whole, hn::BitCast(di, hn::VecFromMask(d, up))), di, q + x);  // true: -1
  }
  for (; x < n; ++x) q[x] = level_of(in[x]);
}

// From each level's table info (first entry << kSizeBits | entries) and word: at[x], the index of
// the entry the word picks (the integer part of u * n with u = word / 2^32), and fraction[x], the
// low 32 bits of word * n, which decides between the entry's own count and its alias.
void PoissonPickRow(const uint32_t* info, const uint32_t* words, int n, uint32_t* at,
                    uint32_t* fraction) {
  const hn::ScalableTag<uint32_t> du;
  const int lanes = static_cast<int>(hn::Lanes(du));
  const auto size_mask = hn::Set(du, (1u << PoissonTables::kSizeBits) - 1);
  const auto low16 = hn::Set(du, 0xFFFFu);
  int x = 0;
  for (; x + lanes <= n; x += lanes) {
    const auto i = hn::LoadU(du, info + x);
    const auto size = hn::And(i, size_mask);
    const auto first = hn::ShiftRight<PoissonTables::kSizeBits>(i);
    // word * size in 32-bit halves (size < 2^12).
    const auto word = hn::LoadU(du, words + x);
    const auto high = hn::Mul(hn::ShiftRight<16>(word), size);
    const auto low = hn::Mul(hn::And(word, low16), size);
    hn::StoreU(hn::Add(first, hn::ShiftRight<16>(hn::Add(high, hn::ShiftRight<16>(low)))), du,
               at + x);
    hn::StoreU(hn::Add(hn::ShiftLeft<16>(high), low), du, fraction + x);
  }
  for (; x < n; ++x) {
    const uint32_t size = info[x] & ((1u << PoissonTables::kSizeBits) - 1);
    const uint64_t product = static_cast<uint64_t>(words[x]) * size;
    at[x] = (info[x] >> PoissonTables::kSizeBits) + static_cast<uint32_t>(product >> 32);
    fraction[x] = static_cast<uint32_t>(product);
  }
}

// out[x] = (count / levels - q[x] / 255) * scale, where count is the own count of entry[x] if
// fraction[x] is below its threshold, else its alias. entry[x]: the entry's two words.
void PoissonOutputRow(const int32_t* q, const uint32_t* fraction, const uint32_t* entry, int n,
                      float inverse_levels, float scale, float* out) {
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const hn::RebindToUnsigned<decltype(d)> du;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto full = hn::Set(d, 255.f), inverse = hn::Set(d, inverse_levels);
  const auto gain = hn::Set(d, scale);
  const auto low16 = hn::Set(du, 0xFFFFu);
  int x = 0;
  for (; x + lanes <= n; x += lanes) {
    hn::Vec<decltype(du)> keep, counts;
    hn::LoadInterleaved2(du, entry + 2 * x, keep, counts);
    const auto count = hn::IfThenElse(hn::Lt(hn::LoadU(du, fraction + x), keep),
                                      hn::And(counts, low16), hn::ShiftRight<16>(counts));
    const auto value = hn::Div(hn::ConvertTo(d, hn::LoadU(di, q + x)), full);
    const auto photons = hn::ConvertTo(d, hn::BitCast(di, count));
    hn::StoreU(hn::Mul(hn::Sub(hn::Mul(photons, inverse), value), gain), d, out + x);
  }
  for (; x < n; ++x) {
    const uint32_t count =
        fraction[x] < entry[2 * x] ? entry[2 * x + 1] & 0xFFFFu : entry[2 * x + 1] >> 16;
    out[x] =
        (static_cast<float>(count) * inverse_levels - static_cast<float>(q[x]) / 255.f) * scale;
  }
}

}  // namespace pf::degrade::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace pf::degrade {

HWY_EXPORT(PoissonLevelsRow);
HWY_EXPORT(PoissonPickRow);
HWY_EXPORT(PoissonOutputRow);

// The table reads are scalar loads, not vector gathers: on Zen 2 an 8-lane gather costs about 25
// cycles, more than eight scalar loads. Between the vector passes, in chunks whose scratch rows
// stay in the L1 cache; this part is compiled for the baseline instruction set, so the compiler
// makes no gathers of these loops either.
void poisson_noise_row(const float* in, const uint32_t* words, int n, const PoissonTables& tables,
                       float inverse_levels, float scale, float* out) {
  constexpr int kChunk = 1024;
  alignas(64) int32_t q[kChunk];
  alignas(64) uint32_t info[kChunk], at[kChunk], fraction[kChunk], entry[2 * kChunk];
  const uint32_t* levels = tables.levels.data();
  const uint32_t* entries = tables.entries.data();
  for (int x = 0; x < n; x += kChunk) {
    const int m = std::min(kChunk, n - x);
    HWY_DYNAMIC_DISPATCH(PoissonLevelsRow)(in + x, m, q);
    for (int i = 0; i < m; ++i) info[i] = levels[q[i]];
    HWY_DYNAMIC_DISPATCH(PoissonPickRow)(info, words + x, m, at, fraction);
    // Both words of an entry in one 8-byte copy.
    for (int i = 0; i < m; ++i) std::memcpy(entry + 2 * i, entries + 2 * size_t{at[i]}, 8);
    HWY_DYNAMIC_DISPATCH(PoissonOutputRow)(q, fraction, entry, m, inverse_levels, scale, out + x);
  }
}

}  // namespace pf::degrade
#endif  // HWY_ONCE

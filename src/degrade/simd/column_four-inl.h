// The column pass of a symmetric filter for four consecutive output rows at once, shared by the
// float filter (sym_filter.cpp) and the fixed-point ones (usm_mask.cpp). Included once per
// instruction set from those files' foreach_target sections (Highway's -inl.h convention).
#if defined(PF_DEGRADE_SIMD_COLUMN_FOUR_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef PF_DEGRADE_SIMD_COLUMN_FOUR_INL_H_
#undef PF_DEGRADE_SIMD_COLUMN_FOUR_INL_H_
#else
#define PF_DEGRADE_SIMD_COLUMN_FOUR_INL_H_
#endif

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace pf::degrade::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// rows[half + m] is the source row m rows below the first output row (m in [-half, half + 3]);
// out[j] gets s_j = first(w0, row j), then s_j = tap(s_j, w[k], row j - k, row j + k) for k = 1
// to half, over the values [begin, end) that whole vectors cover. Returns where the vectors
// stopped (the caller finishes the rest one row at a time, in the same order).
//
// Output row j at tap k reads rows j - k and j + k; three of each four were read at tap k - 1,
// so they stay in registers and a tap loads two rows instead of eight. (Unrolling the taps by
// four, to keep each row in one register instead of moving the window along, measured no faster
// in float and made the compiler spill the 16-bit version's reassociated sums.)
template <class D, class T, class First, class Tap>
HWY_INLINE int column_four(D d, const T* const* rows, const T* w, int half, int begin, int end,
                           T* const* out, const First& first, const Tap& tap) {
  const int lanes = static_cast<int>(hn::Lanes(d));
  const T* const* r = rows + half;  // r[m]: source row m
  const auto w0 = hn::Set(d, w[0]);
  int i = begin;
  for (; i + lanes <= end; i += lanes) {
    auto lo0 = hn::LoadU(d, r[0] + i), lo1 = hn::LoadU(d, r[1] + i);
    auto lo2 = hn::LoadU(d, r[2] + i), lo3 = hn::LoadU(d, r[3] + i);
    auto s0 = first(w0, lo0), s1 = first(w0, lo1), s2 = first(w0, lo2), s3 = first(w0, lo3);
    auto hi0 = lo0, hi1 = lo1, hi2 = lo2, hi3 = lo3;  // lo_j = row j - k, hi_j = row j + k
    for (int k = 1; k <= half; ++k) {
      lo3 = lo2, lo2 = lo1, lo1 = lo0, lo0 = hn::LoadU(d, r[-k] + i);
      hi0 = hi1, hi1 = hi2, hi2 = hi3, hi3 = hn::LoadU(d, r[k + 3] + i);
      const auto wk = hn::Set(d, w[k]);
      s0 = tap(s0, wk, lo0, hi0);
      s1 = tap(s1, wk, lo1, hi1);
      s2 = tap(s2, wk, lo2, hi2);
      s3 = tap(s3, wk, lo3, hi3);
    }
    hn::StoreU(s0, d, out[0] + i);
    hn::StoreU(s1, d, out[1] + i);
    hn::StoreU(s2, d, out[2] + i);
    hn::StoreU(s3, d, out[3] + i);
  }
  return i;
}

}  // namespace pf::degrade::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // PF_DEGRADE_SIMD_COLUMN_FOUR_INL_H_

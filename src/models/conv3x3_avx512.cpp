// conv3x3_simd.inc for AVX-512F: 32 registers of 16 floats, tiles of up to 4 vectors (64 output
// channels) by 6-8 pixels.
#include "models/conv3x3_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>
#include <type_traits>

namespace pf::models::conv3x3 {
namespace avx512 {

#define PF_CONV_TARGET __attribute__((target("avx512f")))
#define PF_CONV_INLINE __attribute__((target("avx512f"), always_inline)) inline
using V = __m512;
constexpr int kLanes = 16, kMaxVectors = 4;
constexpr int tile_pixels(int vectors) {
  return vectors == 4 ? 6 : 8;
}
PF_CONV_INLINE V vload(const float* p) {
  return _mm512_loadu_ps(p);
}
PF_CONV_INLINE void vstore(float* p, V v) {
  _mm512_storeu_ps(p, v);
}
PF_CONV_INLINE V vset1(float x) {
  return _mm512_set1_ps(x);
}
PF_CONV_INLINE V vzero() {
  return _mm512_setzero_ps();
}
PF_CONV_INLINE V vfmadd(V a, V b, V c) {
  return _mm512_fmadd_ps(a, b, c);
}
PF_CONV_INLINE V vadd(V a, V b) {
  return _mm512_add_ps(a, b);
}
PF_CONV_INLINE V vsub(V a, V b) {
  return _mm512_sub_ps(a, b);
}

#include "models/conv3x3_simd.inc"

#undef PF_CONV_TARGET
#undef PF_CONV_INLINE

}  // namespace avx512

const Kernels* avx512_kernels() {
  static const Kernels k{"AVX-512F", avx512::conv_row, avx512::winograd_chunk};
  static const bool runs = __builtin_cpu_supports("avx512f");
  return runs ? &k : nullptr;
}

}  // namespace pf::models::conv3x3

#else

namespace pf::models::conv3x3 {
const Kernels* avx512_kernels() {
  return nullptr;
}
}  // namespace pf::models::conv3x3

#endif

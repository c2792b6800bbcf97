// conv3x3_simd.inc for AVX2 with FMA: 16 registers of 8 floats, so tiles of up to 3 vectors (24
// output channels) by 4-8 pixels: P x J accumulators, J weights and one broadcast fill them.
#include "models/conv3x3_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>
#include <type_traits>

namespace pf::models::conv3x3 {
namespace avx2 {

#define PF_CONV_TARGET __attribute__((target("avx2,fma")))
#define PF_CONV_INLINE __attribute__((target("avx2,fma"), always_inline)) inline
using V = __m256;
constexpr int kLanes = 8, kMaxVectors = 3;
constexpr int tile_pixels(int vectors) {
  return vectors == 3 ? 4 : vectors == 2 ? 6 : 8;
}
PF_CONV_INLINE V vload(const float* p) {
  return _mm256_loadu_ps(p);
}
PF_CONV_INLINE void vstore(float* p, V v) {
  _mm256_storeu_ps(p, v);
}
PF_CONV_INLINE V vset1(float x) {
  return _mm256_set1_ps(x);
}
PF_CONV_INLINE V vzero() {
  return _mm256_setzero_ps();
}
PF_CONV_INLINE V vfmadd(V a, V b, V c) {
  return _mm256_fmadd_ps(a, b, c);
}
PF_CONV_INLINE V vadd(V a, V b) {
  return _mm256_add_ps(a, b);
}
PF_CONV_INLINE V vsub(V a, V b) {
  return _mm256_sub_ps(a, b);
}

#include "models/conv3x3_simd.inc"

#undef PF_CONV_TARGET
#undef PF_CONV_INLINE

}  // namespace avx2

const Kernels* avx2_kernels() {
  static const Kernels k{"AVX2", avx2::conv_row, avx2::winograd_chunk};
  static const bool runs = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return runs ? &k : nullptr;
}

}  // namespace pf::models::conv3x3

#else

namespace pf::models::conv3x3 {
const Kernels* avx2_kernels() {
  return nullptr;
}
}  // namespace pf::models::conv3x3

#endif

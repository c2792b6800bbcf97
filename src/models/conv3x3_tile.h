// The register tile shared by the direct and the Winograd 3x3 convolutions (conv3x3_nhwc.cpp,
// conv3x3_winograd.cpp). x86-64 with AVX-512F only; include it from code built for that.
#pragma once
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <type_traits>

namespace pf::models::conv3x3 {

constexpr int kLanes = 16;  // floats per AVX-512 register

// acc[p][j] += sum over k < depth of
// in[p * depth + k] * w[k * cout + 16 j], P rows of `in` against J vectors of weights. Each k
// loads J weight vectors and broadcasts P inputs for P * J fused multiply-adds.
template <int P, int J>
__attribute__((target("avx512f"), always_inline)) inline void multiply_add(
    __m512 (&acc)[P][J], const float* in, const float* w, ptrdiff_t depth, ptrdiff_t cout) {
  for (ptrdiff_t k = 0; k < depth; ++k, w += cout) {
    __m512 wv[J];
#pragma GCC unroll 4
    for (int j = 0; j < J; ++j) wv[j] = _mm512_loadu_ps(w + j * kLanes);
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) {
      const __m512 v = _mm512_set1_ps(in[p * depth + k]);
#pragma GCC unroll 4
      for (int j = 0; j < J; ++j) acc[p][j] = _mm512_fmadd_ps(wv[j], v, acc[p][j]);
    }
  }
}

// Stores acc[p][j] at out[p * cout + 16 j].
template <int P, int J>
__attribute__((target("avx512f"), always_inline)) inline void store_tile(const __m512 (&acc)[P][J],
                                                                         float* out,
                                                                         ptrdiff_t cout) {
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 4
    for (int j = 0; j < J; ++j) _mm512_storeu_ps(out + p * cout + j * kLanes, acc[p][j]);
}

// Calls f(std::integral_constant<int, J>{}, oc0) for blocks of J <= 4 vectors (64 channels) that
// cover `cout` output channels, a multiple of 16: the register tiles are compiled per J.
template <class F>
void for_each_channel_block(int cout, F&& f) {
  for (int oc0 = 0; oc0 < cout;) {
    const int vectors = std::min(4, (cout - oc0) / kLanes);
    switch (vectors) {
      case 4:
        f(std::integral_constant<int, 4>{}, oc0);
        break;
      case 3:
        f(std::integral_constant<int, 3>{}, oc0);
        break;
      case 2:
        f(std::integral_constant<int, 2>{}, oc0);
        break;
      default:
        f(std::integral_constant<int, 1>{}, oc0);
        break;
    }
    oc0 += vectors * kLanes;
  }
}

}  // namespace pf::models::conv3x3

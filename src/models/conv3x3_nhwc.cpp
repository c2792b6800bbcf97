#include "models/conv3x3_nhwc.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace pf::models {

#if defined(__x86_64__)
#include <immintrin.h>

namespace {

constexpr int kLanes = 16;  // floats per AVX-512 register

// What one output row needs: the three input rows around it (null outside the image), the
// weights as [tap][input channel][output channel], the bias.
struct RowJob {
  const float* rows[3];
  int width, cin, cout;
  const float* weights;
  const float* bias;
  float* out;  // the output row, channels-last
};

// The register tile both algorithms share: acc[p][j] += sum over k < depth of
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

// P output pixels from x0 by J * 16 output channels from oc0, all taps inside the image (or, with
// Border, P = 1 and the taps left or right of the image skipped). Accumulators start from the
// bias and take the taps in the order dy, dx, input channel.
template <int P, int J, bool Border>
__attribute__((target("avx512f"))) void tile(const RowJob& r, int x0, int oc0) {
  __m512 acc[P][J];
#pragma GCC unroll 4
  for (int j = 0; j < J; ++j) {
    const __m512 b = _mm512_loadu_ps(r.bias + oc0 + j * kLanes);
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) acc[p][j] = b;
  }
  const ptrdiff_t cin = r.cin, cout = r.cout;
  for (int dy = 0; dy < 3; ++dy) {
    const float* row = r.rows[dy];
    if (row == nullptr) continue;
    for (int dx = 0; dx < 3; ++dx) {
      const int x = x0 + dx - 1;
      if (Border && (x < 0 || x >= r.width)) continue;
      multiply_add<P, J>(acc, row + x * cin, r.weights + (dy * 3 + dx) * cin * cout + oc0, cin,
                         cout);
    }
  }
  store_tile<P, J>(acc, r.out + x0 * cout + oc0, cout);
}

// One block of J * 16 output channels across the row: the two edge pixels on the bounds-checked
// path, the inside in tiles of P pixels (24 accumulators), then single pixels.
template <int J>
void row_block(const RowJob& r, int oc0) {
  constexpr int P = J == 4 ? 6 : 8;
  tile<1, J, true>(r, 0, oc0);
  if (r.width == 1) return;
  int x = 1;
  for (; x + P <= r.width - 1; x += P) tile<P, J, false>(r, x, oc0);
  for (; x < r.width - 1; ++x) tile<1, J, false>(r, x, oc0);
  tile<1, J, true>(r, r.width - 1, oc0);
}

void conv_row(const RowJob& r) {
  for (int oc0 = 0; oc0 < r.cout;) {
    const int vectors = std::min(4, (r.cout - oc0) / kLanes);
    switch (vectors) {
      case 4:
        row_block<4>(r, oc0);
        break;
      case 3:
        row_block<3>(r, oc0);
        break;
      case 2:
        row_block<2>(r, oc0);
        break;
      default:
        row_block<1>(r, oc0);
        break;
    }
    oc0 += vectors * kLanes;
  }
}

// ---- Winograd F(2x2, 3x3) ------------------------------------------------------------------
// Lavin & Gray: a 2x2 output tile from a 4x4 input tile, Y = A^T [(G g G^T) . (B^T d B)] A,
// 16 products per input-output channel pair instead of 36: the channel sums become 16 small
// matrix products (tiles x Cin by Cin x Cout), 2.25x fewer multiply-adds than the direct loop.
// The transforms' coefficients are 0, +-1 and 1/2, so the rounding is that of a few more adds.

constexpr int kTileChunk = 32;  // tiles whose transforms share one scratch (~100 KB, in L2)

// V = B^T d B for one 4x4 input tile, 16 input channels at a time; d[i][j] is the pixel at
// row i, column j of the tile (zero outside the image).
__attribute__((target("avx512f"))) inline void input_transform(const __m512 d[4][4], __m512 v[16]) {
  __m512 t[4][4];
  for (int j = 0; j < 4; ++j) {
    t[0][j] = _mm512_sub_ps(d[0][j], d[2][j]);
    t[1][j] = _mm512_add_ps(d[1][j], d[2][j]);
    t[2][j] = _mm512_sub_ps(d[2][j], d[1][j]);
    t[3][j] = _mm512_sub_ps(d[1][j], d[3][j]);
  }
  for (int i = 0; i < 4; ++i) {
    v[i * 4 + 0] = _mm512_sub_ps(t[i][0], t[i][2]);
    v[i * 4 + 1] = _mm512_add_ps(t[i][1], t[i][2]);
    v[i * 4 + 2] = _mm512_sub_ps(t[i][2], t[i][1]);
    v[i * 4 + 3] = _mm512_sub_ps(t[i][1], t[i][3]);
  }
}

// Y = A^T m A: the 2x2 outputs of one tile from its 16 products.
__attribute__((target("avx512f"))) inline void output_transform(const __m512 m[16],
                                                                __m512 y[2][2]) {
  __m512 r[2][4];
  for (int j = 0; j < 4; ++j) {
    r[0][j] = _mm512_add_ps(_mm512_add_ps(m[0 * 4 + j], m[1 * 4 + j]), m[2 * 4 + j]);
    r[1][j] = _mm512_sub_ps(_mm512_sub_ps(m[1 * 4 + j], m[2 * 4 + j]), m[3 * 4 + j]);
  }
  for (int i = 0; i < 2; ++i) {
    y[i][0] = _mm512_add_ps(_mm512_add_ps(r[i][0], r[i][1]), r[i][2]);
    y[i][1] = _mm512_sub_ps(_mm512_sub_ps(r[i][1], r[i][2]), r[i][3]);
  }
}

// U = G g G^T for every (input, output) channel pair, as [16][cin][cout].
std::vector<float> transformed_weights(const torch::Tensor& weight) {
  const int64_t cout = weight.size(0), cin = weight.size(1);
  const torch::Tensor w = weight.to(torch::kDouble).contiguous();
  const double* g = w.data_ptr<double>();
  static constexpr double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  std::vector<float> u(16 * cin * cout);
  for (int64_t o = 0; o < cout; ++o)
    for (int64_t i = 0; i < cin; ++i) {
      const double* k = g + (o * cin + i) * 9;
      double gk[4][3];  // G g
      for (int a = 0; a < 4; ++a)
        for (int c = 0; c < 3; ++c)
          gk[a][c] = G[a][0] * k[0 * 3 + c] + G[a][1] * k[1 * 3 + c] + G[a][2] * k[2 * 3 + c];
      for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 4; ++b)
          u[((a * 4 + b) * cin + i) * cout + o] =
              static_cast<float>(gk[a][0] * G[b][0] + gk[a][1] * G[b][1] + gk[a][2] * G[b][2]);
    }
  return u;
}

// M[xi][t][oc] = sum over ic of V[xi][t][ic] * U[xi][ic][oc] for P tiles from t0 and J * 16
// output channels from oc0: the direct kernel's register tile with a 16-times shorter sum.
template <int P, int J>
__attribute__((target("avx512f"))) void product_tile(const float* v, const float* u, float* m,
                                                     int t0, int oc0, int cin, int cout) {
  __m512 acc[P][J];
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 4
    for (int j = 0; j < J; ++j) acc[p][j] = _mm512_setzero_ps();
  multiply_add<P, J>(acc, v + static_cast<ptrdiff_t>(t0) * cin, u + oc0, cin, cout);
  store_tile<P, J>(acc, m + static_cast<ptrdiff_t>(t0) * cout + oc0, cout);
}

template <int J>
void products(const float* v, const float* u, float* m, int tiles, int oc0, int cin, int cout) {
  constexpr int P = J == 4 ? 6 : 8;
  int t = 0;
  for (; t + P <= tiles; t += P) product_tile<P, J>(v, u, m, t, oc0, cin, cout);
  for (; t < tiles; ++t) product_tile<1, J>(v, u, m, t, oc0, cin, cout);
}

struct WinogradJob {
  const float* in;  // one image, channels-last
  float* out;
  int height, width, cin, cout;
  const float* u;  // [16][cin][cout]
  const float* bias;
};

// Output rows 2 * ty and 2 * ty + 1, tiles [tx0, tx0 + tiles); v and m: scratch for the chunk.
__attribute__((target("avx512f"))) void winograd_chunk(const WinogradJob& job, int ty, int tx0,
                                                       int tiles, float* v, float* m) {
  const int cin = job.cin, cout = job.cout, h = job.height, w = job.width;
  const ptrdiff_t chunk_in = static_cast<ptrdiff_t>(tiles) * cin;
  const __m512 zero = _mm512_setzero_ps();
  for (int t = 0; t < tiles; ++t) {
    const int x0 = 2 * (tx0 + t) - 1, y0 = 2 * ty - 1;
    for (int c = 0; c < cin; c += kLanes) {
      __m512 d[4][4], tv[16];
      for (int i = 0; i < 4; ++i) {
        const int y = y0 + i;
        for (int j = 0; j < 4; ++j) {
          const int x = x0 + j;
          d[i][j] = y < 0 || y >= h || x < 0 || x >= w
                        ? zero
                        : _mm512_loadu_ps(job.in + (static_cast<ptrdiff_t>(y) * w + x) * cin + c);
        }
      }
      input_transform(d, tv);
      for (int xi = 0; xi < 16; ++xi)
        _mm512_storeu_ps(v + xi * chunk_in + static_cast<ptrdiff_t>(t) * cin + c, tv[xi]);
    }
  }
  const ptrdiff_t chunk_out = static_cast<ptrdiff_t>(tiles) * cout;
  for (int xi = 0; xi < 16; ++xi) {
    const float* vx = v + xi * chunk_in;
    const float* ux = job.u + static_cast<ptrdiff_t>(xi) * cin * cout;
    float* mx = m + xi * chunk_out;
    for (int oc0 = 0; oc0 < cout;) {
      const int vectors = std::min(4, (cout - oc0) / kLanes);
      switch (vectors) {
        case 4:
          products<4>(vx, ux, mx, tiles, oc0, cin, cout);
          break;
        case 3:
          products<3>(vx, ux, mx, tiles, oc0, cin, cout);
          break;
        case 2:
          products<2>(vx, ux, mx, tiles, oc0, cin, cout);
          break;
        default:
          products<1>(vx, ux, mx, tiles, oc0, cin, cout);
          break;
      }
      oc0 += vectors * kLanes;
    }
  }
  for (int t = 0; t < tiles; ++t) {
    const int x0 = 2 * (tx0 + t), y0 = 2 * ty;
    for (int c = 0; c < cout; c += kLanes) {
      __m512 mv[16], y[2][2];
      for (int xi = 0; xi < 16; ++xi)
        mv[xi] = _mm512_loadu_ps(m + xi * chunk_out + static_cast<ptrdiff_t>(t) * cout + c);
      output_transform(mv, y);
      const __m512 b = _mm512_loadu_ps(job.bias + c);
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j)
          if (y0 + i < h && x0 + j < w)
            _mm512_storeu_ps(job.out + (static_cast<ptrdiff_t>(y0 + i) * w + x0 + j) * cout + c,
                             _mm512_add_ps(y[i][j], b));
    }
  }
}

void winograd_image(const WinogradJob& job) {
  const int tile_rows = (job.height + 1) / 2, tile_cols = (job.width + 1) / 2;
  at::parallel_for(0, tile_rows, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> v(static_cast<size_t>(16) * kTileChunk * job.cin);
    std::vector<float> m(static_cast<size_t>(16) * kTileChunk * job.cout);
    for (int64_t ty = begin; ty < end; ++ty)
      for (int tx = 0; tx < tile_cols; tx += kTileChunk)
        winograd_chunk(job, static_cast<int>(ty), tx, std::min(kTileChunk, tile_cols - tx),
                       v.data(), m.data());
  });
}

bool cpu_has_avx512f() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

}  // namespace

bool can_conv3x3_nhwc(const torch::Tensor& x, const torch::Tensor& weight,
                      const torch::Tensor& bias) {
  if (!cpu_has_avx512f() || torch::GradMode::is_enabled()) return false;
  if (!x.defined() || !weight.defined() || !bias.defined()) return false;
  // Parameters keep requires_grad under NoGradGuard; with grad mode off no graph is recorded.
  for (const auto* t : {&x, &weight, &bias})
    if (!t->device().is_cpu() || t->scalar_type() != torch::kFloat) return false;
  if (x.dim() != 4 || !x.is_contiguous(torch::MemoryFormat::ChannelsLast)) return false;
  if (weight.dim() != 4 || weight.size(1) != x.size(1) || weight.size(2) != 3 ||
      weight.size(3) != 3)
    return false;
  const int64_t cout = weight.size(0);
  return cout % kLanes == 0 && cout <= 1024 && bias.numel() == cout && x.size(2) * x.size(3) > 0 &&
         x.size(1) > 0;
}

torch::Tensor conv3x3_nhwc(const torch::Tensor& x, const torch::Tensor& weight,
                           const torch::Tensor& bias, Conv3x3Algorithm algorithm) {
  const int64_t n = x.size(0), cin = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t cout = weight.size(0);
  // [kh][kw][cin][cout]: the output channels of one tap and input channel are contiguous.
  const torch::Tensor packed = weight.permute({2, 3, 1, 0}).contiguous();
  const torch::Tensor b = bias.contiguous();
  torch::Tensor out =
      torch::empty({n, cout, h, w}, x.options().memory_format(torch::MemoryFormat::ChannelsLast));
  const float* in = x.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  if (algorithm == Conv3x3Algorithm::kAuto && cin % kLanes == 0) {
    const std::vector<float> u = transformed_weights(weight);
    for (int64_t image = 0; image < n; ++image)
      winograd_image({in + image * h * w * cin, dst + image * h * w * cout, static_cast<int>(h),
                      static_cast<int>(w), static_cast<int>(cin), static_cast<int>(cout), u.data(),
                      b.data_ptr<float>()});
    return out;
  }
  const ptrdiff_t in_row = w * cin, out_row = w * cout;
  at::parallel_for(0, n * h, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t image = i / h, y = i % h;
      RowJob r{};
      for (int dy = 0; dy < 3; ++dy) {
        const int64_t yy = y + dy - 1;
        r.rows[dy] = yy < 0 || yy >= h ? nullptr : in + (image * h + yy) * in_row;
      }
      r.width = static_cast<int>(w), r.cin = static_cast<int>(cin), r.cout = static_cast<int>(cout);
      r.weights = packed.data_ptr<float>(), r.bias = b.data_ptr<float>();
      r.out = dst + i * out_row;
      conv_row(r);
    }
  });
  return out;
}

#else  // the kernels are AVX-512: elsewhere every convolution stays with torch

bool can_conv3x3_nhwc(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&) {
  return false;
}

torch::Tensor conv3x3_nhwc(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                           Conv3x3Algorithm) {
  throw std::logic_error("conv3x3_nhwc: built without x86-64 kernels");
}

#endif  // __x86_64__

}  // namespace pf::models

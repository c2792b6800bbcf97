// x86-64 only: conv3x3_nhwc.cpp calls it behind its AVX-512F check.
#if defined(__x86_64__)
#include "models/conv3x3_winograd.h"

#include <ATen/Parallel.h>

#include <vector>

#include "models/conv3x3_tile.h"

namespace pf::models::conv3x3 {

namespace {

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
    for_each_channel_block(cout, [&](auto j, int oc0) {
      products<decltype(j)::value>(vx, ux, mx, tiles, oc0, cin, cout);
    });
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

}  // namespace

void winograd(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
              torch::Tensor& out) {
  const int64_t n = x.size(0), cin = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t cout = weight.size(0);
  const std::vector<float> u = transformed_weights(weight);
  const torch::Tensor b = bias.contiguous();
  for (int64_t image = 0; image < n; ++image)
    winograd_image({x.data_ptr<float>() + image * h * w * cin,
                    out.data_ptr<float>() + image * h * w * cout, static_cast<int>(h),
                    static_cast<int>(w), static_cast<int>(cin), static_cast<int>(cout), u.data(),
                    b.data_ptr<float>()});
}

}  // namespace pf::models::conv3x3
#endif  // __x86_64__

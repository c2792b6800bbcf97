#include "models/conv3x3_winograd.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

namespace pf::models::conv3x3 {

namespace {

constexpr int kTileChunk = 32;  // tiles whose transforms share one scratch (~100 KB, in L2)

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

void winograd_image(const Kernels& kernels, const WinogradJob& job) {
  const int tile_rows = (job.height + 1) / 2, tile_cols = (job.width + 1) / 2;
  at::parallel_for(0, tile_rows, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> v(static_cast<size_t>(16) * kTileChunk * job.cin);
    std::vector<float> m(static_cast<size_t>(16) * kTileChunk * job.cout);
    for (int64_t ty = begin; ty < end; ++ty)
      for (int tx = 0; tx < tile_cols; tx += kTileChunk)
        kernels.winograd_chunk(job, static_cast<int>(ty), tx, std::min(kTileChunk, tile_cols - tx),
                               v.data(), m.data());
  });
}

}  // namespace

void winograd(const Kernels& kernels, const torch::Tensor& x, const torch::Tensor& weight,
              const torch::Tensor& bias, torch::Tensor& out) {
  const int64_t n = x.size(0), cin = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t cout = weight.size(0);
  const std::vector<float> u = transformed_weights(weight);
  const torch::Tensor b = bias.contiguous();
  for (int64_t image = 0; image < n; ++image)
    winograd_image(kernels, {x.data_ptr<float>() + image * h * w * cin,
                             out.data_ptr<float>() + image * h * w * cout, static_cast<int>(h),
                             static_cast<int>(w), static_cast<int>(cin), static_cast<int>(cout),
                             u.data(), b.data_ptr<float>()});
}

}  // namespace pf::models::conv3x3

#include "models/conv3x3_nhwc.h"

#include <stdexcept>

#if defined(__x86_64__)
#include <ATen/Parallel.h>

#include <cstddef>

#include "models/conv3x3_tile.h"
#include "models/conv3x3_winograd.h"
#endif

namespace pf::models {

#if defined(__x86_64__)

namespace {

using conv3x3::for_each_channel_block;
using conv3x3::kLanes;
using conv3x3::multiply_add;
using conv3x3::store_tile;

// What one output row needs: the three input rows around it (null outside the image), the
// weights as [tap][input channel][output channel], the bias.
struct RowJob {
  const float* rows[3];
  int width, cin, cout;
  const float* weights;
  const float* bias;
  float* out;  // the output row, channels-last
};

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
  for_each_channel_block(r.cout, [&](auto j, int oc0) { row_block<decltype(j)::value>(r, oc0); });
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
    conv3x3::winograd(x, weight, bias, out);
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

#include "models/conv3x3_nhwc.h"

#include <ATen/Parallel.h>

#include "models/conv3x3_kernels.h"
#include "models/conv3x3_winograd.h"

namespace pf::models {

namespace conv3x3 {

const Kernels* best_kernels() {
  static const Kernels* best = avx512_kernels() ? avx512_kernels() : avx2_kernels();
  return best;
}

}  // namespace conv3x3

bool can_conv3x3_nhwc(const torch::Tensor& x, const torch::Tensor& weight,
                      const torch::Tensor& bias) {
  if (conv3x3::best_kernels() == nullptr || torch::GradMode::is_enabled()) return false;
  if (!x.defined() || !weight.defined() || !bias.defined()) return false;
  // Parameters keep requires_grad under NoGradGuard; with grad mode off no graph is recorded.
  for (const auto* t : {&x, &weight, &bias})
    if (!t->device().is_cpu() || t->scalar_type() != torch::kFloat) return false;
  if (x.dim() != 4 || !x.is_contiguous(torch::MemoryFormat::ChannelsLast)) return false;
  if (weight.dim() != 4 || weight.size(1) != x.size(1) || weight.size(2) != 3 ||
      weight.size(3) != 3)
    return false;
  const int64_t cout = weight.size(0);
  return cout % 16 == 0 && cout <= 1024 && bias.numel() == cout && x.size(2) * x.size(3) > 0 &&
         x.size(1) > 0;
}

torch::Tensor conv3x3_nhwc(const torch::Tensor& x, const torch::Tensor& weight,
                           const torch::Tensor& bias, Conv3x3Algorithm algorithm,
                           const conv3x3::Kernels* chosen) {
  const int64_t n = x.size(0), cin = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t cout = weight.size(0);
  // [kh][kw][cin][cout]: the output channels of one tap and input channel are contiguous.
  const torch::Tensor packed = weight.permute({2, 3, 1, 0}).contiguous();
  const torch::Tensor b = bias.contiguous();
  torch::Tensor out =
      torch::empty({n, cout, h, w}, x.options().memory_format(torch::MemoryFormat::ChannelsLast));
  const float* in = x.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  const conv3x3::Kernels& kernels = chosen ? *chosen : *conv3x3::best_kernels();
  if (algorithm == Conv3x3Algorithm::kAuto && cin % 16 == 0) {
    conv3x3::winograd(kernels, x, weight, bias, out);
    return out;
  }
  const ptrdiff_t in_row = w * cin, out_row = w * cout;
  at::parallel_for(0, n * h, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t image = i / h, y = i % h;
      conv3x3::RowJob r{};
      for (int dy = 0; dy < 3; ++dy) {
        const int64_t yy = y + dy - 1;
        r.rows[dy] = yy < 0 || yy >= h ? nullptr : in + (image * h + yy) * in_row;
      }
      r.width = static_cast<int>(w), r.cin = static_cast<int>(cin), r.cout = static_cast<int>(cout);
      r.weights = packed.data_ptr<float>(), r.bias = b.data_ptr<float>();
      r.out = dst + i * out_row;
      kernels.conv_row(r);
    }
  });
  return out;
}

}  // namespace pf::models

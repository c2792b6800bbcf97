#include "models/prelu_in_place.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <vector>

namespace pf::models {

namespace {
// One pixel's channels. The product is computed unconditionally so the compiler may turn the
// choice into a blend (it will not speculate a multiply that could trap), and __restrict says
// the slopes never alias the data: together they let this loop vectorise.
inline void scale_negatives(float* __restrict px, const float* __restrict slope, int64_t n) {
  for (int64_t c = 0; c < n; ++c) {
    const float v = px[c], scaled = slope[c] * v;
    px[c] = v > 0.f ? v : scaled;
  }
}
}  // namespace

bool can_prelu_in_place(const torch::Tensor& x, const torch::Tensor& weight) {
  if (!x.defined() || x.dim() != 4 || !x.device().is_cpu() || x.scalar_type() != torch::kFloat ||
      x.requires_grad() || torch::GradMode::is_enabled())
    return false;
  if (!x.is_contiguous() && !x.is_contiguous(torch::MemoryFormat::ChannelsLast)) return false;
  const int64_t n = weight.numel();
  return weight.scalar_type() == torch::kFloat && weight.device().is_cpu() &&
         (n == 1 || n == x.size(1));
}

void prelu_in_place(torch::Tensor& x, const torch::Tensor& weight) {
  const int64_t channels = x.size(1);
  const auto w = weight.contiguous().expand({channels}).contiguous();
  const float* slope = w.data_ptr<float>();
  float* data = x.data_ptr<float>();
  if (x.is_contiguous(torch::MemoryFormat::ChannelsLast) && !x.is_contiguous()) {
    // N*H*W pixels of C interleaved channels: the inner loop over C vectorises.
    const int64_t pixels = x.numel() / channels;
    at::parallel_for(0, pixels, 1024, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) scale_negatives(data + p * channels, slope, channels);
    });
    return;
  }
  // NCHW: one slope per contiguous plane.
  const int64_t plane = x.size(2) * x.size(3), planes = x.size(0) * channels;
  at::parallel_for(0, planes, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float a = slope[i % channels];
      float* __restrict pl = data + i * plane;
      for (int64_t k = 0; k < plane; ++k) {
        const float v = pl[k], scaled = a * v;
        pl[k] = v > 0.f ? v : scaled;
      }
    }
  });
}

}  // namespace pf::models

#include "train/losses/image_ops.h"

#include <torch/nn/functional.h>

#include <cmath>
#include <vector>

namespace pf::train {

namespace F = torch::nn::functional;

torch::Tensor gaussian_blur(const torch::Tensor& x, int64_t kernel_size, double sigma) {
  const int64_t half = kernel_size / 2;
  std::vector<double> taps(static_cast<size_t>(kernel_size));
  double sum = 0;
  for (int64_t i = 0; i < kernel_size; ++i) {
    // torchvision: linspace(-half, half, size), pdf exp(-0.5 (x / sigma)^2), normalised.
    const double t = static_cast<double>(i - half) / sigma;
    taps[static_cast<size_t>(i)] = std::exp(-0.5 * t * t);
    sum += taps[static_cast<size_t>(i)];
  }
  for (auto& t : taps) t /= sum;
  const int64_t c = x.size(1);
  auto k1 = torch::tensor(taps, torch::kFloat64).to(x.options());
  auto kx = k1.view({1, 1, 1, kernel_size}).expand({c, 1, 1, kernel_size}).contiguous();
  auto ky = k1.view({1, 1, kernel_size, 1}).expand({c, 1, kernel_size, 1}).contiguous();
  auto padded = F::pad(x, F::PadFuncOptions({half, half, half, half}).mode(torch::kReflect));
  auto h = F::conv2d(padded, kx, F::Conv2dFuncOptions().groups(c));
  return F::conv2d(h, ky, F::Conv2dFuncOptions().groups(c));
}

torch::Tensor fspecial_gaussian(int64_t size, double sigma, int64_t channels,
                                const torch::TensorOptions& options) {
  const double m = (static_cast<double>(size) - 1) / 2;
  auto r = torch::arange(size, torch::kFloat64) - m;
  auto h = torch::exp(-(r.view({-1, 1}).pow(2) + r.view({1, -1}).pow(2)) / (2 * sigma * sigma));
  // fspecial zeroes taps below eps * max before normalising.
  h.masked_fill_(h < std::numeric_limits<double>::epsilon() * h.max().item<double>(), 0);
  h = h / h.sum();
  return h.to(torch::kFloat32).to(options).view({1, 1, size, size}).repeat({channels, 1, 1, 1});
}

torch::Tensor rgb_to_luma(const torch::Tensor& rgb) {
  return 0.299 * rgb.slice(1, 0, 1) + 0.587 * rgb.slice(1, 1, 2) + 0.114 * rgb.slice(1, 2, 3);
}

torch::Tensor srgb_to_linear(const torch::Tensor& x) {
  return torch::where(x <= 0.04045, x / 12.92, torch::pow((x + 0.055) / 1.055, 2.4));
}

torch::Tensor resize_bicubic_aa(const torch::Tensor& x, int64_t height, int64_t width) {
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{height, width})
                               .mode(torch::kBicubic)
                               .align_corners(false)
                               .antialias(true));
}

}  // namespace pf::train

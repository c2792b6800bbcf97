#include "train/metrics.h"

#include <torch/nn/functional.h>

#include <cmath>
#include <limits>

#include "core/error.h"

namespace pf::train {

namespace {

namespace F = torch::nn::functional;

// 8-bit values as float64 (rounded half to even, as basicsr's tensor2img and OpenCV's
// convertTo), cropped, RGB or Y.
torch::Tensor prepare(const torch::Tensor& img, int64_t crop, bool y) {
  auto t = img.detach().to(torch::kCPU, torch::kFloat64).clamp(0, 1).mul(255).round();
  if (crop > 0) t = t.slice(1, crop, t.size(1) - crop).slice(2, crop, t.size(2) - crop);
  if (t.size(1) < 1 || t.size(2) < 1) throw Error("metrics: crop_border leaves no pixel");
  if (y) t = ((65.481 * t[0] + 128.553 * t[1] + 24.966 * t[2]) / 255.0 + 16.0).unsqueeze(0);
  return t;
}

}  // namespace

double psnr(const torch::Tensor& a, const torch::Tensor& b, int64_t crop, bool y) {
  const auto x = prepare(a, crop, y), z = prepare(b, crop, y);
  if (x.sizes() != z.sizes()) throw Error("psnr: images of different sizes");
  const double mse = (x - z).pow(2).mean().item<double>();
  if (mse == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

double ssim(const torch::Tensor& a, const torch::Tensor& b, int64_t crop, bool y) {
  const auto x = prepare(a, crop, y).unsqueeze(1), z = prepare(b, crop, y).unsqueeze(1);
  if (x.sizes() != z.sizes()) throw Error("ssim: images of different sizes");
  // cv2.getGaussianKernel(11, 1.5) outer itself, as basicsr's _ssim.
  auto r = torch::arange(11, torch::kFloat64) - 5.0;
  auto g = torch::exp(-r.pow(2) / (2 * 1.5 * 1.5));
  g = g / g.sum();
  const auto win = torch::outer(g, g).view({1, 1, 11, 11});
  const double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
  const auto mu1 = F::conv2d(x, win), mu2 = F::conv2d(z, win);
  const auto mu1_sq = mu1.pow(2), mu2_sq = mu2.pow(2), mu12 = mu1 * mu2;
  const auto s1 = F::conv2d(x * x, win) - mu1_sq;
  const auto s2 = F::conv2d(z * z, win) - mu2_sq;
  const auto s12 = F::conv2d(x * z, win) - mu12;
  const auto map = ((2 * mu12 + c1) * (2 * s12 + c2)) / ((mu1_sq + mu2_sq + c1) * (s1 + s2 + c2));
  return map.mean({1, 2, 3}).mean().item<double>();
}

}  // namespace pf::train

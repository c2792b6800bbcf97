#include "train/metrics.h"

#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"

namespace pf::train {

namespace {

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

namespace {

// Separable 11-tap Gaussian (sigma 1.5, cv2.getGaussianKernel's taps) over one plane, keeping the
// 'valid' part: direct loops in double, as the 2-D conv through im2col needs gigabytes at 1080p.
std::vector<double> blur_valid(const double* src, int64_t h, int64_t w) {
  double g[11], sum = 0;
  for (int i = 0; i < 11; ++i) sum += g[i] = std::exp(-(i - 5.0) * (i - 5.0) / (2 * 1.5 * 1.5));
  for (double& v : g) v /= sum;
  const int64_t ow = w - 10, oh = h - 10;
  std::vector<double> rows(static_cast<size_t>(h * ow)), out(static_cast<size_t>(oh * ow));
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < ow; ++x) {
      double acc = 0;
      for (int k = 0; k < 11; ++k) acc += g[k] * src[y * w + x + k];
      rows[static_cast<size_t>(y * ow + x)] = acc;
    }
  for (int64_t y = 0; y < oh; ++y)
    for (int64_t x = 0; x < ow; ++x) {
      double acc = 0;
      for (int k = 0; k < 11; ++k) acc += g[k] * rows[static_cast<size_t>((y + k) * ow + x)];
      out[static_cast<size_t>(y * ow + x)] = acc;
    }
  return out;
}

}  // namespace

double ssim(const torch::Tensor& a, const torch::Tensor& b, int64_t crop, bool y) {
  const auto x = prepare(a, crop, y).contiguous(), z = prepare(b, crop, y).contiguous();
  if (x.sizes() != z.sizes()) throw Error("ssim: images of different sizes");
  const int64_t c = x.size(0), h = x.size(1), w = x.size(2);
  if (h <= 10 || w <= 10) throw Error("ssim: images must be larger than 10x10 after the crop");
  const double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
  double total = 0;
  for (int64_t ch = 0; ch < c; ++ch) {
    const auto p = x[ch], q = z[ch];
    const auto blur = [&](const torch::Tensor& t) {
      const auto tc = t.contiguous();
      return blur_valid(tc.data_ptr<double>(), h, w);
    };
    const auto mu1 = blur(p), mu2 = blur(q), pp = blur(p * p), qq = blur(q * q), pq = blur(p * q);
    double sum = 0;
    for (size_t i = 0; i < mu1.size(); ++i) {
      const double m1 = mu1[i], m2 = mu2[i];
      const double s1 = pp[i] - m1 * m1, s2 = qq[i] - m2 * m2, s12 = pq[i] - m1 * m2;
      sum += ((2 * m1 * m2 + c1) * (2 * s12 + c2)) / ((m1 * m1 + m2 * m2 + c1) * (s1 + s2 + c2));
    }
    total += sum / static_cast<double>(mu1.size());
  }
  return total / static_cast<double>(c);
}

}  // namespace pf::train

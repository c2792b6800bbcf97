// hsluvloss: distances in HSLuv (hue as the shorter way round the circle, saturation weighted
// towards mid lightness, lightness), traiNNer-redux's HSLuvLoss on its float32 port of
// hsluv-python. Parts: hue, saturation, lightness (each already weighted by its *_weight).
#include <torch/nn/functional.h>

#include <cmath>

#include "train/losses/image_ops.h"
#include "train/losses/registry.h"

namespace pf::train {

namespace {

constexpr double kM[3][3] = {{3.240969941904521, -1.537383177570093, -0.498610760293},
                             {-0.96924363628087, 1.87596750150772, 0.041555057407175},
                             {0.055630079696993, -0.20397695888897, 1.056971514242878}};
constexpr double kMInv[3][3] = {{0.41239079926595, 0.35758433938387, 0.18048078840183},
                                {0.21263900587151, 0.71516867876775, 0.072192315360733},
                                {0.019330818715591, 0.11919477979462, 0.95053215224966}};
constexpr double kRefU = 0.19783000664283, kRefV = 0.46831999493879;
constexpr double kKappa = 903.2962962, kEpsilon = 0.0088564516;

// sign(d) * max(|d|, 1e-3), and 1e-3 where d is exactly 0.
torch::Tensor safe(const torch::Tensor& d) {
  return torch::where(d == 0, torch::full_like(d, 1e-3), torch::sign(d) * d.abs().clamp_min(1e-3));
}

// The largest chroma of an in-gamut colour with this lightness and hue.
torch::Tensor max_chroma(const torch::Tensor& l, const torch::Tensor& h) {
  const auto theta = h * (M_PI / 180.0);
  const auto sub1 = (l + 16).pow(3) / 1560896.0;
  const auto sub2 = torch::where(sub1 > kEpsilon, sub1, l / kKappa);
  const auto s = torch::sin(theta), c = torch::cos(theta);
  std::vector<torch::Tensor> lengths;
  for (const auto& m : kM) {
    for (int t = 0; t < 2; ++t) {
      const auto top1 = (284517 * m[0] - 94839 * m[2]) * sub2;
      const auto top2 =
          (838422 * m[2] + 769860 * m[1] + 731718 * m[0]) * l * sub2 - 769860.0 * t * l;
      const auto bottom = safe((632260 * m[2] - 126452 * m[1]) * sub2 + 126452.0 * t);
      const auto slope = top1 / bottom, intercept = top2 / bottom;
      lengths.push_back(intercept / safe(s - slope * c));
    }
  }
  const auto all = torch::stack(lengths);
  return torch::where(all >= 0, all, all.max()).amin(0);
}

// N x 3 x H x W RGB -> hue [0, 360), saturation [0, 100], lightness [0, 100], each N x H x W.
std::array<torch::Tensor, 3> rgb_to_hsluv(const torch::Tensor& rgb) {
  const auto lin = srgb_to_linear(rgb.permute({0, 2, 3, 1}).clamp(1e-12, 1));
  const auto m = torch::tensor({kMInv[0][0], kMInv[0][1], kMInv[0][2], kMInv[1][0], kMInv[1][1],
                                kMInv[1][2], kMInv[2][0], kMInv[2][1], kMInv[2][2]},
                               lin.options())
                     .view({3, 3});
  const auto xyz = torch::matmul(lin, m.t());
  const auto x = xyz.select(-1, 0), y = xyz.select(-1, 1), z = xyz.select(-1, 2);
  const auto l = torch::where(y > kEpsilon, 116 * torch::pow(y, 1.0 / 3) - 16, y * kKappa);
  const auto div = (x + 15 * y + 3 * z).clamp_min(1e-6);
  auto u = 13 * l * (4 * x / div - kRefU), v = 13 * l * (9 * y / div - kRefV);
  u = torch::where(l < 1e-4, torch::zeros_like(u), u);
  v = torch::where(l < 1e-4, torch::zeros_like(v), v);
  const auto nudge = [](const torch::Tensor& t) {  // 0 -> +-1e-12, keeping atan2 defined
    return torch::where(t == 0, torch::where(t >= 0, 1e-12, -1e-12) * torch::ones_like(t), t);
  };
  const auto uu = nudge(u), vv = nudge(v);
  const auto chroma = torch::sqrt(uu.pow(2) + vv.pow(2));
  auto hue = torch::atan2(vv, uu) * (180.0 / M_PI);
  hue = torch::where(hue < 0, hue + 360, hue);
  hue = torch::where(chroma < 0.028972067, torch::zeros_like(hue), hue);  // greys have no hue
  auto sat = chroma / max_chroma(l, hue).clamp_min(1e-2) * 100;
  sat = torch::where((l > 99.99) | (l < 0.01), torch::zeros_like(sat), sat);
  return {hue, sat.clamp(0, 100), l.clamp(0, 100)};
}

struct HsluvArgs {
  double hue_weight = 1.0 / 3, saturation_weight = 1.0 / 3, lightness_weight = 1.0 / 3;
  std::string criterion;
  int64_t downscale_factor = 1, blur_strength = 0;
};

class HsluvLoss final : public Loss {
 public:
  explicit HsluvLoss(HsluvArgs a) : a_(std::move(a)) {}

  torch::Tensor distance(const torch::Tensor& a, const torch::Tensor& b) const {
    const auto d = a - b;
    if (a_.criterion == "l2") return d.pow(2);
    if (a_.criterion == "charbonnier") return torch::sqrt(d.pow(2) + 1e-12);
    return d.abs();
  }

  std::array<torch::Tensor, 3> once(torch::Tensor x) const {
    if (a_.downscale_factor > 1)
      x = resize_bicubic_aa(x,
                            static_cast<int64_t>(
                                std::floor(static_cast<double>(x.size(2)) / a_.downscale_factor)),
                            static_cast<int64_t>(
                                std::floor(static_cast<double>(x.size(3)) / a_.downscale_factor)))
              .clamp(0, 1);
    auto hsl = rgb_to_hsluv(x);
    return {hsl[0] / 360, hsl[1] / 100, hsl[2] / 100};
  }

  LossParts forward(const torch::Tensor& out, const torch::Tensor& target) override {
    auto x = out.to(torch::kFloat32), y = target.to(torch::kFloat32);
    if (a_.blur_strength > 0) {
      x = gaussian_blur(x, 4 * a_.blur_strength + 1, static_cast<double>(a_.blur_strength));
      y = gaussian_blur(y, 4 * a_.blur_strength + 1, static_cast<double>(a_.blur_strength));
    }
    const auto [xh, xs, xl] = once(x);
    const auto [yh, ys, yl] = once(y);
    const double eps = 0.1;
    const auto zero = torch::zeros_like(xh);
    const auto dh = (xh - yh).abs();
    auto hue = torch::min(dh, 1 - dh) * 2;
    hue = torch::where((xs < eps) & (ys < eps), zero, hue);
    hue = torch::where(((xs < eps) & (ys > eps)) | ((xs > eps) & (ys < eps)), torch::max(xs, ys),
                       hue);
    hue = torch::where((xl < eps) & (yl < eps), zero, hue);
    hue = torch::where((xl > 1 - eps) & (yl > 1 - eps), zero, hue);
    const auto wx = torch::min(xl, 1 - xl).clamp(0, 0.5), wy = torch::min(yl, 1 - yl).clamp(0, 0.5);
    return {{"hue", hue.mean() * a_.hue_weight},
            {"saturation", (distance(xs, ys) * (wx + wy)).mean() * a_.saturation_weight},
            {"lightness", distance(xl, yl).mean() * a_.lightness_weight}};
  }

 private:
  HsluvArgs a_;
};

OptionTable<HsluvArgs> table() {
  using P = HsluvArgs;
  return {
      real<P>("hue_weight", &P::hue_weight, 1.0 / 3, 0, kInf, "weight of the hue part"),
      real<P>("saturation_weight", &P::saturation_weight, 1.0 / 3, 0, kInf,
              "weight of the saturation part"),
      real<P>("lightness_weight", &P::lightness_weight, 1.0 / 3, 0, kInf,
              "weight of the lightness part"),
      choice<P>("criterion", &P::criterion, "l1", {"l1", "l2", "charbonnier"},
                "distance of saturation and lightness"),
      integer<P>("downscale_factor", &P::downscale_factor, 1, 1, 64,
                 "compare bicubic-downscaled images"),
      integer<P>("blur_strength", &P::blur_strength, 0, 0, 64,
                 "Gaussian blur first (sigma = strength, size 4 x strength + 1)"),
  };
}

}  // namespace

LossInfo hsluv_loss_info() {
  return {
      "hsluvloss", loss_specs(table()),
      [](const YAML::Node& entry, const std::string& file, Warnings& w) {
        return std::make_unique<HsluvLoss>(read_loss_options(table(), entry, file, "hsluvloss", w));
      }};
}

}  // namespace pf::train

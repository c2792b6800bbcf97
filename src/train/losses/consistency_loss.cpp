// consistency_loss: neosr's colour and luma consistency loss. Lightness is CIE L* of the
// (blurred) images, chroma the Oklab a/b plane (offset by 0.5 and clamped to [0, 1]); both
// compared with a clipped pseudo-Huber ("chc") or L1, plus a cosine term once the loss is
// small. neosr blurs with a fixed GaussianBlur(21, 3); here the blur is configurable
// (blur_kernel, blur_sigma): 2xLiveActionV1_SPAN needed a stronger blur so that the colour term
// would not fight halo removal.
#include <torch/nn/functional.h>

#include <cmath>

#include "train/losses/image_ops.h"
#include "train/losses/registry.h"

namespace pf::train {

namespace {

namespace F = torch::nn::functional;

struct ConsistencyArgs {
  std::string criterion;
  bool blur = true, cosim = true;
  double saturation = 1, brightness = 1;
  int64_t blur_kernel = 21;
  double blur_sigma = 3;
};

torch::Tensor oklab_chroma(const torch::Tensor& rgb) {
  const auto img = srgb_to_linear(rgb);
  const auto r = img.select(1, 0), g = img.select(1, 1), b = img.select(1, 2);
  const auto l = 0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b;
  const auto m = 0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b;
  const auto s = 0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b;
  const auto cbrt = [](const torch::Tensor& t) { return t.sign() * t.abs().pow(1.0 / 3); };
  const auto l_ = cbrt(l), m_ = cbrt(m), s_ = cbrt(s);
  const auto a = 1.9779984951 * l_ - 2.4285922050 * m_ + 0.4505937099 * s_;
  const auto bb = 0.0259040371 * l_ + 0.7827717662 * m_ - 0.8086757660 * s_;
  return torch::stack({a, bb}, 1);
}

// CIE L* / 100 of the Rec.709 luminance, N x H x W. Below the toe neosr computes
// Y * (Y * 24389 / 27) (Y squared, not Y): kept as it is, it only touches Y < 0.0089.
torch::Tensor l_star(const torch::Tensor& rgb) {
  const auto img = srgb_to_linear(rgb.permute({0, 2, 3, 1}));
  const auto w = torch::tensor({0.2126, 0.7152, 0.0722}, img.options());
  const auto y = torch::matmul(img, w);
  const auto out = torch::where(y <= 216.0 / 24389, y * (y * (24389.0 / 27)),
                                y.sign() * y.abs().pow(1.0 / 3) * 116 - 16);
  return (out / 100).clamp(0, 1);
}

class ConsistencyLoss final : public Loss {
 public:
  explicit ConsistencyLoss(ConsistencyArgs a) : a_(std::move(a)) {}

  torch::Tensor criterion(const torch::Tensor& x, const torch::Tensor& y) const {
    if (a_.criterion == "l1") return (x - y).abs().mean();
    // neosr's chc_loss(loss_lambda=0, clip_min=0, clip_max=1), default criterion "huber".
    return torch::sqrt((x - y).pow(2) + 1e-12).clamp(0, 1).mean();
  }

  LossParts forward(const torch::Tensor& out, const torch::Tensor& target) override {
    const auto x = out.to(torch::kFloat32).clamp(1.0 / 255, 1);
    const auto y = target.to(torch::kFloat32).clamp(1.0 / 255, 1);
    torch::Tensor in_luma, gt_luma;
    if (a_.blur) {
      in_luma = l_star(gaussian_blur(x, a_.blur_kernel, a_.blur_sigma).clamp(0, 1));
      gt_luma = l_star(gaussian_blur(y, a_.blur_kernel, a_.blur_sigma).clamp(0, 1)) * a_.brightness;
    } else {
      in_luma = l_star(x);
      gt_luma = l_star(y) * a_.brightness;
    }
    const auto in_chroma = (oklab_chroma(x) + 0.5).clamp(0, 1);
    const auto gt_chroma = (oklab_chroma(y) * a_.saturation + 0.5).clamp(0, 1);
    auto loss = criterion(in_luma, gt_luma) + criterion(in_chroma, gt_chroma);
    if (a_.cosim) {
      const auto opts = F::CosineSimilarityFuncOptions().dim(1).eps(1e-20);
      const auto cos_chroma = 1 - F::cosine_similarity(in_chroma, gt_chroma, opts).mean();
      const auto cos_luma = 1 - F::cosine_similarity(in_luma, gt_luma, opts).mean();
      const auto cosim = 0.5 * cos_chroma + 0.5 * cos_luma;
      // neosr adds the cosine term only once it is small (large values destabilise training).
      if (cosim.item<double>() < 1e-3) loss = loss + cosim;
    }
    return {{"", loss}};
  }

 private:
  ConsistencyArgs a_;
};

OptionTable<ConsistencyArgs> table() {
  using P = ConsistencyArgs;
  return {
      choice<P>("criterion", &P::criterion, "chc", {"chc", "l1"},
                "chc: clipped pseudo-Huber (neosr's default); l1"),
      flag<P>("blur", &P::blur, true, "blur before the lightness term"),
      flag<P>("cosim", &P::cosim, true, "add the cosine-similarity term once it is below 1e-3"),
      real<P>("saturation", &P::saturation, 1, 0, 10, "multiplies the target's chroma"),
      real<P>("brightness", &P::brightness, 1, 0, 10, "multiplies the target's lightness"),
      integer<P>("blur_kernel", &P::blur_kernel, 21, 3, 255,
                 "pairforge: size of the Gaussian (odd; neosr: 21)"),
      real<P>("blur_sigma", &P::blur_sigma, 3, 0.1, 100, "pairforge: its sigma (neosr: 3)"),
  };
}

}  // namespace

LossInfo consistency_loss_info() {
  return {"consistency_loss", loss_specs(table()),
          [](const YAML::Node& entry, const std::string& file, Warnings& w) {
            auto a = read_loss_options(table(), entry, file, "consistency_loss", w);
            if (a.blur_kernel % 2 == 0)
              yaml_fail(file, entry["blur_kernel"], "blur_kernel must be odd");
            return std::make_unique<ConsistencyLoss>(a);
          }};
}

}  // namespace pf::train

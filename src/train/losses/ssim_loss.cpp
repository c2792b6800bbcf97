// ssimloss and mssimloss: 1 - SSIM and 1 - MS-SSIM, with traiNNer-redux's options
// (mssim_loss.py, after IQA-PyTorch): images clamped to [0, 1], optionally reduced to a luma
// channel (YIQ, YCbCr or LHM), an 11x11 sigma-1.5 Gaussian window ('valid' filtering, 'same'
// when the image is narrower than the window), negative contrast-structure terms zeroed.
// Note: traiNNer-redux's SSIMLoss returns SSIM itself, which as a loss would lower the
// similarity; pairforge minimises 1 - SSIM, as its MSSIMLoss and neosr's SSIM loss do.
#include <torch/nn/functional.h>

#include <cmath>

#include "train/losses/image_ops.h"
#include "train/losses/registry.h"

namespace pf::train {

namespace {

namespace F = torch::nn::functional;

struct SsimArgs {
  int64_t channels = 3;
  bool downsample = false, test_y_channel = true, is_prod = true, include_luminance = false;
  std::string color_space;
  double crop_border = 0;
};

torch::Tensor to_y(const torch::Tensor& x, const std::string& space) {
  const auto r = x.slice(1, 0, 1), g = x.slice(1, 1, 2), b = x.slice(1, 2, 3);
  if (space == "ycbcr") return (65.481 * r + 128.553 * g + 24.966 * b + 16) / 255.0;
  if (space == "lhm") return 0.2989 * r + 0.587 * g + 0.114 * b;
  return 0.299 * r + 0.587 * g + 0.114 * b;  // yiq
}

torch::Tensor preprocess(const torch::Tensor& x, const SsimArgs& a) {
  auto c = x.clamp(0, 1);
  if (a.test_y_channel && c.size(1) == 3) return to_y(c, a.color_space);
  return c;
}

// mssim_loss.py's filter2: grouped conv, 'valid', or zero-padded 'same'.
torch::Tensor filter2(const torch::Tensor& x, const torch::Tensor& win, bool same) {
  auto in = x;
  if (same) {
    const int64_t k = win.size(-1), pad = k - 1;
    in = F::pad(x, F::PadFuncOptions({pad / 2, pad - pad / 2, pad / 2, pad - pad / 2}));
  }
  return F::conv2d(in, win, F::Conv2dFuncOptions().groups(x.size(1)));
}

struct SsimResult {
  torch::Tensor ssim, cs;  // per sample
};

SsimResult ssim(torch::Tensor x, torch::Tensor y, bool downsample, bool include_luminance) {
  const auto win = fspecial_gaussian(11, 1.5, x.size(1), x.options());
  const bool same = x.size(-1) < win.size(-1);
  const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
  // Python's round() ties to even, as nearbyint does in the default rounding mode.
  const auto f = std::max<int64_t>(
      1, static_cast<int64_t>(
             std::nearbyint(static_cast<double>(std::min(x.size(-2), x.size(-1))) / 256.0)));
  if (f > 1 && downsample) {
    x = F::avg_pool2d(x, F::AvgPool2dFuncOptions(f));
    y = F::avg_pool2d(y, F::AvgPool2dFuncOptions(f));
  }
  const auto mu1 = filter2(x, win, same), mu2 = filter2(y, win, same);
  const auto mu1_sq = mu1.pow(2), mu2_sq = mu2.pow(2), mu1_mu2 = mu1 * mu2;
  const auto s1 = filter2(x * x, win, same) - mu1_sq;
  const auto s2 = filter2(y * y, win, same) - mu2_sq;
  const auto s12 = filter2(x * y, win, same) - mu1_mu2;
  const auto cs_map = torch::relu((2 * s12 + c2) / (s1 + s2 + c2));
  const auto l =
      include_luminance ? (2 * mu1_mu2 + c1) / (mu1_sq + mu2_sq + c1) : torch::ones_like(cs_map);
  return {(l * cs_map).mean({1, 2, 3}), cs_map.mean({1, 2, 3})};
}

class SsimLoss final : public Loss {
 public:
  explicit SsimLoss(SsimArgs a) : a_(std::move(a)) {}
  LossParts forward(const torch::Tensor& out, const torch::Tensor& target) override {
    auto x = out.to(torch::kFloat32), y = target.to(torch::kFloat32);
    const auto crop = static_cast<int64_t>(a_.crop_border);
    if (crop > 0) {
      x = x.slice(2, crop, x.size(2) - crop).slice(3, crop, x.size(3) - crop);
      y = y.slice(2, crop, y.size(2) - crop).slice(3, crop, y.size(3) - crop);
    }
    const auto score = ssim(preprocess(x, a_), preprocess(y, a_), a_.downsample, true).ssim;
    return {{"", 1 - score.mean()}};
  }

 private:
  SsimArgs a_;
};

class MsSsimLoss final : public Loss {
 public:
  explicit MsSsimLoss(SsimArgs a) : a_(std::move(a)) {}
  LossParts forward(const torch::Tensor& out, const torch::Tensor& target) override {
    auto x = preprocess(out.to(torch::kFloat32), a_),
         y = preprocess(target.to(torch::kFloat32), a_);
    const std::vector<double> w = {0.0448, 0.2856, 0.3001, 0.2363, 0.1333};
    std::vector<torch::Tensor> mcs;
    torch::Tensor last;
    for (size_t level = 0; level < w.size(); ++level) {
      const auto r = ssim(x, y, a_.downsample, a_.include_luminance);
      mcs.push_back(r.cs);
      last = r.ssim;
      const int64_t ph = x.size(2) % 2, pw = x.size(3) % 2;
      const auto pool = F::AvgPool2dFuncOptions(2).padding({ph, pw});
      x = F::avg_pool2d(x, pool);
      y = F::avg_pool2d(y, pool);
    }
    torch::Tensor score;
    if (a_.is_prod) {
      score = last.pow(w.back());
      for (size_t i = 0; i + 1 < w.size(); ++i) score = score * mcs[i].pow(w[i]);
    } else {
      double total = 0;
      for (double v : w) total += v;
      score = last * (w.back() / total);
      for (size_t i = 0; i + 1 < w.size(); ++i) score = score + mcs[i] * (w[i] / total);
    }
    return {{"", 1 - score.mean().clamp(0, 1)}};
  }

 private:
  SsimArgs a_;
};

OptionTable<SsimArgs> table(bool ms) {
  using P = SsimArgs;
  OptionTable<P> t = {
      integer<P>("channels", &P::channels, 3, 1, 4, "channels of the images")
          .no_effect("taken from the images"),
      flag<P>("downsample", &P::downsample, false,
              "average-pool by round(min side / 256) first, as the MATLAB code"),
      flag<P>("test_y_channel", &P::test_y_channel, true, "compare one luma channel"),
      choice<P>("color_space", &P::color_space, "yiq", {"yiq", "ycbcr", "lhm"},
                "the luma used with test_y_channel"),
  };
  if (ms) {
    t.push_back(flag<P>("is_prod", &P::is_prod, true,
                        "combine the scales as a weighted product (false: weighted sum)"));
    t.push_back(flag<P>("include_luminance", &P::include_luminance, false,
                        "include the luminance term at every scale"));
  } else {
    t.push_back(real<P>("crop_border", &P::crop_border, 0, 0, 1024, "border pixels left out"));
  }
  return t;
}

template <class L>
LossInfo info(const char* name, bool ms) {
  return {name, loss_specs(table(ms)),
          [name, ms](const YAML::Node& entry, const std::string& file, Warnings& w) {
            const auto t = table(ms);
            return std::make_unique<L>(read_loss_options(t, entry, file, name, w));
          }};
}

}  // namespace

LossInfo ssim_loss_info() {
  return info<SsimLoss>("ssimloss", false);
}
LossInfo mssim_loss_info() {
  return info<MsSsimLoss>("mssimloss", true);
}

}  // namespace pf::train

// ffloss: focal frequency loss (Jiang et al., ICCV 2021) as traiNNer-redux's FFLoss computes it:
// orthonormal 2-D DFTs of patch_factor^2 patches, squared spectral distances weighted by their
// own (detached, normalised) magnitude^alpha, times 50.
#include <torch/all.h>

#include "core/error.h"
#include "train/losses/registry.h"

namespace pf::train {

namespace {

struct FfArgs {
  double alpha = 1;
  int64_t patch_factor = 1;
  bool ave_spectrum = true, log_matrix = false, batch_matrix = false;
};

class FocalFrequencyLoss final : public Loss {
 public:
  explicit FocalFrequencyLoss(FfArgs a) : a_(a) {}

  torch::Tensor to_freq(const torch::Tensor& x) const {
    const int64_t h = x.size(2), w = x.size(3), pf = a_.patch_factor;
    if (h % pf != 0 || w % pf != 0)
      throw Error("ffloss: patch_factor " + std::to_string(pf) + " does not divide the " +
                  std::to_string(w) + "x" + std::to_string(h) + " crops");
    const int64_t ph = h / pf, pw = w / pf;
    std::vector<torch::Tensor> patches;
    for (int64_t i = 0; i < pf; ++i)
      for (int64_t j = 0; j < pf; ++j)
        patches.push_back(x.slice(2, i * ph, (i + 1) * ph).slice(3, j * pw, (j + 1) * pw));
    const auto freq = torch::fft::fft2(torch::stack(patches, 1), c10::nullopt, {-2, -1}, "ortho");
    return torch::stack({torch::real(freq), torch::imag(freq)}, -1);
  }

  LossParts forward(const torch::Tensor& out, const torch::Tensor& target) override {
    auto pred = to_freq(out.to(torch::kFloat32)), real = to_freq(target.to(torch::kFloat32));
    if (a_.ave_spectrum) {
      pred = pred.mean(0, true);
      real = real.mean(0, true);
    }
    const auto sq = (pred - real).pow(2);
    const auto dist = sq.select(-1, 0) + sq.select(-1, 1);
    torch::Tensor m;
    {
      torch::NoGradGuard no_grad;
      m = torch::sqrt(dist).pow(a_.alpha);
      if (a_.log_matrix) m = torch::log(m + 1.0);
      if (a_.batch_matrix)
        m = m / m.max();
      else
        m = m / std::get<0>(std::get<0>(m.max(-1)).max(-1)).unsqueeze(-1).unsqueeze(-1);
      m.masked_fill_(torch::isnan(m), 0.0);
      m = m.clamp(0, 1);
    }
    return {{"", 50 * torch::mean(m * dist)}};
  }

 private:
  FfArgs a_;
};

OptionTable<FfArgs> table() {
  using P = FfArgs;
  return {
      real<P>("alpha", &P::alpha, 1, 0, 100, "exponent of the spectrum weight"),
      integer<P>("patch_factor", &P::patch_factor, 1, 1, 64,
                 "split each crop into patch_factor^2 patches (must divide the crop)"),
      flag<P>("ave_spectrum", &P::ave_spectrum, true, "average the spectra over the batch"),
      flag<P>("log_matrix", &P::log_matrix, false, "log(1 + weight)"),
      flag<P>("batch_matrix", &P::batch_matrix, false,
              "normalise the weights by the batch maximum (else per spectrum)"),
  };
}

}  // namespace

LossInfo focal_frequency_loss_info() {
  return {"ffloss", loss_specs(table()),
          [](const YAML::Node& entry, const std::string& file, Warnings& w) {
            return std::make_unique<FocalFrequencyLoss>(
                read_loss_options(table(), entry, file, "ffloss", w));
          }};
}

}  // namespace pf::train

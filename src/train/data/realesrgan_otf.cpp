#include "train/data/realesrgan_otf.h"

#include <fmt/format.h>

#include <cmath>

namespace pf::train {

namespace {

std::string num(double v) {
  return fmt::format("{:.10g}", v);
}

std::string list(const std::vector<double>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + num(v[i]);
  return s + "]";
}

// traiNNer-redux's resize modes in the engine (its resize_pt: torch interpolate, antialiased
// for bilinear and bicubic; lanczos = a separable Lanczos-3 prefilter).
std::string algorithm(const std::string& mode) {
  if (mode == "bilinear") return "{algorithm: bilinear}";
  if (mode == "bicubic") return "{algorithm: cubic, b: 0, c: 0.75}";
  if (mode == "nearest-exact") return "{algorithm: nearest}";
  if (mode == "lanczos") return "{algorithm: lanczos, lobes: 3}";
  return "{algorithm: box}";  // area
}

// A resize step choosing among modes by weight: one_of over per-mode resizes, each with the
// factor distribution `scale_yaml` ("scale: [1, 1.5]" or "to_target: true").
std::string resize_modes(const std::vector<std::string>& modes, const std::vector<double>& probs,
                         const std::string& scale_yaml, const std::string& indent) {
  std::string y = indent + "- one_of:\n" + indent + "    weights: " + list(probs) + "\n" + indent +
                  "    steps:\n";
  for (const auto& m : modes) {
    std::string a = algorithm(m);
    a.insert(a.size() - 1, ", " + scale_yaml);
    y += indent + "      - resize: " + a + "\n";
  }
  return y;
}

// basicsr's random_mixed_kernels: sinc with sinc_prob (cutoff range by size), else one of
// kernel_list by kernel_prob; generalized/plateau betas split half below, half above 1.
std::string blur_stage(double p, const std::vector<std::string>& kernels,
                       const std::vector<double>& probs, const std::vector<int64_t>& sizes,
                       double sinc_prob, const std::vector<double>& sigma,
                       const std::vector<double>& betag, const std::vector<double>& betap) {
  // Kernel sizes are drawn from the odd sizes in range; sinc's cutoff range depends on whether
  // the size is below 13, so sinc splits by the share of small sizes.
  int small = 0, all = 0;
  for (int64_t k = sizes[0]; k <= sizes[1]; k += 2, ++all) small += k < 13;
  const std::string size = fmt::format("[{}, {}]", sizes[0], sizes[1]);
  const std::string sig = list(sigma);
  std::string y = fmt::format(
      "  - one_of:\n      p: {}\n      weights: [{}, {}, {}]\n      steps:\n", num(p),
      num(sinc_prob * small / all), num(sinc_prob * (all - small) / all), num(1 - sinc_prob));
  const auto sinc_step = [&](int64_t lo, int64_t hi, double cut_lo) {
    if (lo > hi) return fmt::format("        - blur: {{p: 0, kernel: sinc}}\n");
    return fmt::format(
        "        - blur: {{kernel: sinc, size: [{}, {}], cutoff: [{}, 3.1415926]}}\n", lo, hi,
        num(cut_lo));
  };
  y += sinc_step(sizes[0], std::min<int64_t>(sizes[1], 11), M_PI / 3);
  y += sinc_step(std::max<int64_t>(sizes[0], 13), sizes[1], M_PI / 5);
  std::vector<double> w;
  std::string steps;
  const std::string aniso = ", sigma_y: " + sig + ", rotation: [-180, 180]";
  for (size_t i = 0; i < kernels.size(); ++i) {
    const std::string& k = kernels[i];
    const bool is_aniso = k.find("aniso") != std::string::npos;
    const std::string base =
        "kernel: " + k + ", size: " + size + ", sigma_x: " + sig + (is_aniso ? aniso : "");
    if (k == "iso" || k == "aniso") {
      w.push_back(probs[i]);
      steps += "              - blur: {" + base + "}\n";
    } else {
      const bool gen = k.rfind("generalized", 0) == 0;
      const auto& beta = gen ? betag : betap;
      // below 1: [lo, 1] (plateau: exactly 1 when lo >= 1, as basicsr's uniform(lo, 1))
      const std::string low = beta[0] < 1 ? "[" + num(beta[0]) + ", 1]" : "1";
      w.push_back(probs[i] / 2);
      steps += "              - blur: {" + base + ", beta: " + low + "}\n";
      w.push_back(probs[i] / 2);
      steps += "              - blur: {" + base + ", beta: [1, " + num(beta[1]) + "]}\n";
    }
  }
  y += "        - one_of:\n            weights: " + list(w) + "\n            steps:\n" + steps;
  return y;
}

std::string resize_stage(const std::vector<double>& prob, const std::vector<double>& range,
                         const std::vector<std::string>& modes, const std::vector<double>& mprob,
                         bool relative_to_target) {
  const double moved = prob[0] + prob[1];
  if (moved <= 0) return "";
  const std::string rel = relative_to_target ? "relative_to: target, " : "";
  std::string y = fmt::format("  - one_of:\n      p: {}\n      weights: [{}, {}]\n      steps:\n",
                              num(std::min(1.0, moved / (prob[0] + prob[1] + prob[2]))),
                              num(prob[0]), num(prob[1]));
  y += resize_modes(modes, mprob, rel + "scale: [1, " + num(range[1]) + "]", "        ");
  y += resize_modes(modes, mprob, rel + "scale: [" + num(range[0]) + ", 1]", "        ");
  return y;
}

std::string noise_stage(double gaussian_p, const std::vector<double>& sigma,
                        const std::vector<double>& poisson, double gray) {
  // Ranges of [0, 0] add nothing (traiNNer-redux's OTF templates turn noise off that way).
  if ((gaussian_p <= 0 || sigma[1] <= 0) && (gaussian_p >= 1 || poisson[1] <= 0)) return "";
  const std::string g =
      fmt::format("{{choice: [true, false], weights: [{}, {}]}}", num(gray), num(1 - gray));
  return fmt::format(
      "  - one_of:\n      weights: [{}, {}]\n      steps:\n"
      "        - noise: {{type: gaussian, sigma: {}, gray: {}}}\n"
      "        - noise: {{type: poisson, scale: {}, gray: {}}}\n",
      num(gaussian_p), num(1 - gaussian_p), list(sigma), g, list(poisson), g);
}

std::string jpeg_step(double p, const std::vector<double>& range, const std::string& indent) {
  return fmt::format("{}- jpeg: {{p: {}, quality: [{}, {}], subsampling: \"420\"}}\n", indent,
                     num(p), std::lround(range[0]), std::lround(range[1]));
}

}  // namespace

std::string realesrgan_otf_yaml(const HighOrderOptions& o, const DatasetOptions& d, int64_t scale) {
  std::string y = "# Generated by pairforge from traiNNer-redux's high_order_degradation keys.\n";
  y += fmt::format(
      "description: traiNNer-redux high-order degradation (realesrgandataset)\n"
      "scale: {}\npipeline:\n",
      scale);
  if (o.lq_usm)  // USMSharp(radius) with the radius drawn per sample; even sizes get +1
    y += fmt::format(
        "  - sharpen: {{mode: usm, radius: [{}, {}], amount: 0.5, threshold: 10, "
        "target: lq}}\n",
        o.lq_usm_radius_range[0], o.lq_usm_radius_range[1]);
  y += "  # ---- first degradation\n";
  if (o.blur_prob > 0)
    y += blur_stage(o.blur_prob, d.kernel_list, d.kernel_prob, d.kernel_range, d.sinc_prob,
                    d.blur_sigma, d.betag_range, d.betap_range);
  y += resize_stage(o.resize_prob, o.resize_range, o.resize_mode_list, o.resize_mode_prob, false);
  y += noise_stage(o.gaussian_noise_prob, o.noise_range, o.poisson_scale_range, o.gray_noise_prob);
  if (o.jpeg_prob > 0) y += jpeg_step(o.jpeg_prob, o.jpeg_range, "  ");
  y += "  # ---- second degradation\n";
  if (o.blur_prob2 > 0)
    y += blur_stage(o.blur_prob2, d.kernel_list2, d.kernel_prob2, d.kernel_range2, d.sinc_prob2,
                    d.blur_sigma2, d.betag_range2, d.betap_range2);
  y +=
      resize_stage(o.resize_prob2, o.resize_range2, o.resize_mode_list2, o.resize_mode_prob2, true);
  y += noise_stage(o.gaussian_noise_prob2, o.noise_range2, o.poisson_scale_range2,
                   o.gray_noise_prob2);
  // Final: 50/50 [resize to the LQ size + sinc] then JPEG, or JPEG then [resize + sinc].
  const std::string final_resize =
      resize_modes(o.resize_mode_list3, o.resize_mode_prob3, "to_target: true", "              ");
  const std::string sinc =
      d.final_sinc_prob <= 0
          ? ""
          : fmt::format(
                "              - blur: {{p: {}, kernel: sinc, size: [{}, {}], cutoff: "
                "[1.0471976, 3.1415926]}}\n",
                num(d.final_sinc_prob), d.final_kernel_range[0], d.final_kernel_range[1]);
  const std::string jpeg =
      o.jpeg_prob2 <= 0 ? "" : jpeg_step(o.jpeg_prob2, o.jpeg_range2, "              ");
  y += "  # ---- final resize, sinc and JPEG in either order\n  - one_of:\n      steps:\n";
  y += "        - chain:\n            steps:\n" + final_resize + sinc + jpeg;
  y += "        - chain:\n            steps:\n" + jpeg + final_resize + sinc;
  return y;
}

}  // namespace pf::train

// Real-CUGAN tiled against the whole image on a 512x384 input, per scale: a small memory budget
// (staged tiles with whole-image SE means, stages recomputed), --tile 128 with the stage outputs
// kept, and upcunet_v3.py's --tile-mode 2 (means averaged over the tiles' windows). Prints the
// largest float and 8-bit differences and the times. Weights are drawn as upcunet_v3.py's classes
// draw them (Kaiming normal, fan-out) unless model files are given.
// Usage: infer_cugan_tiles [BUDGET_MB [THREADS [MODEL.pth ...]]]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "infer/upscaler.h"
#include "models/model.h"

using namespace pf;

namespace {

models::LoadedModel drawn(int64_t scale) {
  torch::manual_seed(scale);
  models::LoadedModel m;
  m.spec.arch = "RealCUGAN";
  m.spec.scale = scale;
  m.spec.params = {{"fast", "false"}, {"pro", "false"}};
  m.module = models::build_model(m.spec);
  torch::NoGradGuard no_grad;
  for (auto& p : m.net().parameters())
    if (p.dim() == 4) torch::nn::init::kaiming_normal_(p, 0, torch::kFanOut, torch::kReLU);
  return m;
}

models::LoadedModel copy_of(models::LoadedModel& m) {
  models::LoadedModel c;
  c.spec = m.spec;
  c.module = models::build_model(m.spec);
  models::load_state(c.net(), models::module_state(m.net()), "copy");
  return c;
}

torch::Tensor to_u8(const torch::Tensor& y) {
  return (y.to(torch::kFloat64).clamp(0, 1) * 255.0 + 0.5).floor();
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t budget_mb = argc > 1 ? std::atoll(argv[1]) : 64;
  at::set_num_threads(argc > 2 ? std::atoi(argv[2]) : 2);
  std::vector<models::LoadedModel> nets;
  std::vector<std::string> names;
  for (int i = 3; i < argc; ++i)
    nets.push_back(models::load_model(argv[i])), names.push_back(argv[i]);
  if (nets.empty())
    for (const int64_t s : {2, 3, 4})
      nets.push_back(drawn(s)), names.push_back("drawn x" + std::to_string(s));
  torch::manual_seed(0);
  // Smooth content plus noise, so that the tiles' statistics differ.
  auto image = torch::nn::functional::interpolate(torch::rand({1, 3, 26, 34}),
                                                  torch::nn::functional::InterpolateFuncOptions()
                                                      .size(std::vector<int64_t>{384, 512})
                                                      .mode(torch::kBilinear)
                                                      .align_corners(false))[0];
  image = (0.8 * image + 0.2 * torch::rand({3, 384, 512})).clamp(0, 1);
  std::printf("model,run,tile,cache,max_abs,max_u8,u8_differing,seconds\n");
  for (size_t n = 0; n < nets.size(); ++n) {
    const auto run = [&](const std::string& label, infer::UpscaleOptions o,
                         const torch::Tensor* whole) {
      o.device = "cpu";
      infer::Upscaler up(copy_of(nets[n]), o);
      const auto tiling = up.cugan_tiling_for(512, 384);
      const auto start = std::chrono::steady_clock::now();
      auto y = up.upscale(image);
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      double max_abs = 0, max_u8 = 0;
      int64_t differing = 0;
      if (whole) {
        max_abs = (y - *whole).abs().max().item<double>();
        const auto d = (to_u8(y) - to_u8(*whole)).abs();
        max_u8 = d.max().item<double>();
        differing = d.gt(0).sum().item<int64_t>();
      }
      std::printf(
          "%s,%s,%s,%s,%.3g,%.0f,%lld,%.1f\n", names[n].c_str(), label.c_str(),
          tiling ? (std::to_string(tiling->tile.w) + "x" + std::to_string(tiling->tile.h)).c_str()
                 : "whole",
          tiling ? (tiling->cache == infer::StageCache::kRecompute ? "recomputed" : "kept") : "-",
          max_abs, max_u8, static_cast<long long>(differing), secs);
      std::fflush(stdout);
      return y;
    };
    infer::UpscaleOptions whole_options;
    whole_options.memory_budget_mb = 1 << 16;
    const auto whole = run("whole", whole_options, nullptr);
    infer::UpscaleOptions budget;
    budget.memory_budget_mb = budget_mb;
    run("budget " + std::to_string(budget_mb) + " MB", budget, &whole);
    infer::UpscaleOptions tiled = whole_options;
    tiled.tile = 128;
    tiled.cache_mode = 0;
    run("--tile 128 --cache-mode 0", tiled, &whole);
    infer::UpscaleOptions official = whole_options;
    official.tile_mode = 2;
    run("--tile-mode 2 (upcunet_v3.py)", official, &whole);
  }
  return 0;
}

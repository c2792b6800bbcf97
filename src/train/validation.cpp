#include "train/validation.h"

#include <filesystem>

#include "core/error.h"
#include "infer/upscaler.h"
#include "models/model.h"
#include "models/span.h"
#include "train/losses/image_ops.h"
#include "train/metrics.h"

namespace fs = std::filesystem;

namespace pf::train {

namespace {

double metric(const MetricOptions& m, const torch::Tensor& out, const torch::Tensor& gt) {
  return m.type == "calculate_ssim" ? ssim(out, gt, m.crop_border, m.test_y_channel)
                                    : psnr(out, gt, m.crop_border, m.test_y_channel);
}

}  // namespace

ValOutcome run_validation(const ValidationRun& run, const std::vector<ValItem>& items,
                          int64_t iteration) {
  models::LoadedModel model;
  model.spec = run.spec;
  model.module = models::build_model(run.spec);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model.module.ptr()->named_parameters(true))
      for (const auto& [name, t] : run.weights)
        if (name == p.key()) p.value().copy_(t);
    for (auto& b : model.module.ptr()->named_buffers(true))
      for (const auto& [name, t] : run.weights)
        if (name == b.key()) b.value().copy_(t);
  }
  model.module.ptr()->eval();
  if (auto* span = model.module.ptr()->as<models::SPANImpl>()) span->reparameterize();
  infer::UpscaleOptions o;
  o.device = run.device;
  o.overlap = run.overlap;
  // tile_size 0: one window per image (the Upscaler would otherwise tile by memory budget).
  o.tile = run.tile > 0 ? run.tile : (int64_t{1} << 30);
  infer::Upscaler up(std::move(model), o);

  ValOutcome r;
  for (const auto& item : items) {
    ValImage im{item.name, item.lq_path, item.gt_path, "", {}};
    const torch::Tensor out = up.upscale(item.lq).clamp(0, 1);
    if (out.sizes() != item.gt.sizes())
      throw InputError("validation pair " + item.name + ": the output is " +
                       std::to_string(out.size(2)) + "x" + std::to_string(out.size(1)) +
                       " but the HQ is " + std::to_string(item.gt.size(2)) + "x" +
                       std::to_string(item.gt.size(1)));
    std::map<std::string, double> local;
    auto& baseline = run.bicubic_cache ? (*run.bicubic_cache)[item.name] : local;
    if (baseline.empty() && !run.metrics.empty()) {
      torch::NoGradGuard no_grad;
      const auto bicubic =
          resize_bicubic_aa(item.lq.unsqueeze(0), item.gt.size(1), item.gt.size(2))
              .squeeze(0)
              .clamp(0, 1);
      for (const auto& m : run.metrics) baseline[m.label] = metric(m, bicubic, item.gt);
    }
    const auto n = static_cast<double>(items.size());
    for (const auto& m : run.metrics) {
      const double v = metric(m, out, item.gt);
      im.metrics[m.label] = v;
      r.metrics[m.label] += v / n;
      r.bicubic[m.label] += baseline[m.label] / n;
    }
    if (!run.save_dir.empty() && run.write_image) {
      const std::string file = item.name + "_" + std::to_string(iteration) +
                               (run.suffix.empty() ? "" : "_" + run.suffix) + ".png";
      im.output = (fs::path(run.save_dir) / item.name / file).string();
      run.write_image(im.output, out);
    }
    r.images.push_back(std::move(im));
  }
  return r;
}

}  // namespace pf::train

#include "train/data/datasets.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "degrade/config.h"
#include "degrade/learned/learned_ops.h"
#include "io/image.h"
#include "train/data/realesrgan_otf.h"
#include "train/data/sources.h"

namespace pf::train {

namespace {

std::shared_ptr<const degrade::DegradeConfig> degradation_of(const TrainConfig& c,
                                                             const DatasetOptions& d) {
  degrade::install_learned_ops();  // an OTF chain may hold `lbo` steps
  std::shared_ptr<degrade::DegradeConfig> cfg;
  if (d.type == "otfdataset") {
    cfg = std::make_shared<degrade::DegradeConfig>(degrade::DegradeConfig::load(d.degradation));
  } else {
    const std::string text = realesrgan_otf_yaml(c.otf, d, c.scale);
    cfg = std::make_shared<degrade::DegradeConfig>(degrade::DegradeConfig::parse(
        load_yaml_string(text, "datasets." + d.key + " (translated high_order_degradation)")));
  }
  if (cfg->scale != c.scale)
    throw ConfigError(fmt::format(
        "{}: datasets.{}: the degradation {} is x{} but the model is x{} (use a preset of the "
        "model's scale)",
        d.where, d.key, cfg->file, cfg->scale, c.scale));
  return cfg;
}

}  // namespace

std::string otf_degradation_yaml(const TrainConfig& c, const DatasetOptions& d) {
  if (d.type == "realesrgandataset") return realesrgan_otf_yaml(c.otf, d, c.scale);
  if (d.type != "otfdataset") return "";
  std::ifstream in(d.degradation);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TrainData make_train_data(const TrainConfig& c, Warnings& warnings) {
  TrainData data;
  std::vector<std::shared_ptr<const SampleSource>> sources;
  std::vector<double> weights;
  std::vector<std::string> described;
  for (const auto& d : c.train_sets) {
    auto store = std::make_shared<ImageStore>(d.cache_mb * (int64_t{1} << 20));
    CropOptions crop{d.lq_size, c.scale, d.use_hflip, d.use_rot};
    const std::string label = "datasets." + d.key;
    if (d.type == "pairedimagedataset") {
      sources.push_back(std::make_shared<PairedSource>(
          list_pairs(d, true, c.scale, d.lq_size, warnings), crop, store, label));
      weights.push_back(d.weight);
    } else {
      auto otf = std::make_shared<OtfSource>(list_pairs(d, false, c.scale, d.lq_size, warnings),
                                             crop, degradation_of(c, d), store, label);
      const double paired_share =
          d.type == "realesrgandataset" && !d.dataroot_lq.empty() ? c.otf.dataroot_lq_prob : 0;
      if (paired_share > 0) {
        // traiNNer-redux's dataroot_lq_prob: that share of samples uses the real LQ instead.
        auto paired = std::make_shared<PairedSource>(
            list_pairs(d, true, c.scale, d.lq_size, warnings), crop, store, label + " (paired)");
        sources.push_back(std::make_shared<MixedSource>(
            std::vector<std::shared_ptr<const SampleSource>>{otf, paired},
            std::vector<double>{1 - paired_share, paired_share}));
      } else {
        sources.push_back(otf);
      }
      weights.push_back(d.weight);
    }
    described.push_back(sources.back()->describe());
  }
  data.train = sources.size() == 1 ? sources[0] : std::make_shared<MixedSource>(sources, weights);
  data.describe = data.train->describe();

  for (const auto& d : c.val_sets) {
    if (!c.val.val_enabled) break;
    for (const auto& p : list_pairs(d, true, c.scale, 1, warnings)) {
      ValItem item;
      item.lq_path = p.lq;
      item.gt_path = p.gt;
      item.name = std::filesystem::path(p.gt).stem().string();
      const auto to_tensor = [](const io::Image& img) {
        const cv::Mat& m = img.rgb;
        return torch::from_blob(m.data, {m.rows, m.cols, 3}, torch::kFloat32)
            .permute({2, 0, 1})
            .clone();
      };
      item.lq = to_tensor(io::read_image(p.lq));
      item.gt = to_tensor(io::read_image(p.gt));
      data.val.push_back(std::move(item));
    }
  }
  data.write_image = [](const std::string& path, const torch::Tensor& chw) {
    const auto hwc =
        chw.detach().to(torch::kCPU, torch::kFloat32).clamp(0, 1).permute({1, 2, 0}).contiguous();
    cv::Mat m(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_32FC3);
    std::memcpy(m.data, hwc.data_ptr<float>(), static_cast<size_t>(hwc.numel()) * sizeof(float));
    io::write_png_atomic(path, m, cv::Mat(), 8);
  };
  return data;
}

}  // namespace pf::train

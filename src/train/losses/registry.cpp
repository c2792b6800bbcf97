#include "train/losses/registry.h"

#include "core/error.h"
#include "core/yaml_util.h"

namespace pf::train {

const std::vector<LossInfo>& loss_registry() {
  static const std::vector<LossInfo> r = {
      l1_loss_info(),          mse_loss_info(),   charbonnier_loss_info(),
      ssim_loss_info(),        mssim_loss_info(), focal_frequency_loss_info(),
      hsluv_loss_info(),       cosim_loss_info(), sobel_edge_loss_info(),
      consistency_loss_info(), gan_loss_info(),   perceptual_loss_info(),
      ldl_loss_info(),
  };
  return r;
}

// neosr spells some names with an underscore, older basicsr configs in CamelCase (L1Loss).
static std::string canonical(const std::string& type) {
  std::string s;
  for (char c : type)
    if (c != '_') s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const LossInfo* find_loss(const std::string& type) {
  const std::string want = canonical(type);
  for (const auto& info : loss_registry())
    if (canonical(info.name) == want) return &info;
  return nullptr;
}

OptionSpec loss_weight_spec() {
  return {"loss_weight", "number", "1", "",
          "weight in the total loss; 0 disables the entry, < 0 compares with the "
          "bicubic-upscaled LQ (traiNNer-redux)"};
}

std::vector<LossConfig> read_losses(const std::vector<YAML::Node>& entries, const std::string& file,
                                    Warnings& warnings) {
  std::vector<LossConfig> out;
  std::vector<std::string> names;
  for (const auto& info : loss_registry()) names.push_back(info.name);
  for (const auto& e : entries) {
    if (!e.IsMap() || !e["type"] || !e["type"].IsScalar())
      yaml_fail(file, e, "a loss is a mapping with `type` and `loss_weight`");
    const std::string type = e["type"].Scalar();
    double weight = 1;
    if (e["loss_weight"] && !e["loss_weight"].IsNull())
      weight = yaml_double(file, e["loss_weight"]);
    if (weight == 0) {
      warnings.push_back(yaml_where(file, e["type"]) + ": loss " + type +
                         " has loss_weight 0 and is disabled");
      continue;
    }
    const LossInfo* info = find_loss(type);
    if (!info) {
      std::string msg = "loss type '" + type + "' (loss_weight " + show_number(weight) +
                        ") is not supported by pairforge; supported: " + join(names, ", ") +
                        " (a loss with loss_weight 0 is skipped)";
      const std::string near = closest_name(canonical(type), names);
      if (!near.empty()) msg += "; did you mean '" + near + "'?";
      yaml_fail(file, e["type"], msg);
    }
    LossConfig c;
    c.type = info->name;
    c.weight = std::abs(weight);
    c.target_lq = weight < 0;
    c.node = e;
    c.file = file;
    int same = 0;
    for (const auto& o : out) same += o.type == c.type;
    c.label = same ? c.type + "_" + std::to_string(same + 1) : c.type;
    info->make(e, file, warnings);  // checks the options now, not at the first iteration
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<std::unique_ptr<Loss>> make_losses(const std::vector<LossConfig>& configs,
                                               Warnings& warnings) {
  std::vector<std::unique_ptr<Loss>> out;
  for (const auto& c : configs) out.push_back(find_loss(c.type)->make(c.node, c.file, warnings));
  return out;
}

}  // namespace pf::train

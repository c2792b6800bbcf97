#include "train/network.h"

#include <fmt/format.h>

#include <set>

#include "core/error.h"
#include "core/yaml_util.h"
#include "models/checkpoint.h"
#include "models/model.h"
#include "models/span.h"

namespace pf::train {

namespace {

struct CompactArgs {
  int64_t num_in_ch = 3, num_out_ch = 3, num_feat = 64, num_conv = 16;
  std::string act_type;
  bool learn_residual = true;
};

OptionTable<CompactArgs> compact_table(int64_t feat, int64_t conv) {
  using P = CompactArgs;
  return {
      integer<P>("num_in_ch", &P::num_in_ch, 3, 1, 64, "input channels"),
      integer<P>("num_out_ch", &P::num_out_ch, 3, 1, 64, "output channels"),
      integer<P>("num_feat", &P::num_feat, feat, 1, 1024, "feature channels"),
      integer<P>("num_conv", &P::num_conv, conv, 0, 256, "3x3 convolutions in the body"),
      choice<P>("act_type", &P::act_type, "prelu", {"prelu", "relu", "leakyrelu"},
                "activation (leakyrelu: slope 0.1)"),
      flag<P>("learn_residual", &P::learn_residual, true,
              "add the nearest-upscaled input to the output")
          .only_default("spandrel's Compact always adds it"),
      any<P>("scale", "~", "set from the top-level scale").no_effect("the top-level scale wins"),
  };
}

struct SpanArgs {
  int64_t num_in_ch = 3, num_out_ch = 3, feature_channels = 48, num_blocks = 6;
  bool norm = false;
  double img_range = 255;
  std::vector<double> rgb_mean;
};

OptionTable<SpanArgs> span_table(int64_t feat) {
  using P = SpanArgs;
  return {
      integer<P>("num_in_ch", &P::num_in_ch, 3, 1, 64, "input channels"),
      integer<P>("num_out_ch", &P::num_out_ch, 3, 1, 64, "output channels"),
      integer<P>("feature_channels", &P::feature_channels, feat, 1, 1024, "feature channels"),
      integer<P>("num_blocks", &P::num_blocks, 6, 6, 6, "SPAB blocks")
          .only_default("spandrel's SPAN has six blocks"),
      flag<P>("norm", &P::norm, false,
              "subtract rgb_mean and multiply by img_range first (some pretrains need true)"),
      real<P>("img_range", &P::img_range, 255, 1e-6, kInf, "with norm: input multiplier"),
      reals<P>("rgb_mean", &P::rgb_mean, {0.4488, 0.4371, 0.4040}, -kInf, kInf, 3,
               "with norm: the mean subtracted"),
      any<P>("bias", "true", "SPAB bias flag").no_effect("Conv3XC always has biases, as upstream"),
      any<P>("scale", "~", "set from the top-level scale").no_effect("the top-level scale wins"),
  };
}

struct Arch {
  const char* name;
  const char* family;  // "compact" | "span"
  int64_t feat, conv;
  const char* about;
};

// traiNNer-redux's names and defaults (srvgg_arch.py, span_arch.py).
constexpr Arch kArchs[] = {
    {"compact", "compact", 64, 16, "SRVGGNetCompact, 64 features, 16 convs"},
    {"ultracompact", "compact", 64, 8, "SRVGGNetCompact, 64 features, 8 convs"},
    {"superultracompact", "compact", 24, 8, "SRVGGNetCompact, 24 features, 8 convs"},
    {"span", "span", 52, 0, "SPAN, 52 feature channels"},
    {"span_s", "span", 48, 0, "SPAN-S, 48 feature channels (2xLiveActionV1_SPAN's size)"},
};

const Arch* find_arch(const std::string& name) {
  for (const auto& a : kArchs)
    if (name == a.name) return &a;
  return nullptr;
}

template <class P>
YAML::Node without_type(const YAML::Node& node) {
  YAML::Node rest(YAML::NodeType::Map);
  for (const auto& kv : node)
    if (kv.first.Scalar() != "type") rest[kv.first] = kv.second;
  return rest;
}

}  // namespace

NetworkConfig read_network(const YAML::Node& node, const std::string& file, int64_t scale,
                           Warnings& warnings) {
  if (!node["type"] || !node["type"].IsScalar())
    yaml_fail(file, node,
              "network_g needs `type:` (compact, ultracompact, superultracompact, "
              "span, span_s)");
  std::string type = node["type"].Scalar();
  for (auto& ch : type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const Arch* arch = find_arch(type);
  if (!arch) {
    std::vector<std::string> names;
    for (const auto& a : kArchs) names.push_back(a.name);
    std::string msg = "network_g type '" + node["type"].Scalar() +
                      "' is not supported by pairforge; supported: " + join(names, ", ");
    const std::string near = closest_name(type, names);
    if (!near.empty()) msg += " (did you mean '" + near + "'?)";
    yaml_fail(file, node["type"], msg);
  }
  NetworkConfig n;
  n.type = arch->name;
  n.spec.scale = scale;
  const std::string what = std::string("network_g (") + arch->name + ")";
  if (std::string(arch->family) == "compact") {
    const auto table = compact_table(arch->feat, arch->conv);
    CompactArgs a;
    read_options(table, a, without_type<CompactArgs>(node), file, what, warnings);
    n.spec.arch = "Compact";
    n.spec.in_ch = a.num_in_ch;
    n.spec.out_ch = a.num_out_ch;
    n.spec.params = {{"num_feat", std::to_string(a.num_feat)},
                     {"num_conv", std::to_string(a.num_conv)},
                     {"act_type", a.act_type}};
    n.yaml = "  type: " + n.type + "\n" + show_options(table, a, 2);
  } else {
    const auto table = span_table(arch->feat);
    SpanArgs a;
    read_options(table, a, without_type<SpanArgs>(node), file, what, warnings);
    n.spec.arch = "SPAN";
    n.spec.in_ch = a.num_in_ch;
    n.spec.out_ch = a.num_out_ch;
    n.spec.params = {
        {"feature_channels", std::to_string(a.feature_channels)},
        {"norm", a.norm ? "true" : "false"},
        {"img_range", show_number(a.img_range)},
        {"rgb_mean", fmt::format("{},{},{}", show_number(a.rgb_mean[0]), show_number(a.rgb_mean[1]),
                                 show_number(a.rgb_mean[2]))}};
    n.yaml = "  type: " + n.type + "\n" + show_options(table, a, 2);
  }
  return n;
}

std::string network_reference_markdown() {
  std::string md =
      "### `network_g`\n\n`type` picks the arch; the other keys are its "
      "hyper-parameters (traiNNer-redux's names and defaults).\n\n";
  for (const auto& a : kArchs) {
    md += "#### `type: " + std::string(a.name) + "` — " + a.about + "\n\n";
    md += options_markdown(std::string(a.family) == "compact"
                               ? specs_of(compact_table(a.feat, a.conv))
                               : specs_of(span_table(a.feat)));
    md += "\n";
  }
  return md;
}

PretrainReport load_pretrain(torch::nn::Module& net, const std::string& path,
                             const std::string& param_key, bool strict,
                             const std::string& network) {
  const models::Checkpoint ck = models::read_checkpoint(path, param_key);
  PretrainReport r;
  r.wrapper = ck.wrapper;
  torch::NoGradGuard no_grad;
  std::set<std::string> used;
  std::vector<std::string> problems;
  const auto assign = [&](const std::string& name, torch::Tensor& dst) {
    const models::RawTensor* src = models::find_tensor(ck.tensors, name);
    if (!src) {
      // Folded-only SPAN files have eval_conv but no branches; branches without eval_conv are
      // fine too (eval_conv is re-folded below).
      if (name.find("eval_conv") != std::string::npos) return;
      problems.push_back("'" + name + "' is missing");
      r.skipped.push_back(name + " (missing from the file)");
      return;
    }
    used.insert(name);
    if (src->shape != dst.sizes().vec()) {
      problems.push_back("'" + name + "' has shape " + models::shape_to_string(src->shape) +
                         ", the network needs " + models::shape_to_string(dst.sizes().vec()));
      r.skipped.push_back(name + " (file " + models::shape_to_string(src->shape) + ", network " +
                          models::shape_to_string(dst.sizes().vec()) + ")");
      return;
    }
    dst.copy_(models::to_torch(*src).to(dst.scalar_type()));
    r.loaded.push_back(name);
  };
  for (auto& p : net.named_parameters(true)) assign(p.key(), p.value());
  for (auto& b : net.named_buffers(true)) assign(b.key(), b.value());
  for (const auto& [name, t] : ck.tensors)
    if (!used.count(name)) {
      r.unused.push_back(name);
      problems.push_back("'" + name + "' is not in the network");
    }
  if (strict && !problems.empty()) {
    const std::string strict_key = network == "network_d" ? "strict_load_d" : "strict_load_g";
    std::string msg = path + ": does not fit " + network + " (" + strict_key + ": true): ";
    for (size_t i = 0; i < problems.size() && i < 8; ++i) msg += (i ? "; " : "") + problems[i];
    if (problems.size() > 8) msg += fmt::format("; and {} more", problems.size() - 8);
    throw ModelError(msg + ". Set " + strict_key + ": false to load what fits.");
  }
  if (r.loaded.empty())
    throw ModelError(path + ": no weight of the file fits " + network + " (wrong arch or size?)");
  if (auto* span = net.as<models::SPANImpl>()) span->reparameterize();
  return r;
}

}  // namespace pf::train

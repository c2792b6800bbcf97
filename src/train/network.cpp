#include "train/network.h"

#include <fmt/format.h>

#include <filesystem>
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

namespace {

// The hyper-parameters that decide the weights' shapes.
const char* const kShapeParams[] = {"num_feat", "num_conv", "feature_channels"};

std::string spec_text(const models::ModelSpec& s) {
  std::string out = fmt::format("{} x{}", s.arch, s.scale);
  std::vector<std::string> p;
  if (s.in_ch != 3 || s.out_ch != 3)
    p.push_back(fmt::format("{} -> {} channels", s.in_ch, s.out_ch));
  for (const auto& [k, v] : s.params)
    for (const char* shape : kShapeParams)
      if (k == shape) p.push_back(k + " " + v);
  return p.empty() ? out : out + " (" + join(p, ", ") + ")";
}

// traiNNer-redux's network_g type of a spec, when one has its sizes.
std::string type_of(const models::ModelSpec& s) {
  for (const auto& a : kArchs) {
    const bool compact = std::string(a.family) == "compact";
    if (s.arch == (compact ? "Compact" : "SPAN")) {
      const auto has = [&](const char* k, int64_t v) {
        for (const auto& [name, value] : s.params)
          if (name == k) return value == std::to_string(v);
        return false;
      };
      if (compact ? has("num_feat", a.feat) && has("num_conv", a.conv)
                  : has("feature_channels", a.feat))
        return a.name;
    }
  }
  return "";
}

bool same_shapes(const models::ModelSpec& a, const models::ModelSpec& b) {
  if (a.arch != b.arch || a.scale != b.scale || a.in_ch != b.in_ch || a.out_ch != b.out_ch)
    return false;
  for (const char* k : kShapeParams) {
    std::string va, vb;
    for (const auto& [n, v] : a.params)
      if (n == k) va = v;
    for (const auto& [n, v] : b.params)
      if (n == k) vb = v;
    if (va != vb) return false;
  }
  return true;
}

}  // namespace

std::string describe_model_file(const models::Checkpoint& ck, const std::string& path) {
  int64_t params = 0;
  for (const auto& [name, t] : ck.tensors) {
    int64_t n = 1;
    for (int64_t d : t.shape) n *= d;
    params += n;
  }
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  const std::string size =
      fmt::format("{} tensors, {} parameters, {}", ck.tensors.size(), params,
                  ec ? std::string("size unknown")
                     : fmt::format("{:.1f} MB {}", static_cast<double>(bytes) / 1e6,
                                   models::format_name(ck.format)));
  try {
    const auto spec = models::detect_spec(ck.tensors, ck.metadata);
    const std::string type = type_of(spec);
    return spec_text(spec) + (type.empty() ? "" : ", traiNNer-redux's " + type) + "; " + size;
  } catch (const Error&) {
    return "no super-resolution arch pairforge knows; " + size;
  }
}

PretrainReport load_pretrain(torch::nn::Module& net, const std::string& path,
                             const std::string& param_key, bool strict, const std::string& network,
                             const models::ModelSpec* wanted) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(path + ": the " + network + " pretrain is not a regular file");
  const models::Checkpoint ck = models::read_checkpoint(path, param_key);
  // What the file is against what the config builds: a mismatch is named as such, instead of a
  // list of missing keys and advice (strict_load_g: false) that cannot help.
  std::string mismatch;
  bool other_arch = false;
  if (wanted) {
    try {
      const auto found = models::detect_spec(ck.tensors, ck.metadata);
      if (!same_shapes(found, *wanted)) {
        const std::string type = type_of(found);
        mismatch = fmt::format("{} is {}, but {} is {}", path, describe_model_file(ck, path),
                               network, spec_text(*wanted));
        other_arch = found.arch != wanted->arch || found.scale != wanted->scale;
        if (other_arch)
          mismatch += type.empty() || found.scale != wanted->scale
                          ? fmt::format(": use a pretrain of that arch and scale")
                          : fmt::format(
                                ": set network_g type: {} to fine-tune it, or use a "
                                "pretrain of this arch",
                                type);
      }
    } catch (const ModelError&) {
      mismatch = fmt::format("{} is {}, but {} is {}", path, describe_model_file(ck, path), network,
                             spec_text(*wanted));
      other_arch = true;
    }
  }
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
  const std::string strict_key = network == "network_d" ? "strict_load_d" : "strict_load_g";
  if (!mismatch.empty() && !problems.empty()) {
    // Another arch or scale: nothing useful loads. The same arch at another size: the layers
    // that line up may, when asked for.
    if (other_arch || r.loaded.empty()) throw ModelError(mismatch);
    if (strict)
      throw ModelError(
          fmt::format("{}. {} of its {} weights fit; {}: false loads those and names "
                      "the rest",
                      mismatch, r.loaded.size(), ck.tensors.size(), strict_key));
  }
  if (strict && !problems.empty()) {
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

#include "train/network_d.h"

#include "core/yaml_util.h"
#include "models/dunet.h"
#include "models/unet_discriminator_sn.h"

namespace pf::train {

namespace {

struct DArgs {
  int64_t num_in_ch = 3, num_feat = 64;
  bool skip_connection = true;
};

struct DArch {
  const char* name;
  const char* about;
};

// traiNNer-redux's names (discriminator_arch.py, dunet_arch.py).
constexpr DArch kDArchs[] = {
    {"unetdiscriminatorsn",
     "Real-ESRGAN's U-Net discriminator with spectral normalisation (conv0..conv9)"},
    {"dunet", "traiNNer-redux's default: a U-Net with DySample upsampling and Mish"},
};

OptionTable<DArgs> d_table(const std::string& arch) {
  using P = DArgs;
  OptionTable<P> t = {
      integer<P>("num_in_ch", &P::num_in_ch, 3, 1, 64, "input channels"),
      integer<P>("num_feat", &P::num_feat, 64, 4, 1024,
                 "feature channels of the first level (doubled per level)"),
  };
  if (arch == "unetdiscriminatorsn")
    t.push_back(flag<P>("skip_connection", &P::skip_connection, true,
                        "add the encoder's features to the decoder's"));
  return t;
}

}  // namespace

NetworkDConfig read_network_d(const YAML::Node& node, const std::string& file, Warnings& warnings) {
  std::vector<std::string> names;
  for (const auto& a : kDArchs) names.push_back(a.name);
  if (!node.IsMap() || !node["type"] || !node["type"].IsScalar())
    yaml_fail(file, node, "network_d needs `type:` (" + join(names, ", ") + ")");
  std::string type = node["type"].Scalar();
  for (auto& ch : type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  bool known = false;
  for (const auto& n : names) known = known || n == type;
  if (!known) {
    std::string msg = "network_d type '" + node["type"].Scalar() +
                      "' is not supported by pairforge; supported: " + join(names, ", ");
    const std::string near = closest_name(type, names);
    if (!near.empty()) msg += " (did you mean '" + near + "'?)";
    yaml_fail(file, node["type"], msg);
  }
  YAML::Node rest(YAML::NodeType::Map);
  for (const auto& kv : node)
    if (kv.first.Scalar() != "type") rest[kv.first] = kv.second;
  const auto table = d_table(type);
  DArgs a;
  read_options(table, a, rest, file, "network_d (" + type + ")", warnings);
  if (type == "dunet" && a.num_feat % 2 != 0)
    yaml_fail(file, rest["num_feat"], "network_d (dunet): num_feat must be even (DySample groups)");
  NetworkDConfig c;
  c.type = type;
  c.num_in_ch = a.num_in_ch;
  c.num_feat = a.num_feat;
  c.skip_connection = a.skip_connection;
  c.yaml = "  type: " + type + "\n" + show_options(table, a, 2);
  c.where = yaml_where(file, node);
  return c;
}

std::string network_d_reference_markdown() {
  std::string md =
      "### `network_d`\n\nThe discriminator, built when a `ganloss` has a non-zero weight "
      "(traiNNer-redux's names and defaults; its files load as `pretrain_network_d`). Its "
      "inputs are the HQ crops, whose sides (lq_size x scale) must be multiples of 8.\n\n";
  for (const auto& a : kDArchs)
    md += "#### `type: " + std::string(a.name) + "` — " + a.about + "\n\n" +
          options_markdown(specs_of(d_table(a.name))) + "\n";
  return md;
}

torch::nn::AnyModule build_discriminator(const NetworkDConfig& c) {
  torch::nn::AnyModule m;
  if (c.type == "unetdiscriminatorsn") {
    models::UNetDiscriminatorSNOptions o;
    o.num_in_ch = c.num_in_ch;
    o.num_feat = c.num_feat;
    o.skip_connection = c.skip_connection;
    m = torch::nn::AnyModule(models::UNetDiscriminatorSN(o));
  } else {
    models::DUnetOptions o;
    o.num_in_ch = c.num_in_ch;
    o.num_feat = c.num_feat;
    m = torch::nn::AnyModule(models::DUnet(o));
  }
  m.ptr()->train();
  return m;
}

}  // namespace pf::train

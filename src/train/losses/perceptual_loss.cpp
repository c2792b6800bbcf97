// perceptualloss: traiNNer-redux's PerceptualLoss (perceptual_fp16_loss.py) on VGG19 features.
// Per layer (in VGG order) with weight w and alpha a:
//   w x [ (1 - a) x criterion1(conv or relu features)  +  a x w_lambda x criterion2(...) ]
// criterion charbonnier / l1 compare the conv layers (pre-activation) directly; pd (a
// per-channel CDF distance) and fd (sliced Wasserstein of random projections of the features'
// Fourier amplitude and phase) compare the relu layers; pd+l1 / fd+l1 do both. The total is
// clamped below at clip_min. The target's features carry no gradient.
//
// The VGG19 weights are torchvision's (vgg19-dcbb9e9d.pth), never downloaded: `vgg_weights`, or
// the places traiNNer-redux / torchvision keep them, and a clear error naming them otherwise.
#include <fmt/format.h>
#include <torch/all.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

#include "core/error.h"
#include "core/yaml_util.h"
#include "models/model.h"
#include "models/vgg.h"
#include "train/losses/registry.h"

namespace fs = std::filesystem;

namespace pf::train {

namespace {

constexpr const char* kVggFile = "vgg19-dcbb9e9d.pth";

struct PerceptualArgs {
  std::vector<std::pair<std::string, double>> layer_weights;  // empty: the criterion's default
  double w_lambda = 0.01;
  std::vector<double> alpha;  // empty: 0 for conv layers, 1 for relu layers
  std::string criterion;
  int64_t num_proj_fd = 256, stride_fd = 1;
  double phase_weight_fd = 1, clip_min = 0;
  bool antialiased = false, verbose_logging = false;
  std::string vgg_weights;
};

bool is_conv_criterion(const std::string& c) {
  return c == "l1" || c == "charbonnier" || c == "pd+l1" || c == "fd+l1";
}
bool is_relu_criterion(const std::string& c) {
  return c == "pd" || c == "fd" || c == "pd+l1" || c == "fd+l1";
}

Option<PerceptualArgs> layer_weights_option() {
  using P = PerceptualArgs;
  Option<P> o;
  o.spec = {"layer_weights", "mapping of layer: number", "~", "layers conv1_1 ... pool5",
            "VGG19 layers and their weights (default: conv1_2, conv2_2 0.1 and conv3_4, "
            "conv4_4, conv5_4 1 for l1 and charbonnier; the same relu layers for pd and fd; "
            "both for pd+l1 and fd+l1)"};
  o.reset = [](P& p) { p.layer_weights.clear(); };
  o.read = [](P& p, const YAML::Node& n, const std::string& f) {
    if (!n.IsMap()) yaml_fail(f, n, "layer_weights: expected a mapping of VGG19 layer: weight");
    const auto& names = models::vgg19_layer_names();
    p.layer_weights.clear();
    for (const auto& kv : n) {
      const std::string layer = kv.first.Scalar();
      if (std::find(names.begin(), names.end(), layer) == names.end()) {
        std::string msg = "layer_weights: VGG19 has no layer '" + layer + "'";
        const std::string near = closest_name(layer, names);
        if (!near.empty()) msg += " (did you mean '" + near + "'?)";
        yaml_fail(f, kv.first, msg + "; layers: " + join(names, ", "));
      }
      p.layer_weights.emplace_back(
          layer, read_number(kv.second, f, "layer_weights." + layer, -kInf, kInf));
    }
  };
  o.show = [](const P& p) {
    if (p.layer_weights.empty()) return std::string("~");
    std::vector<std::string> s;
    for (const auto& [k, v] : p.layer_weights) s.push_back(k + ": " + show_number(v));
    return "{" + join(s, ", ") + "}";
  };
  return o;
}

OptionTable<PerceptualArgs> table() {
  using P = PerceptualArgs;
  auto alpha = reals<P>("alpha", &P::alpha, {}, -kInf, kInf, 0,
                        "per layer (in VGG order), the share of criterion2 (pd/fd) against "
                        "criterion1 (l1/charbonnier)");
  alpha.spec.default_text = "~";
  alpha.spec.help += " (default: 0 for conv layers, 1 for relu layers)";
  return {
      layer_weights_option(),
      real<P>("w_lambda", &P::w_lambda, 0.01, 0, kInf, "multiplier of the pd/fd terms"),
      alpha,
      choice<P>("criterion", &P::criterion, "charbonnier",
                {"charbonnier", "l1", "pd+l1", "fd+l1", "pd", "fd"},
                "charbonnier / l1 on conv features; pd (CDF distance) / fd (Fourier "
                "projections) on relu features; pd+l1 / fd+l1 both"),
      integer<P>("num_proj_fd", &P::num_proj_fd, 256, 1, 65536, "fd: random projections"),
      real<P>("phase_weight_fd", &P::phase_weight_fd, 1, 0, kInf,
              "fd: weight of the phase against the amplitude"),
      integer<P>("stride_fd", &P::stride_fd, 1, 1, 64, "fd: stride of the 5x5 projections"),
      real<P>("clip_min", &P::clip_min, 0, -kInf, kInf, "the total is clamped below at this"),
      flag<P>("antialiased", &P::antialiased, false, "antialiased-cnns' VGG19 (blur pools)")
          .only_default("its weights come from antialiased-cnns, which pairforge does not read"),
      flag<P>("verbose_logging", &P::verbose_logging, false,
              "log every layer's term instead of the total (the total is then not clamped)"),
      text<P>("vgg_weights", &P::vgg_weights, "",
              "pairforge: torchvision's VGG19 weights file (vgg19-dcbb9e9d.pth); default: "
              "experiments/pretrained_models/ or $TORCH_HOME/hub/checkpoints/ (where "
              "torchvision keeps its downloads). Never downloaded"),
  };
}

// Where traiNNer-redux (basicsr's VGG_PRETRAIN_PATH) and torchvision's download cache keep it.
std::vector<std::string> vgg_search_paths() {
  std::vector<std::string> out = {(fs::path("experiments/pretrained_models") / kVggFile).string()};
  std::string torch_home;
  if (const char* th = std::getenv("TORCH_HOME")) {
    torch_home = th;
  } else if (const char* xdg = std::getenv("XDG_CACHE_HOME")) {
    torch_home = (fs::path(xdg) / "torch").string();
  } else if (const char* home = std::getenv("HOME")) {
    torch_home = (fs::path(home) / ".cache/torch").string();
  }
  if (!torch_home.empty())
    out.push_back((fs::path(torch_home) / "hub/checkpoints" / kVggFile).string());
  return out;
}

std::string resolve_vgg_weights(const PerceptualArgs& a, const YAML::Node& entry,
                                const std::string& file) {
  std::error_code ec;
  if (!a.vgg_weights.empty()) {
    if (!fs::is_regular_file(a.vgg_weights, ec))
      yaml_fail(file, entry["vgg_weights"],
                "perceptualloss: vgg_weights '" + a.vgg_weights +
                    "' is not a file (torchvision's VGG19 weights, " + kVggFile + ")");
    return a.vgg_weights;
  }
  const auto places = vgg_search_paths();
  for (const auto& p : places)
    if (fs::is_regular_file(p, ec)) return p;
  yaml_fail(file, entry["type"],
            std::string("perceptualloss needs torchvision's VGG19 weights (") + kVggFile +
                ", 548 MB), which pairforge never downloads. Copy it from a machine where "
                "torchvision fetched it (~/.cache/torch/hub/checkpoints/) or from "
                "https://download.pytorch.org/models/" +
                kVggFile + ", and put it at " + join(places, " or ") +
                ", or name it with `vgg_weights: PATH` in this loss");
}

torch::Tensor charbonnier(const torch::Tensor& x, const torch::Tensor& y) {
  return torch::sqrt((x - y).pow(2) + 1e-12).mean();
}

class PerceptualLoss final : public Loss {
 public:
  PerceptualLoss(PerceptualArgs a, std::string weights_path, const YAML::Node& entry,
                 const std::string& file)
      : a_(std::move(a)), weights_path_(std::move(weights_path)) {
    const bool conv = is_conv_criterion(a_.criterion), relu = is_relu_criterion(a_.criterion);
    std::map<std::string, double> weights;
    if (a_.layer_weights.empty()) {
      const std::pair<const char*, double> defaults[] = {
          {"1_2", 0.1}, {"2_2", 0.1}, {"3_4", 1.0}, {"4_4", 1.0}, {"5_4", 1.0}};
      for (const auto& [id, w] : defaults) {
        if (conv) weights[std::string("conv") + id] = w;
        if (relu) weights[std::string("relu") + id] = w;
      }
    } else {
      for (const auto& [k, v] : a_.layer_weights) weights[k] = v;
    }
    const auto at = [&](const char* key) { return entry[key] ? entry[key] : entry["type"]; };
    std::vector<std::string> layers;
    for (const auto& kv : weights) layers.push_back(kv.first);
    vgg_ = models::Vgg19Features(layers);
    for (const auto& l : vgg_->layers()) layer_weights_.push_back(weights.at(l));
    if (a_.alpha.empty()) {
      for (const auto& l : vgg_->layers()) a_.alpha.push_back(l.rfind("conv", 0) == 0 ? 0.0 : 1.0);
    } else if (a_.alpha.size() != vgg_->layers().size()) {
      yaml_fail(
          file, at("alpha"),
          "perceptualloss: alpha needs one value per layer (" + join(vgg_->layers(), ", ") + ")");
    }
    // criterion1 exists for the conv criteria, criterion2 for the relu ones (as upstream, where
    // a layer that needs the missing one fails at the first iteration).
    for (size_t i = 0; i < a_.alpha.size(); ++i) {
      const std::string& l = vgg_->layers()[i];
      if (a_.alpha[i] < 1 && !conv)
        yaml_fail(file, at("criterion"),
                  "perceptualloss: criterion " + a_.criterion + " compares relu layers with " +
                      "alpha 1; " + l + " has alpha " + show_number(a_.alpha[i]));
      if (a_.alpha[i] > 0 && !relu)
        yaml_fail(file, at("criterion"),
                  "perceptualloss: criterion " + a_.criterion +
                      " compares features directly (alpha 0); " + l + " has alpha " +
                      show_number(a_.alpha[i]) + " (use pd+l1 or fd+l1)");
    }
    if (relu && a_.criterion.find("fd") != std::string::npos) {
      // One set of unit-norm 5x5 projections per compared layer, drawn now from LibTorch's
      // generator (seeded with manual_seed), as upstream draws them when it is built.
      for (size_t i = 0; i < a_.alpha.size(); ++i) {
        if (!(a_.alpha[i] > 0)) continue;
        const int64_t channels = channels_of(vgg_->layers()[i]);
        auto rand = torch::randn({a_.num_proj_fd, channels, 5, 5});
        rand = rand / rand.view({rand.size(0), -1}).norm(2, {1}).view({-1, 1, 1, 1});
        projections_.push_back(rand);
      }
    }
  }

  LossParts forward(const torch::Tensor& out, const torch::Tensor& target) override {
    load(out);
    const auto x = vgg_->forward(out);
    std::vector<torch::Tensor> y;
    {
      torch::NoGradGuard no_grad;
      y = vgg_->forward(target.detach());
    }
    LossParts parts;
    auto total = torch::zeros({}, out.options());
    size_t second = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double alpha = a_.alpha[i];
      auto layer = torch::zeros({}, out.options());
      if (alpha < 1) layer = layer + criterion1(x[i], y[i]) * (1 - alpha);
      if (alpha > 0) {
        // fd's 5 x 5 projections are unpadded: a layer smaller than that has nothing to slice.
        if (a_.criterion.find("fd") != std::string::npos &&
            (x[i].size(-1) < 5 || x[i].size(-2) < 5))
          throw Error(fmt::format(
              "perceptualloss criterion {}: VGG19 layer {} is {}x{} for a {}x{} image, smaller "
              "than fd's 5x5 projections; use larger crops (lq_size x scale), or drop the layer "
              "from layer_weights",
              a_.criterion, vgg_->layers()[i], x[i].size(-1), x[i].size(-2), out.size(-1),
              out.size(-2)));
        layer = layer + criterion2(x[i], y[i], second++) * alpha * a_.w_lambda;
      }
      layer = layer * layer_weights_[i];
      if (a_.verbose_logging)
        parts.emplace_back(vgg_->layers()[i], layer);
      else
        total = total + layer;
    }
    if (a_.verbose_logging) return parts;
    return {{"", total.clamp_min(a_.clip_min)}};
  }

 private:
  static int64_t channels_of(const std::string& layer) {
    const int block = layer[layer.size() - 3] - '0';
    return std::min<int64_t>(512, int64_t{64} << (block - 1));
  }

  // The weights are read at the first use, on the training device: building the loss (which
  // the config check does too) stays cheap.
  void load(const torch::Tensor& like) {
    std::call_once(loaded_, [&] {
      vgg_->load_weights(weights_path_);
      vgg_->to(like.device());
      if (like.dim() == 4 && like.is_contiguous(torch::MemoryFormat::ChannelsLast))
        models::use_channels_last(*vgg_);
      for (auto& p : projections_) p = p.to(like.device());
    });
  }

  torch::Tensor criterion1(const torch::Tensor& x, const torch::Tensor& y) const {
    if (a_.criterion == "charbonnier") return charbonnier(x, y);
    return (x - y).abs().mean();
  }

  torch::Tensor criterion2(const torch::Tensor& x, const torch::Tensor& y, size_t i) const {
    if (a_.criterion.find("pd") != std::string::npos) return pd(x, y);
    return fd(x, y, projections_[i]);
  }

  // Distance between the per-channel CDFs of the (sum-normalised) features.
  static torch::Tensor pd(torch::Tensor x, torch::Tensor y) {
    x = x / (x.sum({2, 3}, true) + 1e-14);
    y = y / (y.sum({2, 3}, true) + 1e-14);
    const auto cx = x.reshape({x.size(0), x.size(1), -1}).cumsum(-1);
    const auto cy = y.reshape({y.size(0), y.size(1), -1}).cumsum(-1);
    return (cx - cy).abs().sum(-1).mean();
  }

  // Sliced Wasserstein distance of random projections of the spectra's amplitude and phase.
  torch::Tensor fd(const torch::Tensor& x, const torch::Tensor& y,
                   const torch::Tensor& rand) const {
    const auto fx = torch::fft::fftn(x, c10::nullopt, std::vector<int64_t>{-2, -1});
    const auto fy = torch::fft::fftn(y, c10::nullopt, std::vector<int64_t>{-2, -1});
    const auto amplitude = sliced(torch::abs(fx), torch::abs(fy), rand);
    const auto phase = sliced(torch::angle(fx), torch::angle(fy), rand);
    return (amplitude + phase * a_.phase_weight_fd).mean();
  }

  torch::Tensor sliced(const torch::Tensor& x, const torch::Tensor& y,
                       const torch::Tensor& rand) const {
    namespace F = torch::nn::functional;
    const auto opts = F::Conv2dFuncOptions().stride(a_.stride_fd);
    auto px = F::conv2d(x.contiguous(), rand, opts);
    auto py = F::conv2d(y.contiguous(), rand, opts);
    px = std::get<0>(px.reshape({px.size(0), px.size(1), -1}).sort(-1));
    py = std::get<0>(py.reshape({py.size(0), py.size(1), -1}).sort(-1));
    return (px - py).abs().mean({1, 2});
  }

  PerceptualArgs a_;
  std::string weights_path_;
  models::Vgg19Features vgg_{nullptr};
  std::vector<double> layer_weights_;
  std::vector<torch::Tensor> projections_;
  std::once_flag loaded_;
};

}  // namespace

LossInfo perceptual_loss_info() {
  return {"perceptualloss", loss_specs(table()),
          [](const YAML::Node& entry, const std::string& file, Warnings& w) {
            auto args = read_loss_options(table(), entry, file, "perceptualloss", w);
            std::string weights = resolve_vgg_weights(args, entry, file);
            return std::make_unique<PerceptualLoss>(std::move(args), std::move(weights), entry,
                                                    file);
          }};
}

}  // namespace pf::train

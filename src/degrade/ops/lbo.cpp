// lbo: AnimeSR's learnable basic operator, a small network fitted (`pairforge lbo fit`) to map
// pseudo-HR frames of a real low-quality video to the video's own frames: it downscales x2 the
// way that video was degraded. A list of files is a pool; each firing draws one. When it fires,
// the plain `resize` step right after it is skipped (OpInfo::replaces), so a chain reads as
// AnimeSR's "LBO or Down" x2 steps.
//
// The only operator that needs LibTorch: CMakeLists.txt compiles this file into pf_degrade, and
// lists it in the registry, only when the build has LibTorch (pf_models).
#include <torch/torch.h>

#include <map>
#include <memory>
#include <mutex>
#include <opencv2/core.hpp>

#include "core/error.h"
#include "degrade/op.h"
#include "models/model.h"

namespace pf::degrade {

namespace {

struct LboParams {
  std::string weights;
  std::string device;
};

torch::Device device_for(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  const bool gpu = torch::cuda::is_available();
  if (name == "cuda" && !gpu)
    throw InputError("lbo: device cuda was asked for, but LibTorch sees no GPU");
  return gpu ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
}

// Loaded operators by file and device, shared by every thread: loading reads and checks the
// file, which costs far more than one small forward pass. Forward passes only read the module,
// so concurrent use needs no lock.
std::shared_ptr<models::LoadedModel> cached_model(const std::string& path,
                                                  const torch::Device& device) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<models::LoadedModel>> cache;
  const std::string key = device.str() + "|" + path;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  auto model = std::make_shared<models::LoadedModel>(models::load_model(path));
  if (model->spec.arch != "LBO")
    throw ModelError(path + ": is a " + model->spec.arch +
                     " model; lbo needs a learned basic operator (AnimeSR's "
                     "SimpleDegradationArch, as `pairforge lbo fit` writes)");
  if (model->spec.in_ch != 3 || model->spec.out_ch != 3)
    throw ModelError(path + ": lbo needs an RGB operator (3 channels in and out)");
  model->net().eval();
  model->net().to(device);
  return cache.emplace(key, std::move(model)).first->second;
}

}  // namespace

class Lbo final : public TypedOp<LboParams, Lbo> {
 public:
  static const std::vector<Field<LboParams>>& table() {
    using P = LboParams;
    static const std::vector<Field<P>> t = {
        file_path<P>("weights", &P::weights,
                     "operator file (.safetensors or .pth with AnimeSR's keys main.{0,2,4}); a "
                     "list [a, b, c] is a pool, one drawn per firing"),
        choice<P>("device", &P::device, "auto", {"auto", "cpu", "cuda"},
                  "where it runs: auto = the GPU when LibTorch sees one (OTF training on a GPU), "
                  "else the CPU; results differ between devices in the last bits"),
    };
    return t;
  }

  void run(const LboParams& p, Pair& pair, Rng&) const {
    if (pair.lq.channels() != 3)
      throw Error("lbo: the LQ has " + std::to_string(pair.lq.channels()) +
                  " channels; learned operators work on RGB");
    if (p.weights.empty()) throw ConfigError("lbo: `weights:` names no operator file");
    const torch::Device device = device_for(p.device);
    const auto model = cached_model(p.weights, device);
    const int r = static_cast<int>(model->spec.get_int("downscale"));
    // The network needs sides divisible by its factor: pad by repeating the last row/column,
    // which gives ceil(side / r), the size a plain resize by 1/r rounds to.
    cv::Mat lq;
    cv::copyMakeBorder(pair.lq, lq, 0, (r - pair.lq.rows % r) % r, 0, (r - pair.lq.cols % r) % r,
                       cv::BORDER_REPLICATE);
    if (!lq.isContinuous()) lq = lq.clone();
    torch::InferenceMode inference;
    const auto input = torch::from_blob(lq.data, {1, lq.rows, lq.cols, 3}, torch::kFloat32)
                           .permute({0, 3, 1, 2})
                           .to(device)
                           .contiguous();
    const auto out = model->forward(input).squeeze(0).permute({1, 2, 0}).to(torch::kCPU);
    cv::Mat result(static_cast<int>(out.size(0)), static_cast<int>(out.size(1)), CV_32FC3);
    torch::from_blob(result.data, {out.size(0), out.size(1), 3}, torch::kFloat32).copy_(out);
    pair.lq = result;
  }
};

const OpInfo& op_lbo() {
  static const OpInfo info = [] {
    OpInfo i = make_op_info<Lbo>(
        "lbo",
        "downscale x2 with a learned basic operator (AnimeSR's LBO, from `pairforge lbo fit`); "
        "when it fires, a `resize` step right after it is skipped (the plain x2 downscale it "
        "stands in for)");
    i.replaces = "resize";
    return i;
  }();
  return info;
}

}  // namespace pf::degrade

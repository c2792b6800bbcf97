// The LibTorch half of the `lbo` operator (src/degrade/ops/lbo.cpp): loads AnimeSR's LBO files
// once per file and device, and runs one on an LQ image.
#include <torch/torch.h>

#include <map>
#include <memory>
#include <mutex>
#include <opencv2/core.hpp>

#include "core/error.h"
#include "degrade/learned/learned_ops.h"
#include "degrade/learned_op.h"
#include "models/model.h"

namespace pf::degrade {

namespace {

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

cv::Mat run_lbo(const std::string& weights, const std::string& device_name, const cv::Mat& in) {
  const torch::Device device = device_for(device_name);
  const auto model = cached_model(weights, device);
  const int r = static_cast<int>(model->spec.get_int("downscale"));
  // The network needs sides divisible by its factor: pad by repeating the last row/column,
  // which gives ceil(side / r), the size a plain resize by 1/r rounds to.
  cv::Mat lq;
  cv::copyMakeBorder(in, lq, 0, (r - in.rows % r) % r, 0, (r - in.cols % r) % r,
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
  return result;
}

}  // namespace

void install_learned_ops() {
  provide_lbo_network(&run_lbo);
}

}  // namespace pf::degrade

#include "models/vgg.h"

#include <torch/nn/functional.h>

#include <algorithm>

#include "core/error.h"
#include "models/checkpoint.h"
#include "models/model.h"

namespace pf::models {

namespace F = torch::nn::functional;

namespace {

// torchvision's cfg "E": channels per convolution, 0 for a 2x2 max-pool.
constexpr int64_t kConfig[] = {64,  64,  0,   128, 128, 0,   256, 256, 256, 256, 0,
                               512, 512, 512, 512, 0,   512, 512, 512, 512, 0};

}  // namespace

const std::vector<std::string>& vgg19_layer_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    int block = 1, conv = 1;
    for (int64_t c : kConfig) {
      const std::string id = std::to_string(block) + "_" + std::to_string(conv);
      if (c == 0) {
        out.push_back("pool" + std::to_string(block));
        ++block;
        conv = 1;
      } else {
        out.push_back("conv" + id);
        out.push_back("relu" + id);
        ++conv;
      }
    }
    return out;
  }();
  return names;
}

Vgg19FeaturesImpl::Vgg19FeaturesImpl(const std::vector<std::string>& layers) {
  const auto& names = vgg19_layer_names();
  for (const auto& l : layers) {
    const auto it = std::find(names.begin(), names.end(), l);
    if (it == names.end())
      throw ModelError("VGG19 has no layer '" + l + "' (conv1_1 ... relu5_4, pool1 ... pool5)");
    indices_.push_back(it - names.begin());
  }
  std::sort(indices_.begin(), indices_.end());
  indices_.erase(std::unique(indices_.begin(), indices_.end()), indices_.end());
  for (int64_t i : indices_) layers_.push_back(names[static_cast<size_t>(i)]);
  features_ = register_module("features", std::make_shared<torch::nn::Module>());
  const int64_t last = indices_.empty() ? -1 : indices_.back();
  int64_t index = 0, in = 3;
  for (int64_t c : kConfig) {
    if (index > last) break;
    if (c == 0) {
      ++index;
      continue;
    }
    // The first convolution pads by replication (traiNNer-redux swaps its padding mode).
    const int64_t pad = index == 0 ? 0 : 1;
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(in, c, 3).padding(pad));
    features_->register_module(std::to_string(index), conv);
    convs_.emplace_back(index, conv);
    in = c;
    index += 2;
  }
  mean_ = register_buffer("mean", torch::tensor({0.485, 0.456, 0.406}).view({1, 3, 1, 1}));
  std_ = register_buffer("std", torch::tensor({0.229, 0.224, 0.225}).view({1, 3, 1, 1}));
  for (auto& p : parameters()) p.set_requires_grad(false);
  eval();
}

std::vector<torch::Tensor> Vgg19FeaturesImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> out;
  if (indices_.empty()) return out;
  auto h = (x - mean_) / std_;
  size_t want = 0, conv = 0;
  const auto& names = vgg19_layer_names();
  for (int64_t i = 0; i <= indices_.back(); ++i) {
    const std::string& n = names[static_cast<size_t>(i)];
    if (n.rfind("conv", 0) == 0) {
      if (i == 0) h = F::pad(h, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate));
      h = convs_[conv++].second->forward(h);
    } else if (n.rfind("relu", 0) == 0) {
      h = torch::relu(h);  // not in place: a conv layer's output may be one of the features
    } else {
      h = F::max_pool2d(h, F::MaxPool2dFuncOptions(2).stride(2));
    }
    if (i == indices_[want]) {
      out.push_back(h);
      ++want;
    }
  }
  return out;
}

void Vgg19FeaturesImpl::load_weights(const std::string& path) {
  const Checkpoint ck = read_checkpoint(path);
  torch::NoGradGuard no_grad;
  for (auto& [index, conv] : convs_) {
    for (const char* part : {"weight", "bias"}) {
      const std::string key = "features." + std::to_string(index) + "." + part;
      const RawTensor* t = find_tensor(ck.tensors, key);
      torch::Tensor& dst = std::string(part) == "weight" ? conv->weight : conv->bias;
      if (!t)
        throw ModelError(path + ": '" + key +
                         "' is missing: not torchvision's VGG19 (vgg19-dcbb9e9d.pth) layout");
      if (t->shape != dst.sizes().vec())
        throw ModelError(path + ": '" + key + "' has shape " + shape_to_string(t->shape) +
                         ", VGG19 needs " + shape_to_string(dst.sizes().vec()) +
                         " (is it VGG19, not VGG16?)");
      dst.copy_(to_torch(*t).to(torch::kFloat32));
    }
  }
}

}  // namespace pf::models

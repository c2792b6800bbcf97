// torchvision's VGG19 `features` as the perceptual losses use it: the layers up to the deepest
// one asked for, by name (conv1_1, relu1_1, ..., pool5), with ImageNet normalisation first and
// replicate padding on the first convolution (traiNNer-redux's VGG). Weights come from a local
// torchvision-layout file (vgg19-dcbb9e9d.pth: features.N.weight / features.N.bias), read with
// the restricted unpickler; pairforge never downloads them.
#pragma once
#include <torch/nn.h>

#include <string>
#include <vector>

namespace pf::models {

// VGG19's layer names in order; index i is torchvision's features[i].
const std::vector<std::string>& vgg19_layer_names();

struct Vgg19FeaturesImpl : torch::nn::Module {
  // `layers`: names from vgg19_layer_names(), any order (outputs come in VGG order);
  // ModelError naming an unknown one.
  explicit Vgg19FeaturesImpl(const std::vector<std::string>& layers);
  // x: N x 3 x H x W RGB in [0, 1]. The outputs of `layers()`, in that order.
  std::vector<torch::Tensor> forward(const torch::Tensor& x);
  const std::vector<std::string>& layers() const { return layers_; }
  // Loads features.N.* from a torchvision-layout .pth or .safetensors; ModelError naming the
  // file and what is missing or mis-shaped.
  void load_weights(const std::string& path);

 private:
  std::vector<std::string> layers_;  // requested, in VGG order
  std::vector<int64_t> indices_;     // their features[] indices
  std::shared_ptr<torch::nn::Module> features_;
  std::vector<std::pair<int64_t, torch::nn::Conv2d>> convs_;  // features[] index -> conv
  torch::Tensor mean_, std_;
};
TORCH_MODULE(Vgg19Features);

}  // namespace pf::models

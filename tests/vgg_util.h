// A random VGG19 in torchvision's file layout (features.N.weight / .bias, a plain state dict as
// torch.save(vgg19().state_dict()) writes it), written with pairforge's own .pth writer: the
// perceptual tests need VGG19 weights, and nobody here has the real ones.
#pragma once
#include <torch/torch.h>

#include <string>

#include "models/checkpoint.h"
#include "models/model.h"

namespace pf::test {

inline void write_random_vgg19(const std::string& path, uint64_t seed = 0) {
  torch::manual_seed(seed);
  const int64_t config[] = {64,  64,  0,   128, 128, 0,   256, 256, 256, 256, 0,
                            512, 512, 512, 512, 0,   512, 512, 512, 512, 0};
  models::NamedTensors tensors;
  int64_t index = 0, in = 3;
  for (int64_t c : config) {
    if (c == 0) {
      ++index;
      continue;
    }
    // He-like scale keeps the features of the deeper layers in a sensible range.
    const double std = std::sqrt(2.0 / static_cast<double>(in * 9));
    tensors.emplace_back("features." + std::to_string(index) + ".weight",
                         models::from_torch(torch::randn({c, in, 3, 3}) * std));
    tensors.emplace_back("features." + std::to_string(index) + ".bias",
                         models::from_torch(torch::randn({c}) * 0.01));
    in = c;
    index += 2;
  }
  // torchvision's classifier is in the file too; the loss ignores it.
  tensors.emplace_back("classifier.6.bias", models::from_torch(torch::zeros({1000})));
  models::PthOptions plain;
  plain.key = "";
  models::write_checkpoint(path, tensors, {}, plain);
}

}  // namespace pf::test

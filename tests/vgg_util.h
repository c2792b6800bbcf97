// A random VGG19 in torchvision's file layout (features.N.weight / .bias, a plain state dict as
// torch.save(vgg19().state_dict()) writes it), written with pairforge's own .pth writer: the
// perceptual tests need VGG19 weights, and nobody here has the real ones. No LibTorch needed,
// so the CLI tests use it too.
#pragma once
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "models/checkpoint.h"

namespace pf::test {

inline void write_random_vgg19(const std::string& path, uint64_t seed = 0) {
  std::mt19937_64 rng(seed);
  const auto normal = [&](std::vector<int64_t> shape, double std) {
    models::RawTensor t;
    t.shape = shape;
    size_t n = 1;
    for (int64_t s : shape) n *= static_cast<size_t>(s);
    std::normal_distribution<float> draw(0.f, static_cast<float>(std));
    std::vector<float> v(n);
    for (auto& x : v) x = draw(rng);
    t.bytes.resize(n * sizeof(float));
    std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
    return t;
  };
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
    tensors.emplace_back("features." + std::to_string(index) + ".weight",
                         normal({c, in, 3, 3}, std::sqrt(2.0 / static_cast<double>(in * 9))));
    tensors.emplace_back("features." + std::to_string(index) + ".bias", normal({c}, 0.01));
    in = c;
    index += 2;
  }
  // torchvision's classifier is in the file too; the loss ignores it.
  tensors.emplace_back("classifier.6.bias", normal({1000}, 0.0));
  models::PthOptions plain;
  plain.key = "";
  models::write_checkpoint(path, tensors, {}, plain);
}

}  // namespace pf::test

// The LBO's training samples: aligned crops of a pseudo-HR frame (the network's input) and of
// the real LR frame it came from (the target, half the size), drawn from the sample's seed
// alone as every source of the trainer is (train/data.h), so runs repeat and resume exactly.
#pragma once
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "train/data.h"
#include "train/data/image_store.h"

namespace pf::lbo {

struct LboFrame {
  std::string name;
  torch::Tensor pseudo_hr;  // 3 x 2H x 2W uint8 (or float32 in [0, 1])
  torch::Tensor lr;         // 3 x H x W, same type
};

class LboPairSource final : public train::SampleSource {
 public:
  // `lr_crop`: side of the target crop (the input crop is twice that). Throws InputError
  // naming a frame whose pseudo-HR is not twice its LR or whose LR is smaller than a crop.
  LboPairSource(std::vector<LboFrame> frames, int64_t lr_crop, bool hflip, bool rot);
  // lq: the pseudo-HR crop (network input), gt: the LR crop (target), as the trainer feeds
  // lq to the network and compares its output with gt.
  train::Sample sample(const train::SampleKey& key) const override;
  std::string describe() const override;

 private:
  std::vector<LboFrame> frames_;
  int64_t crop_;
  bool hflip_, rot_;
  train::EpochOrder order_;
};

}  // namespace pf::lbo

// What the trainer consumes: samples (an LQ crop and its HQ crop) from a source that makes each
// sample from a seed alone, so the stream is the same whatever the thread count and a resumed
// run continues it exactly; and validation pairs. The sources that read image folders and run
// the degradation engine live in train/data/ (they need OpenCV); the trainer itself only needs
// LibTorch.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace pf::train {

struct Sample {
  torch::Tensor lq, gt;  // 3 x h x w and 3 x h*scale x w*scale, float32 [0, 1]
};

// Identifies one sample of the training stream: its seed is mix(manual_seed, iteration, slot)
// and `ordinal` counts samples from the start of training (epoch-style shuffling uses it).
struct SampleKey {
  uint64_t seed = 0;    // this sample's own seed
  uint64_t stream = 0;  // manual_seed: shared by every sample (epoch permutations)
  int64_t ordinal = 0;
};

class SampleSource {
 public:
  virtual ~SampleSource() = default;
  // Pure in `key` and thread-safe. Throws pf::InputError for a bad pair (size mismatch...).
  virtual Sample sample(const SampleKey& key) const = 0;
  virtual std::string describe() const = 0;
};

// Several sources drawn by weight (datasets train, train_2, ...; OTF mixed with paired LQ).
class MixedSource final : public SampleSource {
 public:
  MixedSource(std::vector<std::shared_ptr<const SampleSource>> sources,
              std::vector<double> weights);
  Sample sample(const SampleKey& key) const override;
  std::string describe() const override;

 private:
  std::vector<std::shared_ptr<const SampleSource>> sources_;
  std::vector<double> cumulative_;
};

struct ValItem {
  std::string name;      // file stem, names the visualization folder
  torch::Tensor lq, gt;  // 3 x h x w float32 [0, 1]; gt cropped to lq x scale
  std::string lq_path, gt_path;
};

// Writes an image (3 x H x W float, clamped and rounded to 8 bits) as PNG, atomically.
using ImageWriter = std::function<void(const std::string& path, const torch::Tensor& chw)>;

}  // namespace pf::train

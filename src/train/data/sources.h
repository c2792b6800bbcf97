// The sample sources behind the dataset types:
//   pairedimagedataset  PairedSource: HQ/LQ files matched by name, aligned random crops
//   otfdataset          OtfSource: HQ crops degraded by an engine preset in the loader threads
//   realesrgandataset   OtfSource with traiNNer-redux's high_order_degradation keys translated
//                       into an engine pipeline (realesrgan_otf.h), mixed with the paired LQ
//                       when dataroot_lq_prob > 0
// Every sample is made from its key alone: image by epoch order, crop, flips and degradation
// from the sample's seed.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "train/config.h"
#include "train/data.h"
#include "train/data/image_store.h"

namespace pf::degrade {
struct DegradeConfig;
}

namespace pf::train {

struct ImagePair {
  std::string gt, lq;  // lq empty for HQ-only lists
};

// Lists the HQ files of `d` (meta_info or every image under dataroot_gt, recursively, sorted)
// and, with `with_lq`, their LQ twins (same relative name through filename_tmpl, any image
// extension). Files whose header is unreadable are skipped with a warning; HQ files without an
// LQ twin too. With a scale, each pair's sizes are checked (LQ x scale == HQ): InputError naming
// the pair otherwise. Images smaller than the crop (LQ under min_lq; HQ-only lists: HQ under
// min_lq x scale) are left out, counted and named in one warning (HQ-only lists keep them with
// d.small_images == "upscale"); when none fits, InputError naming the sizes and the largest
// lq_size that would. Throws InputError when nothing is left.
std::vector<ImagePair> list_pairs(const DatasetOptions& d, bool with_lq, int64_t scale,
                                  int64_t min_lq, Warnings& warnings);

struct CropOptions {
  int64_t lq_size = 64, scale = 2;
  bool hflip = true, rot = true;
};

class PairedSource final : public SampleSource {
 public:
  PairedSource(std::vector<ImagePair> pairs, CropOptions crop, std::shared_ptr<ImageStore> store,
               std::string label);
  Sample sample(const SampleKey& key) const override;
  std::string describe() const override;

 private:
  std::vector<ImagePair> pairs_;
  CropOptions crop_;
  std::shared_ptr<ImageStore> store_;
  EpochOrder order_;
  std::string label_;
};

class OtfSource final : public SampleSource {
 public:
  OtfSource(std::vector<ImagePair> hq, CropOptions crop,
            std::shared_ptr<const degrade::DegradeConfig> degradation,
            std::shared_ptr<ImageStore> store, std::string label);
  Sample sample(const SampleKey& key) const override;
  std::string describe() const override;

 private:
  std::vector<ImagePair> hq_;
  CropOptions crop_;
  std::shared_ptr<const degrade::DegradeConfig> degradation_;
  std::shared_ptr<ImageStore> store_;
  EpochOrder order_;
  std::string label_;
};

// Random flips / rotation of a sample (basicsr's augment: hflip, vflip, transpose, each with
// probability 1/2), the same for LQ and HQ.
Sample augment(Sample s, const CropOptions& crop, uint64_t seed);

}  // namespace pf::train

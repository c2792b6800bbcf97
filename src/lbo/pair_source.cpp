#include "lbo/pair_source.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/rng.h"
#include "train/data/sources.h"

namespace pf::lbo {

LboPairSource::LboPairSource(std::vector<LboFrame> frames, int64_t lr_crop, bool hflip, bool rot)
    : frames_(std::move(frames)),
      crop_(lr_crop),
      hflip_(hflip),
      rot_(rot),
      order_(static_cast<int64_t>(frames_.size())) {
  if (frames_.empty()) throw InputError("LBO training: no frame pairs");
  for (const auto& f : frames_) {
    if (f.pseudo_hr.size(1) != 2 * f.lr.size(1) || f.pseudo_hr.size(2) != 2 * f.lr.size(2))
      throw InputError(
          fmt::format("LBO training: frame {}: pseudo-HR {}x{} is not twice its LR {}x{}", f.name,
                      f.pseudo_hr.size(2), f.pseudo_hr.size(1), f.lr.size(2), f.lr.size(1)));
    if (f.lr.size(1) < crop_ || f.lr.size(2) < crop_)
      throw InputError(fmt::format(
          "LBO training: frame {} is {}x{}, smaller than a crop ({} LR pixels; lower gt_size)",
          f.name, f.lr.size(2), f.lr.size(1), crop_));
  }
}

train::Sample LboPairSource::sample(const train::SampleKey& key) const {
  const LboFrame& f = frames_[static_cast<size_t>(order_.pick(key.stream, key.ordinal))];
  Rng rng(key.seed);
  const auto below = [&](int64_t n) { return n <= 1 ? int64_t{0} : rng.uniform_int(0, n - 1); };
  const int64_t top = below(f.lr.size(1) - crop_ + 1), left = below(f.lr.size(2) - crop_ + 1);
  train::Sample s;
  s.lq = train::as_float(
      f.pseudo_hr.slice(1, 2 * top, 2 * (top + crop_)).slice(2, 2 * left, 2 * (left + crop_)));
  s.gt = train::as_float(f.lr.slice(1, top, top + crop_).slice(2, left, left + crop_));
  train::CropOptions flips;
  flips.hflip = hflip_;
  flips.rot = rot_;
  return train::augment(std::move(s), flips, key.seed);
}

std::string LboPairSource::describe() const {
  return fmt::format("{} pseudo-HR/LR frame pairs, {} px LR crops", frames_.size(), crop_);
}

}  // namespace pf::lbo

// traiNNer-redux's on-the-fly degradation keys (high_order_degradation and the
// realesrgandataset kernel keys) as an engine pipeline: the same two stages in the same order
// with the same probabilities and ranges, written as a degradation config so that it runs in
// the engine's loader threads, is checked by the engine's parser and can be inspected with
// `pairforge degrade --explain`. configs/train/README.md documents the mapping.
#pragma once
#include <string>

#include "train/config.h"

namespace pf::train {

// The YAML text of the equivalent degradation config at `scale`.
std::string realesrgan_otf_yaml(const HighOrderOptions& o, const DatasetOptions& d, int64_t scale);

}  // namespace pf::train

// Mixed precision for a scope (CUDA only): the network's forward passes run under autocast,
// the losses in float32 as traiNNer-redux's custom_fwd(cast_inputs=float32) losses do.
#pragma once
#include <ATen/autocast_mode.h>

namespace pf::train {

class AutocastScope {
 public:
  AutocastScope(bool enabled, c10::ScalarType dtype) : enabled_(enabled) {
    if (!enabled_) return;
    at::autocast::set_enabled(true);
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!enabled_) return;
    at::autocast::decrement_nesting();
    at::autocast::clear_cache();
    at::autocast::set_enabled(false);
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enabled_;
};

}  // namespace pf::train

// ONNX export built node by node with the ONNX library's protobuf classes (no Python, no
// tracing): input `input`, output `output`, NCHW, float32 or float16, batch/height/width
// dynamic unless a static size is asked for. Compact, SPAN (reparameterised: one conv per
// Conv3XC) and Real-CUGAN (every variant; onnx_realcugan.cpp). The graph passes onnx::checker
// before it is written.
#pragma once
#include <cstdint>
#include <string>

#include "models/model.h"

namespace pf::infer {

struct ExportOptions {
  int opset = 17;        // 13..17 (Resize with an empty roi needs 13)
  bool fp16 = false;     // float16 weights, input and output
  int64_t static_h = 0;  // > 0 together with static_w: fixed input size (OpenCV DNN)
  int64_t static_w = 0;
  int64_t static_batch = 1;  // the batch size when the size is static
  std::string source;        // written to the metadata (the model file name)
  double cugan_alpha = 1.0;  // Real-CUGAN's strength, baked into the graph (metadata "alpha")
};

// "HxW" (e.g. 64x48 is 64 high, 48 wide); ConfigError otherwise.
void parse_static_size(const std::string& text, ExportOptions& options);

// The serialised, checked ModelProto. Throws ModelError for an architecture that cannot be
// exported and ConfigError for a bad opset, an alpha on a model other than Real-CUGAN or a
// static size too small for Real-CUGAN's padding. SPAN modules are reparameterised in place.
std::string export_onnx_bytes(models::LoadedModel& model, const ExportOptions& options);
// The same, written to `path` through a temp file and a rename (IoError on failure).
void export_onnx(models::LoadedModel& model, const std::string& path, const ExportOptions& options);

}  // namespace pf::infer

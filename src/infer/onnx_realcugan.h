// Real-CUGAN's ONNX graph, a node-for-node copy of RealCUGANImpl::forward (models/realcugan.cpp):
// the pro input range, the reflect padding to a multiple plus context, the fast variant's
// pixel-unshuffle, both UNets (unpadded convs, SE blocks, transposed convs, crops), the alpha
// knob, conv_final + pixel-shuffle, the crop to scale x input and the nearest-upsampled input
// added back (4x, fast). Padding and crop sizes come from the input's shape (Shape, Slice,
// integer arithmetic: valid for opsets 13..17) or are constants when the size is static.
#pragma once
#include <string>

#include "infer/onnx_export.h"
#include "infer/onnx_graph.h"
#include "models/realcugan.h"

namespace pf::infer {

// Writes the graph from `input` to `output`. `options.cugan_alpha` replaces the module's alpha.
// ConfigError when a static size is too small for the model's context padding.
void realcugan_graph(GraphBuilder& g, models::RealCUGANImpl& net, const ExportOptions& options);

}  // namespace pf::infer

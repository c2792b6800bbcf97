// The node-by-node ONNX graph builder shared by the per-architecture writers (onnx_export.cpp
// for Compact and SPAN, onnx_realcugan.cpp): initializers and nodes with unique value names,
// and the layers our models are made of, each reproducing its LibTorch counterpart exactly.
#pragma once
#include <onnx/onnx_pb.h>
#include <torch/nn.h>

#include <cstdint>
#include <string>
#include <vector>

namespace pf::infer {

class GraphBuilder {
 public:
  GraphBuilder(onnx::GraphProto& graph, bool fp16) : graph_(graph), fp16_(fp16) {}

  int elem_type() const { return fp16_ ? onnx::TensorProto::FLOAT16 : onnx::TensorProto::FLOAT; }

  // A weight (or scalar constant) in the model's precision.
  std::string weight(const std::string& name, const torch::Tensor& t);
  // A 1-D float32 initializer whatever the precision (Resize's scales must be float).
  std::string float_constant(const std::string& name, const std::vector<float>& values);
  // A 1-D int64 initializer (shapes, pads, Slice bounds).
  std::string int_constant(const std::string& name, const std::vector<int64_t>& values);

  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::string& output = "");
  static const std::string& out(const onnx::NodeProto& n) { return n.output(0); }

  // Kernel, stride and padding are read from the module's options (zero padding only);
  // `weight`, when defined, replaces the module's (same shape).
  std::string conv(const std::string& x, const std::string& prefix, torch::nn::Conv2dImpl& c,
                   const torch::Tensor& weight = {});
  std::string conv_transpose(const std::string& x, const std::string& prefix,
                             torch::nn::ConvTranspose2dImpl& c);

  std::string unary(const std::string& op, const std::string& x) { return out(node(op, {x})); }
  std::string binary(const std::string& op, const std::string& a, const std::string& b) {
    return out(node(op, {a, b}));
  }
  std::string silu(const std::string& x) { return binary("Mul", x, unary("Sigmoid", x)); }
  std::string leaky_relu(const std::string& x, double slope);

  // PyTorch's pixel_shuffle (CRD order).
  std::string depth_to_space(const std::string& x, int64_t block, const std::string& name = "");
  // PyTorch's pixel_unshuffle up to the channel order: SpaceToDepth's channel (i * b + j) * C + c
  // is pixel_unshuffle's c * b² + i * b + j.
  std::string space_to_depth(const std::string& x, int64_t block);
  // Entry m: the pixel_unshuffle channel that SpaceToDepth's channel m holds. A conv reading
  // pixel_unshuffle's output reads SpaceToDepth's with weight.index_select(1, order): no
  // reordering node (OpenCV 4.6 DNN has no Gather with several indices).
  static torch::Tensor unshuffle_order(int64_t channels, int64_t block);
  // Nearest upsampling by an integer factor: floor(asymmetric) indexing copies each pixel s x s
  // times, like repeat_interleave and F.interpolate(mode="nearest").
  std::string nearest_upsample(const std::string& x, int64_t scale, const std::string& name = "");
  // Cuts `n` pixels from every side of H and W (valid for any input size: negative ends).
  std::string crop(const std::string& x, int64_t n);
  // Slice on H and W with int64 tensors `starts` and `ends` (values or computed).
  std::string slice_hw(const std::string& x, const std::string& starts, const std::string& ends,
                       const std::string& name = "");

  static void ints(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v);
  static void integer(onnx::NodeProto& n, const std::string& name, int64_t v);
  static void real(onnx::NodeProto& n, const std::string& name, float v);
  static void text(onnx::NodeProto& n, const std::string& name, const std::string& v);

 private:
  std::string unique(const std::string& stem) { return stem + "_" + std::to_string(counter_++); }

  onnx::GraphProto& graph_;
  bool fp16_;
  int counter_ = 0;
  std::string axes_hw_;  // the one {2, 3} initializer every H/W Slice shares
};

}  // namespace pf::infer

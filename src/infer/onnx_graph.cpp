#include "infer/onnx_graph.h"

#include <torch/torch.h>

#include "core/error.h"

namespace pf::infer {
namespace {

// Kernel, stride and symmetric padding of a conv or transposed conv; anything our exporter
// does not write (dilation, groups, non-zero padding modes, "same") is refused rather than
// silently dropped.
struct ConvGeometry {
  std::vector<int64_t> kernel, strides, pads;
};

ConvGeometry geometry(const torch::nn::detail::ConvNdOptions<2>& o, const std::string& prefix) {
  const auto* pad = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
  const auto& d = *o.dilation();
  const auto& op = *o.output_padding();
  if (!pad || o.groups() != 1 || d[0] != 1 || d[1] != 1 || op[0] != 0 || op[1] != 0 ||
      !c10::get_if<torch::enumtype::kZeros>(&o.padding_mode()))
    throw ModelError("ONNX export: '" + prefix +
                     "' uses a convolution setting the exporter does not write (groups, "
                     "dilation, output padding, padding mode or 'same'/'valid' padding)");
  const auto& k = *o.kernel_size();
  const auto& s = *o.stride();
  const auto& p = **pad;
  return {{k[0], k[1]}, {s[0], s[1]}, {p[0], p[1], p[0], p[1]}};
}

}  // namespace

std::string GraphBuilder::weight(const std::string& name, const torch::Tensor& t) {
  auto value = t.detach().to(torch::kCPU, fp16_ ? torch::kFloat16 : torch::kFloat32).contiguous();
  auto* init = graph_.add_initializer();
  init->set_name(name);
  init->set_data_type(elem_type());
  for (auto d : value.sizes()) init->add_dims(d);
  init->set_raw_data(
      std::string(static_cast<const char*>(value.data_ptr()), static_cast<size_t>(value.nbytes())));
  return name;
}

std::string GraphBuilder::float_constant(const std::string& name,
                                         const std::vector<float>& values) {
  auto* init = graph_.add_initializer();
  init->set_name(name);
  init->set_data_type(onnx::TensorProto::FLOAT);
  init->add_dims(static_cast<int64_t>(values.size()));
  for (float v : values) init->add_float_data(v);
  return name;
}

std::string GraphBuilder::int_constant(const std::string& name,
                                       const std::vector<int64_t>& values) {
  auto* init = graph_.add_initializer();
  init->set_name(name);
  init->set_data_type(onnx::TensorProto::INT64);
  init->add_dims(static_cast<int64_t>(values.size()));
  for (int64_t v : values) init->add_int64_data(v);
  return name;
}

onnx::NodeProto& GraphBuilder::node(const std::string& op, const std::vector<std::string>& inputs,
                                    const std::string& output) {
  auto* n = graph_.add_node();
  n->set_op_type(op);
  n->set_name(op + "_" + std::to_string(counter_));
  for (const auto& in : inputs) n->add_input(in);
  n->add_output(output.empty() ? op + "_out_" + std::to_string(counter_) : output);
  ++counter_;
  return *n;
}

std::string GraphBuilder::conv(const std::string& x, const std::string& prefix,
                               torch::nn::Conv2dImpl& c, const torch::Tensor& w) {
  const auto g = geometry(c.options, prefix);
  std::vector<std::string> inputs{x, weight(prefix + ".weight", w.defined() ? w : c.weight)};
  if (c.bias.defined()) inputs.push_back(weight(prefix + ".bias", c.bias));
  auto& n = node("Conv", inputs);
  ints(n, "kernel_shape", g.kernel);
  ints(n, "strides", g.strides);
  ints(n, "pads", g.pads);
  return out(n);
}

std::string GraphBuilder::conv_transpose(const std::string& x, const std::string& prefix,
                                         torch::nn::ConvTranspose2dImpl& c) {
  // Same weight layout as PyTorch ([in, out, kH, kW]) and, without output_shape, the same
  // output size: stride * (in - 1) + kernel - pad_begin - pad_end.
  const auto g = geometry(c.options, prefix);
  std::vector<std::string> inputs{x, weight(prefix + ".weight", c.weight)};
  if (c.bias.defined()) inputs.push_back(weight(prefix + ".bias", c.bias));
  auto& n = node("ConvTranspose", inputs);
  ints(n, "kernel_shape", g.kernel);
  ints(n, "strides", g.strides);
  ints(n, "pads", g.pads);
  return out(n);
}

std::string GraphBuilder::leaky_relu(const std::string& x, double slope) {
  auto& n = node("LeakyRelu", {x});
  real(n, "alpha", static_cast<float>(slope));
  return out(n);
}

std::string GraphBuilder::depth_to_space(const std::string& x, int64_t block,
                                         const std::string& name) {
  auto& n = node("DepthToSpace", {x}, name);
  integer(n, "blocksize", block);
  text(n, "mode", "CRD");  // PyTorch's pixel_shuffle channel order
  return out(n);
}

std::string GraphBuilder::space_to_depth(const std::string& x, int64_t block) {
  auto& n = node("SpaceToDepth", {x});
  integer(n, "blocksize", block);
  return out(n);
}

torch::Tensor GraphBuilder::unshuffle_order(int64_t channels, int64_t block) {
  const int64_t b2 = block * block;
  auto order = torch::empty({channels * b2}, torch::kLong);
  auto* o = order.data_ptr<int64_t>();
  for (int64_t k = 0; k < b2; ++k)
    for (int64_t c = 0; c < channels; ++c) o[k * channels + c] = c * b2 + k;
  return order;
}

std::string GraphBuilder::nearest_upsample(const std::string& x, int64_t scale,
                                           const std::string& name) {
  const auto s = static_cast<float>(scale);
  auto& resize =
      node("Resize", {x, "", float_constant(unique("upscale_factors"), {1, 1, s, s})}, name);
  text(resize, "mode", "nearest");
  text(resize, "coordinate_transformation_mode", "asymmetric");
  text(resize, "nearest_mode", "floor");
  return out(resize);
}

std::string GraphBuilder::crop(const std::string& x, int64_t n) {
  return slice_hw(x, int_constant(unique("crop_starts"), {n, n}),
                  int_constant(unique("crop_ends"), {-n, -n}));
}

std::string GraphBuilder::slice_hw(const std::string& x, const std::string& starts,
                                   const std::string& ends, const std::string& name) {
  if (axes_hw_.empty()) axes_hw_ = int_constant("axes_hw", {2, 3});
  return out(node("Slice", {x, starts, ends, axes_hw_}, name));
}

void GraphBuilder::ints(onnx::NodeProto& n, const std::string& name,
                        const std::vector<int64_t>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto x : v) a->add_ints(x);
}

void GraphBuilder::integer(onnx::NodeProto& n, const std::string& name, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void GraphBuilder::real(onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

void GraphBuilder::text(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}

}  // namespace pf::infer

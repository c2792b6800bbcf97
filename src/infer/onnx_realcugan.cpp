#include "infer/onnx_realcugan.h"

#include <torch/torch.h>

#include "core/error.h"

namespace pf::infer {
namespace {

constexpr double kSlope = 0.1;  // every LeakyReLU of Real-CUGAN

std::string lrelu(GraphBuilder& g, const std::string& x) {
  return g.leaky_relu(x, kSlope);
}

std::string scalar(GraphBuilder& g, const std::string& name, double value) {
  return g.weight(name, torch::tensor({value}));
}

// conv.0-3 (conv, LeakyReLU, conv, LeakyReLU), then the SE gain when the block has one.
// `input_order`, when defined, reorders conv.0's input channels (see unshuffle_order).
std::string unet_conv(GraphBuilder& g, std::string x, const std::string& prefix,
                      models::UNetConvImpl& m, const torch::Tensor& input_order = {}) {
  for (const auto& item : m.conv->named_children()) {
    const std::string name = prefix + ".conv." + item.key();
    auto* child = item.value().get();
    auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(child);
    if (conv && item.key() == "0" && input_order.defined())
      x = g.conv(x, name, *conv, conv->weight.index_select(1, input_order));
    else if (conv)
      x = g.conv(x, name, *conv);
    else if (auto* leaky = dynamic_cast<torch::nn::LeakyReLUImpl*>(child))
      x = g.leaky_relu(x, leaky->options.negative_slope());
    else
      throw ModelError("ONNX export: unexpected layer '" + name + "' in Real-CUGAN");
  }
  if (!m.se1) return x;
  auto gain = g.unary("GlobalAveragePool", x);  // = mean over H, W with keepdim
  gain = g.unary("Relu", g.conv(gain, prefix + ".seblock.conv1", *m.se1));
  gain = g.unary("Sigmoid", g.conv(gain, prefix + ".seblock.conv2", *m.se2));
  return g.binary("Mul", x, gain);
}

std::string unet1(GraphBuilder& g, const std::string& x, models::UNet1Impl& u,
                  const torch::Tensor& input_order) {
  auto x1 = unet_conv(g, x, "unet1.conv1", *u.conv1, input_order);
  auto x2 = lrelu(g, g.conv(x1, "unet1.conv1_down", *u.conv1_down));
  x1 = g.crop(x1, 4);
  x2 = unet_conv(g, x2, "unet1.conv2", *u.conv2);
  x2 = lrelu(g, g.conv_transpose(x2, "unet1.conv2_up", *u.conv2_up));
  const auto x3 = lrelu(g, g.conv(g.binary("Add", x1, x2), "unet1.conv3", *u.conv3));
  return g.conv_transpose(x3, "unet1.conv_bottom", *u.conv_bottom);
}

std::string unet2(GraphBuilder& g, const std::string& x, models::UNet2Impl& u, double alpha) {
  auto x1 = unet_conv(g, x, "unet2.conv1", *u.conv1);
  auto x2 = lrelu(g, g.conv(x1, "unet2.conv1_down", *u.conv1_down));
  x1 = g.crop(x1, 16);
  x2 = unet_conv(g, x2, "unet2.conv2", *u.conv2);
  auto x3 = lrelu(g, g.conv(x2, "unet2.conv2_down", *u.conv2_down));
  x2 = g.crop(x2, 4);
  x3 = unet_conv(g, x3, "unet2.conv3", *u.conv3);
  x3 = lrelu(g, g.conv_transpose(x3, "unet2.conv3_up", *u.conv3_up));
  auto x4 = unet_conv(g, g.binary("Add", x2, x3), "unet2.conv4", *u.conv4);
  // x * 1 is x exactly, so the as-trained graph carries no Mul.
  if (alpha != 1.0) x4 = g.binary("Mul", x4, scalar(g, "alpha", alpha));
  x4 = lrelu(g, g.conv_transpose(x4, "unet2.conv4_up", *u.conv4_up));
  const auto x5 = lrelu(g, g.conv(g.binary("Add", x1, x4), "unet2.conv5", *u.conv5));
  return g.conv(x5, "unet2.conv_bottom", *u.conv_bottom);
}

// The reflect padding (Pad's `pads`) and the output crop (Slice's `ends`) of an input of
// size H x W: pads = [0, 0, c, c, 0, 0, c + ph - H, c + pw - W] with ph, pw rounded up to
// `multiple`, ends = [s * H, s * W].
struct PadAndCrop {
  std::string pads, ends;
};

PadAndCrop static_pad_and_crop(GraphBuilder& g, const ExportOptions& o,
                               const models::RealCUGANOptions& net) {
  const int64_t multiple = net.size_multiple(), context = net.context();
  const auto extra = [&](int64_t n) { return (n + multiple - 1) / multiple * multiple - n; };
  // Reflection needs every pad smaller than the side it reflects (F.pad and ONNX Pad alike).
  for (int64_t side : {o.static_h, o.static_w})
    if (!net.can_pad(side))
      throw ConfigError("--static " + std::to_string(o.static_h) + "x" +
                        std::to_string(o.static_w) + ": Real-CUGAN pads " +
                        std::to_string(context) + " px of context by reflection, so each side " +
                        "must be larger than that plus the rounding to a multiple of " +
                        std::to_string(multiple) + " (any side from " +
                        std::to_string(net.min_side()) + " px works)");
  const int64_t h = o.static_h, w = o.static_w;
  return {g.int_constant("pads",
                         {0, 0, context, context, 0, 0, context + extra(h), context + extra(w)}),
          g.int_constant("crop_ends", {net.scale * h, net.scale * w})};
}

PadAndCrop dynamic_pad_and_crop(GraphBuilder& g, int64_t multiple, int64_t context, int64_t scale) {
  const auto pair = [&](const std::string& name, int64_t v) {
    return g.int_constant(name, {v, v});
  };
  const auto shape = g.unary("Shape", "input");
  const auto hw = GraphBuilder::out(
      g.node("Slice", {shape, g.int_constant("hw_start", {2}), g.int_constant("hw_end", {4})}));
  // (n + m - 1) / m * m rounds n up to a multiple of m (integer Div truncates: floor here).
  const auto m = pair("multiple", multiple);
  const auto rounded = g.binary(
      "Mul", g.binary("Div", g.binary("Add", hw, pair("multiple_minus_1", multiple - 1)), m), m);
  const auto tail = g.binary("Add", g.binary("Sub", rounded, hw), pair("context", context));
  auto& pads = g.node("Concat", {g.int_constant("pads_head", {0, 0, context, context}),
                                 g.int_constant("pads_nc", {0, 0}), tail});
  GraphBuilder::integer(pads, "axis", 0);
  return {GraphBuilder::out(pads), g.binary("Mul", hw, pair("scale", scale))};
}

}  // namespace

void realcugan_graph(GraphBuilder& g, models::RealCUGANImpl& net, const ExportOptions& options) {
  const auto& o = net.options;
  const int64_t s = o.scale;
  std::string x = "input";
  if (o.pro) {  // pro models expect this input range
    x = g.binary("Add", g.binary("Mul", x, scalar(g, "pro_gain", 0.7)),
                 scalar(g, "pro_offset", 0.15));
  }
  const auto base = x;
  // The same size multiple and context as RealCUGANImpl::forward.
  const auto geometry = options.static_h > 0
                            ? static_pad_and_crop(g, options, o)
                            : dynamic_pad_and_crop(g, o.size_multiple(), o.context(), s);
  auto& pad = g.node("Pad", {x, geometry.pads});
  GraphBuilder::text(pad, "mode", "reflect");
  x = GraphBuilder::out(pad);
  torch::Tensor input_order;  // fast: pixel_unshuffle's channel order, folded into unet1's conv
  if (o.fast) {
    x = g.space_to_depth(x, 2);
    input_order = GraphBuilder::unshuffle_order(o.in_ch, 2);
  }
  x = unet1(g, x, *net.unet1, input_order);
  auto y = g.binary("Add", unet2(g, x, *net.unet2, options.cugan_alpha), g.crop(x, 20));
  const bool add_base = !net.conv_final.is_empty();
  if (add_base) y = g.depth_to_space(g.crop(g.conv(y, "conv_final", *net.conv_final), 1), 2);
  y = g.slice_hw(y, g.int_constant("crop_starts", {0, 0}), geometry.ends,
                 add_base || o.pro ? "" : "output");
  if (add_base)
    y = GraphBuilder::out(g.node("Add", {y, g.nearest_upsample(base, s)}, o.pro ? "" : "output"));
  if (o.pro)
    g.node("Div",
           {g.binary("Sub", y, scalar(g, "pro_offset_out", 0.15)), scalar(g, "pro_gain_out", 0.7)},
           "output");
}

}  // namespace pf::infer

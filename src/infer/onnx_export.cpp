#include "infer/onnx_export.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "core/error.h"
#include "infer/onnx_graph.h"
#include "infer/onnx_realcugan.h"
#include "models/compact.h"
#include "models/realcugan.h"
#include "models/span.h"

namespace pf::infer {
namespace {

std::string compact_graph(GraphBuilder& g, models::CompactImpl& net) {
  const auto& o = net.options;
  std::string x = "input";
  for (const auto& item : net.body->named_children()) {
    const std::string prefix = "body." + item.key();
    auto* child = item.value().get();
    if (auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(child)) {
      x = g.conv(x, prefix, *conv);
    } else if (auto* prelu = dynamic_cast<torch::nn::PReLUImpl*>(child)) {
      x = g.binary("PRelu", x, g.weight(prefix + ".weight", prelu->weight.view({-1, 1, 1})));
    } else if (auto* leaky = dynamic_cast<torch::nn::LeakyReLUImpl*>(child)) {
      x = g.leaky_relu(x, leaky->options.negative_slope());
    } else if (dynamic_cast<torch::nn::ReLUImpl*>(child)) {
      x = g.unary("Relu", x);
    } else {
      throw ModelError("ONNX export: unexpected layer '" + prefix + "' in Compact");
    }
  }
  const bool add_base = o.num_out_ch == o.num_in_ch || o.num_in_ch == 1;
  if (!add_base) return g.depth_to_space(x, o.upscale, "output");
  x = g.depth_to_space(x, o.upscale);
  return GraphBuilder::out(g.node("Add", {x, g.nearest_upsample("input", o.upscale)}, "output"));
}

std::string conv3xc(GraphBuilder& g, const std::string& x, const std::string& prefix,
                    models::Conv3XCImpl& c) {
  return g.conv(x, prefix + ".eval_conv", *c.eval_conv);
}

std::string span_graph(GraphBuilder& g, models::SPANImpl& net) {
  net.reparameterize();
  const auto& o = net.options;
  std::string x = "input";
  if (o.norm) {
    const auto& m = o.rgb_mean;
    x = g.binary("Sub", x,
                 g.weight("rgb_mean", torch::tensor({m[0], m[1], m[2]}).view({1, 3, 1, 1})));
    x = g.binary("Mul", x, g.weight("img_range", torch::tensor({o.img_range})));
  }
  const std::string half = g.weight("half", torch::tensor({0.5}));
  const std::string feature = conv3xc(g, x, "conv_1", *net.conv_1);
  std::string out = feature, first_block, last_c1;
  for (size_t i = 0; i < net.blocks.size(); ++i) {
    const std::string p = "block_" + std::to_string(i + 1);
    auto& b = *net.blocks[i];
    const auto out1 = g.silu(conv3xc(g, out, p + ".c1_r", *b.c1_r));
    const auto out2 = g.silu(conv3xc(g, out1, p + ".c2_r", *b.c2_r));
    const auto out3 = conv3xc(g, out2, p + ".c3_r", *b.c3_r);
    const auto att = g.binary("Sub", g.unary("Sigmoid", out3), half);
    out = g.binary("Mul", g.binary("Add", out3, out), att);
    if (i == 0) first_block = out;
    if (i + 1 == net.blocks.size()) last_c1 = out1;
  }
  out = conv3xc(g, out, "conv_2", *net.conv_2);
  auto& cat = g.node("Concat", {feature, out, first_block, last_c1});
  GraphBuilder::integer(cat, "axis", 1);
  out = g.conv(GraphBuilder::out(cat), "conv_cat", *net.conv_cat);
  auto* up = dynamic_cast<torch::nn::Conv2dImpl*>(net.upsampler->ptr(0).get());
  if (!up) throw ModelError("ONNX export: SPAN's upsampler.0 is not a conv");
  out = g.conv(out, "upsampler.0", *up);
  return g.depth_to_space(out, o.upscale, "output");
}

void set_shape(onnx::ValueInfoProto& v, const std::string& name, int elem, int64_t channels,
               const ExportOptions& o, int64_t scale) {
  v.set_name(name);
  auto* t = v.mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem);
  auto* shape = t->mutable_shape();
  const bool fixed = o.static_h > 0;
  auto dim = [&](int64_t value, const std::string& param) {
    auto* d = shape->add_dim();
    if (fixed)
      d->set_dim_value(value);
    else
      d->set_dim_param(param);
  };
  dim(o.static_batch, "batch");
  shape->add_dim()->set_dim_value(channels);
  dim(o.static_h * scale, scale == 1 ? "height" : "out_height");
  dim(o.static_w * scale, scale == 1 ? "width" : "out_width");
}

// The shortest text that reads back as the same double ("0.7", not "0.700000").
std::string fmt_number(double v) {
  char buf[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

void add_metadata(onnx::ModelProto& model, const std::string& key, const std::string& value) {
  auto* p = model.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

}  // namespace

void parse_static_size(const std::string& text, ExportOptions& options) {
  const auto x = text.find('x');
  int64_t h = 0, w = 0;
  try {
    if (x != std::string::npos) {
      h = std::stoll(text.substr(0, x));
      w = std::stoll(text.substr(x + 1));
    }
  } catch (const std::exception&) {
    h = w = 0;
  }
  if (h <= 0 || w <= 0)
    throw ConfigError("--static '" + text + "': expected HxW with positive sizes, e.g. 64x48");
  options.static_h = h;
  options.static_w = w;
}

std::string export_onnx_bytes(models::LoadedModel& model, const ExportOptions& options) {
  if (options.opset < 13 || options.opset > 17)
    throw ConfigError("opset " + std::to_string(options.opset) + " is outside 13..17");
  const auto& spec = model.spec;
  const bool cugan = spec.arch == "RealCUGAN";
  if (!std::isfinite(options.cugan_alpha))
    throw ConfigError("--cugan-alpha " + fmt_number(options.cugan_alpha) +
                      ": must be a finite number");
  if (!cugan && options.cugan_alpha != 1.0)
    throw ConfigError("--cugan-alpha is for Real-CUGAN only; this model is " + spec.arch);
  onnx::ModelProto proto;
  proto.set_ir_version(8);
  proto.set_producer_name("pairforge");
  proto.set_producer_version("0.1.0");
  auto* opset = proto.add_opset_import();
  opset->set_domain("");
  opset->set_version(options.opset);
  auto& graph = *proto.mutable_graph();
  graph.set_name(spec.arch + "_x" + std::to_string(spec.scale));
  GraphBuilder g(graph, options.fp16);

  model.net().eval();
  torch::NoGradGuard no_grad;
  if (auto* compact = model.net().as<models::CompactImpl>())
    compact_graph(g, *compact);
  else if (auto* span = model.net().as<models::SPANImpl>())
    span_graph(g, *span);
  else if (auto* realcugan = model.net().as<models::RealCUGANImpl>())
    realcugan_graph(g, *realcugan, options);
  else
    throw ModelError("ONNX export supports Compact, SPAN and RealCUGAN; this model is " +
                     spec.arch);

  set_shape(*graph.add_input(), "input", g.elem_type(), spec.in_ch, options, 1);
  set_shape(*graph.add_output(), "output", g.elem_type(), spec.out_ch, options, spec.scale);
  add_metadata(proto, "arch", spec.arch);
  add_metadata(proto, "scale", std::to_string(spec.scale));
  add_metadata(proto, "source", options.source);
  add_metadata(proto, "precision", options.fp16 ? "fp16" : "fp32");
  for (const auto& [key, value] : spec.params) add_metadata(proto, key, value);
  if (cugan) add_metadata(proto, "alpha", fmt_number(options.cugan_alpha));

  try {
    onnx::checker::check_model(proto);
  } catch (const std::exception& e) {
    throw ModelError(std::string("ONNX export: the checker refused the graph: ") + e.what());
  }
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) throw ModelError("ONNX export: serialisation failed");
  return bytes;
}

void export_onnx(models::LoadedModel& model, const std::string& path,
                 const ExportOptions& options) {
  const auto bytes = export_onnx_bytes(model, options);
  const std::string temp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream f(temp, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw IoError("cannot write " + temp);
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    throw IoError("cannot rename " + temp + " to " + path + ": " + std::strerror(errno));
  }
}

}  // namespace pf::infer

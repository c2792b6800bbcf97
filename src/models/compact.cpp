#include "models/compact.h"

#include "core/error.h"
#include "models/conv3x3_nhwc.h"
#include "models/prelu_in_place.h"

namespace pf::models {

namespace F = torch::nn::functional;

CompactOptions CompactOptions::preset(const std::string& name, int64_t upscale) {
  CompactOptions o;
  o.upscale = upscale;
  if (name == "compact") {
    o.num_feat = 64;
    o.num_conv = 16;
  } else if (name == "ultracompact") {
    o.num_feat = 64;
    o.num_conv = 8;
  } else if (name == "superultracompact") {
    o.num_feat = 24;
    o.num_conv = 8;
  } else {
    throw ModelError("unknown Compact preset '" + name +
                     "' (compact, ultracompact, superultracompact)");
  }
  return o;
}

namespace {
void add_activation(torch::nn::Sequential& seq, const CompactOptions& o) {
  if (o.act_type == "prelu")
    seq->push_back(torch::nn::PReLU(torch::nn::PReLUOptions().num_parameters(o.num_feat)));
  else if (o.act_type == "relu")
    seq->push_back(torch::nn::ReLU());
  else if (o.act_type == "leakyrelu")
    seq->push_back(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.1)));
  else
    throw ModelError("Compact: unknown act_type '" + o.act_type + "'");
}

torch::nn::Conv2d conv3x3_layer(int64_t in, int64_t out) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1));
}
}  // namespace

CompactImpl::CompactImpl(CompactOptions o) : options(std::move(o)) {
  if (options.num_feat < 1 || options.num_conv < 0 || options.upscale < 1)
    throw ModelError("Compact: num_feat, num_conv and upscale must be positive");
  body->push_back(conv3x3_layer(options.num_in_ch, options.num_feat));
  add_activation(body, options);
  for (int64_t i = 0; i < options.num_conv; ++i) {
    body->push_back(conv3x3_layer(options.num_feat, options.num_feat));
    add_activation(body, options);
  }
  body->push_back(
      conv3x3_layer(options.num_feat, options.num_out_ch * options.upscale * options.upscale));
  register_module("body", body);
}

torch::Tensor CompactImpl::run_body(const torch::Tensor& x) {
  if (torch::GradMode::is_enabled()) return body->forward(x);
  // Inference: PReLU overwrites each conv's fresh output instead of allocating another.
  torch::Tensor out = x;
  for (auto& layer : *body) {
    const auto* prelu = layer.ptr()->as<torch::nn::PReLU>();
    const auto* conv = layer.ptr()->as<torch::nn::Conv2d>();
    if (prelu && out.data_ptr() != x.data_ptr() && can_prelu_in_place(out, prelu->weight))
      prelu_in_place(out, prelu->weight);
    else if (conv && can_conv3x3_nhwc(out, conv->weight, conv->bias))  // all 3x3, padding 1
      out = conv3x3_nhwc(out, conv->weight, conv->bias);
    else
      out = layer.forward(out);
  }
  return out;
}

torch::Tensor CompactImpl::forward(torch::Tensor x) {
  auto out = F::pixel_shuffle(run_body(x), options.upscale);
  // Nearest upsampling by an integer factor copies each pixel; repeat_interleave does exactly
  // that without interpolate's floating-point index arithmetic.
  auto base = x.repeat_interleave(options.upscale, 2).repeat_interleave(options.upscale, 3);
  // Like SRVGGNetCompact's `out += base`: a 1-channel input broadcasts over the output.
  if (options.num_out_ch != options.num_in_ch && options.num_in_ch != 1) return out;
  return out + base;
}

}  // namespace pf::models

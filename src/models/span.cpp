#include "models/span.h"

#include "core/error.h"
#include "models/conv3x3_nhwc.h"

namespace pf::models {

namespace F = torch::nn::functional;

namespace {
torch::nn::Conv2d make_conv(int64_t in, int64_t out, int64_t k) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).padding((k - 1) / 2));
}
}  // namespace

Conv3XCImpl::Conv3XCImpl(int64_t c_in, int64_t c_out, int64_t gain) {
  // Registration order = spandrel's state_dict order: sk, conv.0-2, eval_conv.
  sk = register_module("sk", make_conv(c_in, c_out, 1));
  conv->push_back(make_conv(c_in, c_in * gain, 1));
  conv->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(c_in * gain, c_out * gain, 3)));
  conv->push_back(make_conv(c_out * gain, c_out, 1));
  register_module("conv", conv);
  eval_conv = register_module("eval_conv", make_conv(c_in, c_out, 3));
  reparameterize();
}

torch::Tensor Conv3XCImpl::forward(torch::Tensor x) {
  if (!is_training()) {
    if (can_conv3x3_nhwc(x, eval_conv->weight, eval_conv->bias))
      return conv3x3_nhwc(x, eval_conv->weight, eval_conv->bias);
    return eval_conv->forward(x);
  }
  return conv->forward(F::pad(x, F::PadFuncOptions({1, 1, 1, 1}))) + sk->forward(x);
}

void Conv3XCImpl::reparameterize() {
  torch::NoGradGuard no_grad;
  const auto d = [](const torch::Tensor& t) { return t.detach().to(torch::kFloat64); };
  auto* c0 = conv[0]->as<torch::nn::Conv2d>();
  auto* c1 = conv[1]->as<torch::nn::Conv2d>();
  auto* c2 = conv[2]->as<torch::nn::Conv2d>();
  const auto w1 = d(c0->weight).flatten(1), b1 = d(c0->bias);  // [m, i]
  const auto w2 = d(c1->weight), b2 = d(c1->bias);             // [n, m, 3, 3]
  const auto w3 = d(c2->weight).flatten(1), b3 = d(c2->bias);  // [o, n]
  // 1x1 ∘ 3x3 ∘ 1x1 is one 3x3 conv: W = w3 · w2 · w1 per tap; the biases flow through.
  auto weight = torch::einsum("on,nmhw,mi->oihw", {w3, w2, w1});
  auto bias = w3.matmul(w2.sum({2, 3}).matmul(b1) + b2) + b3;
  weight = weight + F::pad(d(sk->weight), F::PadFuncOptions({1, 1, 1, 1}));
  bias = bias + d(sk->bias);
  eval_conv->weight.copy_(weight.to(eval_conv->weight.dtype()));
  eval_conv->bias.copy_(bias.to(eval_conv->bias.dtype()));
}

SPABImpl::SPABImpl(int64_t channels) {
  c1_r = register_module("c1_r", Conv3XC(channels, channels));
  c2_r = register_module("c2_r", Conv3XC(channels, channels));
  c3_r = register_module("c3_r", Conv3XC(channels, channels));
}

std::array<torch::Tensor, 3> SPABImpl::forward(torch::Tensor x) {
  // The reference applies SiLU in place, so the "out1" it returns is already activated.
  if (torch::GradMode::is_enabled()) {
    auto out1 = torch::silu(c1_r->forward(x));
    auto out2 = torch::silu(c2_r->forward(out1));
    auto out3 = c3_r->forward(out2);
    auto att = torch::sigmoid(out3) - 0.5;
    return {(out3 + x) * att, out1, att};
  }
  // Inference: the same operations in the same order, in place on the convs' fresh outputs, so
  // one block allocates four activations instead of eight (same bytes out).
  auto out1 = c1_r->forward(x);
  torch::silu_(out1);
  auto out2 = c2_r->forward(out1);
  torch::silu_(out2);
  auto out3 = c3_r->forward(out2);
  auto att = torch::sigmoid(out3).sub_(0.5);
  out3.add_(x).mul_(att);
  return {out3, out1, att};
}

SPANOptions SPANOptions::preset(const std::string& name, int64_t upscale) {
  SPANOptions o;
  o.upscale = upscale;
  o.norm = false;
  if (name == "span")
    o.feature_channels = 52;
  else if (name == "span_s")
    o.feature_channels = 48;
  else
    throw ModelError("unknown SPAN preset '" + name + "' (span, span_s)");
  return o;
}

SPANImpl::SPANImpl(SPANOptions o) : options(o) {
  const int64_t f = options.feature_channels;
  if (f < 1 || options.upscale < 1)
    throw ModelError("SPAN: feature_channels and upscale must be positive");
  if (!options.norm) no_norm = register_buffer("no_norm", torch::zeros({1}));
  conv_1 = register_module("conv_1", Conv3XC(options.num_in_ch, f));
  for (size_t i = 0; i < blocks.size(); ++i)
    blocks[i] = register_module("block_" + std::to_string(i + 1), SPAB(f));
  conv_cat = register_module("conv_cat", make_conv(4 * f, f, 1));
  conv_2 = register_module("conv_2", Conv3XC(f, f));
  upsampler->push_back(make_conv(f, options.num_out_ch * options.upscale * options.upscale, 3));
  upsampler->push_back(torch::nn::PixelShuffle(options.upscale));
  register_module("upsampler", upsampler);
}

torch::Tensor SPANImpl::forward(torch::Tensor x) {
  if (options.norm) {
    const auto& m = options.rgb_mean;
    auto mean = torch::tensor({m[0], m[1], m[2]}, x.options()).view({1, 3, 1, 1});
    x = (x - mean) * options.img_range;
  }
  auto feature = conv_1->forward(x);
  auto out = feature;
  torch::Tensor first_block, last_c1;
  for (size_t i = 0; i < blocks.size(); ++i) {
    auto r = blocks[i]->forward(out);
    out = r[0];
    if (i == 0) first_block = out;
    if (i + 1 == blocks.size()) last_c1 = r[1];
  }
  out = conv_2->forward(out);
  out = conv_cat->forward(torch::cat({feature, out, first_block, last_c1}, 1));
  return upsampler->forward(out);
}

void SPANImpl::reparameterize() {
  for (auto& m : modules())
    if (auto* c = m->as<Conv3XC>()) c->reparameterize();
}

}  // namespace pf::models

#include "models/unet_discriminator_sn.h"

#include <torch/nn/functional.h>

#include "core/error.h"

namespace pf::models {

namespace F = torch::nn::functional;

namespace {

SNConv2d sn(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  SNConv2dOptions o;
  o.in = in;
  o.out = out;
  o.kernel = kernel;
  o.stride = stride;
  o.padding = 1;
  o.bias = false;
  o.style = SpectralNormStyle::kLegacy;
  return SNConv2d(o);
}

torch::Tensor lrelu(const torch::Tensor& x) {
  return torch::leaky_relu(x, 0.2);
}

torch::Tensor up2(const torch::Tensor& x) {
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .scale_factor(std::vector<double>{2, 2})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

}  // namespace

UNetDiscriminatorSNImpl::UNetDiscriminatorSNImpl(UNetDiscriminatorSNOptions o) : options(o) {
  const int64_t f = o.num_feat;
  conv0 = register_module(
      "conv0", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.num_in_ch, f, 3).padding(1)));
  conv1 = register_module("conv1", sn(f, f * 2, 4, 2));
  conv2 = register_module("conv2", sn(f * 2, f * 4, 4, 2));
  conv3 = register_module("conv3", sn(f * 4, f * 8, 4, 2));
  conv4 = register_module("conv4", sn(f * 8, f * 4, 3, 1));
  conv5 = register_module("conv5", sn(f * 4, f * 2, 3, 1));
  conv6 = register_module("conv6", sn(f * 2, f, 3, 1));
  conv7 = register_module("conv7", sn(f, f, 3, 1));
  conv8 = register_module("conv8", sn(f, f, 3, 1));
  conv9 = register_module("conv9", torch::nn::Conv2d(torch::nn::Conv2dOptions(f, 1, 3).padding(1)));
}

torch::Tensor UNetDiscriminatorSNImpl::forward(const torch::Tensor& x) {
  if (x.size(2) % 8 != 0 || x.size(3) % 8 != 0)
    throw ModelError("unetdiscriminatorsn: input sides must be multiples of 8, got " +
                     std::to_string(x.size(2)) + "x" + std::to_string(x.size(3)));
  const auto x0 = lrelu(conv0->forward(x));
  const auto x1 = lrelu(conv1->forward(x0));
  const auto x2 = lrelu(conv2->forward(x1));
  const auto x3 = lrelu(conv3->forward(x2));
  auto x4 = lrelu(conv4->forward(up2(x3)));
  if (options.skip_connection) x4 = x4 + x2;
  auto x5 = lrelu(conv5->forward(up2(x4)));
  if (options.skip_connection) x5 = x5 + x1;
  auto x6 = lrelu(conv6->forward(up2(x5)));
  if (options.skip_connection) x6 = x6 + x0;
  auto out = lrelu(conv7->forward(x6));
  out = lrelu(conv8->forward(out));
  return conv9->forward(out);
}

}  // namespace pf::models

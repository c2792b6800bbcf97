#include "models/dunet.h"

#include <torch/nn/functional.h>

#include "core/error.h"

namespace pf::models {

namespace F = torch::nn::functional;

namespace {

SNConv2d sn(int64_t in, int64_t out, int64_t stride, bool bias) {
  SNConv2dOptions o;
  o.in = in;
  o.out = out;
  o.kernel = 3;
  o.stride = stride;
  o.padding = 1;
  o.bias = bias;
  o.style = SpectralNormStyle::kParametrized;
  return SNConv2d(o);
}

torch::nn::Sequential down(int64_t dim) {
  return torch::nn::Sequential(sn(dim, dim * 2, 2, true), torch::nn::Mish());
}

torch::nn::Sequential up(int64_t dim) {
  return torch::nn::Sequential(DySample(dim, 2, 4), sn(dim, dim / 2, 1, true));
}

}  // namespace

DySampleImpl::DySampleImpl(int64_t channels, int64_t s, int64_t g) : scale(s), groups(g) {
  if (channels < g || channels % g != 0)
    throw ModelError("DySample: channels must be a multiple of groups");
  const int64_t out = 2 * g * s * s;
  offset = register_module("offset", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, out, 1)));
  scope = register_module(
      "scope", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, out, 1).bias(false)));
  {
    // A fresh DySample starts at the regular grid: small offsets, a closed scope. (spandrel's
    // trunc_normal_(std=0.02) truncates at +-2, 100 standard deviations out: a plain normal.)
    torch::NoGradGuard no_grad;
    offset->weight.normal_(0, 0.02).clamp_(-2, 2);
    scope->weight.zero_();
  }
  // The sub-pixel positions of a regular scale x scale grid, as (x, y) pairs per group.
  const auto h = torch::arange((-s + 1) / 2.0, (s - 1) / 2.0 + 1, 1.0, torch::kFloat32) /
                 static_cast<double>(s);
  const auto grid = torch::stack(torch::meshgrid({h, h}, "ij"));
  init_pos =
      register_buffer("init_pos", grid.transpose(1, 2).repeat({1, g, 1}).reshape({1, -1, 1, 1}));
}

torch::Tensor DySampleImpl::forward(const torch::Tensor& x) {
  auto off = offset->forward(x) * torch::sigmoid(scope->forward(x)) * 0.5 + init_pos;
  const int64_t b = off.size(0), h = off.size(2), w = off.size(3);
  off = off.view({b, 2, -1, h, w});
  const auto opts = torch::TensorOptions().dtype(x.scalar_type()).device(x.device());
  const auto ch = torch::arange(h, torch::kFloat32) + 0.5;
  const auto cw = torch::arange(w, torch::kFloat32) + 0.5;
  const auto coords0 = torch::stack(torch::meshgrid({cw, ch}, "ij"))
                           .transpose(1, 2)
                           .unsqueeze(1)
                           .unsqueeze(0)
                           .to(opts);
  const auto normalizer =
      torch::tensor({static_cast<double>(w), static_cast<double>(h)}, opts).view({1, 2, 1, 1, 1});
  auto coords = 2 * (coords0 + off) / normalizer - 1;
  coords = F::pixel_shuffle(coords.reshape({b, -1, h, w}), scale)
               .view({b, 2, -1, scale * h, scale * w})
               .permute({0, 2, 3, 4, 1})
               .contiguous()
               .flatten(0, 1);
  return F::grid_sample(x.reshape({b * groups, -1, h, w}), coords,
                        F::GridSampleFuncOptions()
                            .mode(torch::kBilinear)
                            .padding_mode(torch::kBorder)
                            .align_corners(false))
      .view({b, -1, scale * h, scale * w});
}

DUnetImpl::DUnetImpl(DUnetOptions o) : options(o) {
  const int64_t f = o.num_feat;
  in_to_dim = register_module(
      "in_to_dim", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.num_in_ch, f, 3).padding(1)));
  e_x1 = register_module("e_x1", down(f));
  e_x2 = register_module("e_x2", down(f * 2));
  e_x3 = register_module("e_x3", down(f * 4));
  up1 = register_module("up1", up(f * 8));
  up2 = register_module("up2", up(f * 4));
  up3 = register_module("up3", up(f * 2));
  end_conv = register_module(
      "end_conv", torch::nn::Sequential(
                      sn(f, f, 1, false), torch::nn::Mish(), sn(f, f, 1, false), torch::nn::Mish(),
                      torch::nn::Conv2d(torch::nn::Conv2dOptions(f, 1, 3).padding(1))));
}

torch::Tensor DUnetImpl::forward(const torch::Tensor& x) {
  if (x.size(2) % 8 != 0 || x.size(3) % 8 != 0)
    throw ModelError("dunet: input sides must be multiples of 8, got " + std::to_string(x.size(2)) +
                     "x" + std::to_string(x.size(3)));
  const auto x0 = in_to_dim->forward(x);
  const auto x1 = e_x1->forward(x0);
  const auto x2 = e_x2->forward(x1);
  const auto x3 = e_x3->forward(x2);
  auto y = up1->forward(x3) + x2;
  y = up2->forward(y) + x1;
  y = up3->forward(y) + x0;
  return end_conv->forward(y);
}

}  // namespace pf::models

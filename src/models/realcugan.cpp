#include "models/realcugan.h"

#include "core/error.h"

namespace pf::models {

namespace F = torch::nn::functional;

namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).stride(stride));
}
torch::nn::ConvTranspose2d deconv(int64_t in, int64_t out, int64_t k, int64_t stride,
                                  int64_t padding) {
  return torch::nn::ConvTranspose2d(
      torch::nn::ConvTranspose2dOptions(in, out, k).stride(stride).padding(padding));
}
torch::Tensor lrelu(const torch::Tensor& x) {
  return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.1));
}
// F.pad with negative amounts: cut `n` pixels from every side.
torch::Tensor crop(const torch::Tensor& x, int64_t n) {
  return x.narrow(2, n, x.size(2) - 2 * n).narrow(3, n, x.size(3) - 2 * n);
}
torch::Tensor nearest(const torch::Tensor& x, int64_t s) {
  return x.repeat_interleave(s, 2).repeat_interleave(s, 3);
}

}  // namespace

torch::Tensor channel_mean(const torch::Tensor& z) {
  return z.mean({2, 3}, /*keepdim=*/true, torch::kFloat32);
}

UNetConvImpl::UNetConvImpl(int64_t in, int64_t mid, int64_t out, bool se) {
  const auto act = [] {
    return torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.1));
  };
  const auto conv3x3 = [](int64_t i, int64_t o) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(i, o, 3));
  };
  conv->push_back(conv3x3(in, mid));
  conv->push_back(act());
  conv->push_back(conv3x3(mid, out));
  conv->push_back(act());
  register_module("conv", conv);
  if (se) {
    auto block = std::make_shared<torch::nn::Module>();
    se1 = block->register_module("conv1",
                                 torch::nn::Conv2d(torch::nn::Conv2dOptions(out, out / 8, 1)));
    se2 = block->register_module("conv2",
                                 torch::nn::Conv2d(torch::nn::Conv2dOptions(out / 8, out, 1)));
    register_module("seblock", block);
  }
}

torch::Tensor UNetConvImpl::body(const torch::Tensor& x) {
  return conv->forward(x);
}

torch::Tensor UNetConvImpl::excite(const torch::Tensor& z, const torch::Tensor& mean) {
  // Squeeze-and-excitation: per-channel gains from the mean over the whole image.
  const auto g = torch::sigmoid(se2->forward(torch::relu(se1->forward(mean.to(z.scalar_type())))));
  return z * g;
}

torch::Tensor UNetConvImpl::forward(torch::Tensor x) {
  auto z = body(x);
  return se1 ? excite(z, channel_mean(z)) : z;
}

UNet1Impl::UNet1Impl(int64_t in, int64_t out, int64_t bk, int64_t bs, int64_t bp) {
  conv1 = register_module("conv1", UNetConv(in, 32, 64, false));
  conv1_down = register_module("conv1_down", conv(64, 64, 2, 2));
  conv2 = register_module("conv2", UNetConv(64, 128, 64, true));
  conv2_up = register_module("conv2_up", deconv(64, 64, 2, 2, 0));
  conv3 = register_module("conv3", conv(64, 64, 3));
  conv_bottom = register_module("conv_bottom", deconv(64, out, bk, bs, bp));
}

std::pair<torch::Tensor, torch::Tensor> UNet1Impl::head(const torch::Tensor& x) {
  auto x1 = conv1->forward(x);
  auto x2 = lrelu(conv1_down->forward(x1));
  return {crop(x1, 4), conv2->body(x2)};
}

torch::Tensor UNet1Impl::tail(const torch::Tensor& skip, const torch::Tensor& excited) {
  auto x2 = lrelu(conv2_up->forward(excited));
  auto x3 = lrelu(conv3->forward(skip + x2));
  return conv_bottom->forward(x3);
}

torch::Tensor UNet1Impl::forward(torch::Tensor x) {
  auto [skip, z] = head(x);
  return tail(skip, conv2->excite(z, channel_mean(z)));
}

UNet2Impl::UNet2Impl(int64_t in, int64_t out) {
  conv1 = register_module("conv1", UNetConv(in, 32, 64, false));
  conv1_down = register_module("conv1_down", conv(64, 64, 2, 2));
  conv2 = register_module("conv2", UNetConv(64, 64, 128, true));
  conv2_down = register_module("conv2_down", conv(128, 128, 2, 2));
  conv3 = register_module("conv3", UNetConv(128, 256, 128, true));
  conv3_up = register_module("conv3_up", deconv(128, 128, 2, 2, 0));
  conv4 = register_module("conv4", UNetConv(128, 64, 64, true));
  conv4_up = register_module("conv4_up", deconv(64, 64, 2, 2, 0));
  conv5 = register_module("conv5", conv(64, 64, 3));
  conv_bottom = register_module("conv_bottom", conv(64, out, 3));
}

std::pair<torch::Tensor, torch::Tensor> UNet2Impl::head(const torch::Tensor& x) {
  auto x1 = conv1->forward(x);
  auto x2 = lrelu(conv1_down->forward(x1));
  return {crop(x1, 16), conv2->body(x2)};
}

std::pair<torch::Tensor, torch::Tensor> UNet2Impl::down(const torch::Tensor& excited2) {
  auto x3 = lrelu(conv2_down->forward(excited2));
  return {crop(excited2, 4), conv3->body(x3)};
}

torch::Tensor UNet2Impl::up(const torch::Tensor& skip2, const torch::Tensor& excited3) {
  return conv4->body(skip2 + lrelu(conv3_up->forward(excited3)));
}

torch::Tensor UNet2Impl::tail(const torch::Tensor& skip1, const torch::Tensor& excited4) {
  auto x4 = lrelu(conv4_up->forward(excited4));
  auto x5 = lrelu(conv5->forward(skip1 + x4));
  return conv_bottom->forward(x5);
}

torch::Tensor UNet2Impl::forward(torch::Tensor x, double alpha) {
  auto [skip1, z2] = head(x);
  auto [skip2, z3] = down(conv2->excite(z2, channel_mean(z2)));
  auto z4 = up(skip2, conv3->excite(z3, channel_mean(z3)));
  return tail(skip1, conv4->excite(z4, channel_mean(z4)) * alpha);
}

RealCUGANImpl::RealCUGANImpl(RealCUGANOptions o) : options(o) {
  const int64_t s = o.scale;
  if (s < 2 || s > 4 || (o.fast && (s != 2 || o.pro)))
    throw ModelError("Real-CUGAN: scale must be 2, 3 or 4 (fast: 2, never pro)");
  if (o.pro) pro = register_buffer("pro", torch::zeros({1}));
  if (o.fast) {
    unet1 = register_module("unet1", UNet1(12, 64, 4, 2, 3));
    unet2 = register_module("unet2", UNet2(64, 64));
  } else if (s == 4) {
    unet1 = register_module("unet1", UNet1(o.in_ch, 64, 4, 2, 3));
    unet2 = register_module("unet2", UNet2(64, 64));
  } else if (s == 3) {
    unet1 = register_module("unet1", UNet1(o.in_ch, o.out_ch, 5, 3, 2));
    unet2 = register_module("unet2", UNet2(o.out_ch, o.out_ch));
  } else {
    unet1 = register_module("unet1", UNet1(o.in_ch, o.out_ch, 4, 2, 3));
    unet2 = register_module("unet2", UNet2(o.out_ch, o.out_ch));
  }
  if (o.fast || s == 4) conv_final = register_module("conv_final", conv(64, 12, 3));
}

bool RealCUGANOptions::can_pad(int64_t side) const {
  const int64_t rounded = (side + size_multiple() - 1) / size_multiple() * size_multiple();
  return context() + rounded - side < side;
}

int64_t RealCUGANOptions::min_side() const {
  // The rounding adds at most multiple - 1, so every side from here on can be padded.
  return context() + size_multiple();
}

torch::Tensor RealCUGANImpl::to_model_range(const torch::Tensor& x) const {
  return options.pro ? x * 0.7 + 0.15 : x;
}

torch::Tensor RealCUGANImpl::unet1_input(const torch::Tensor& padded) const {
  return options.fast ? F::pixel_unshuffle(padded, 2) : padded;
}

torch::Tensor RealCUGANImpl::residual_of(const torch::Tensor& unet1_out) {
  return crop(unet1_out, 20);
}

torch::Tensor RealCUGANImpl::combine(const torch::Tensor& unet2_out,
                                     const torch::Tensor& unet1_cropped) {
  auto y = unet2_out + unet1_cropped;
  if (conv_final) y = F::pixel_shuffle(crop(conv_final->forward(y), 1), 2);
  return y;
}

torch::Tensor RealCUGANImpl::finish(const torch::Tensor& y, const torch::Tensor& input) const {
  auto out = conv_final ? y + nearest(input, options.scale) : y;
  return options.pro ? (out - 0.15) / 0.7 : out;
}

torch::Tensor RealCUGANImpl::forward(torch::Tensor x) {
  const int64_t s = options.scale;
  const int64_t h0 = x.size(2), w0 = x.size(3);
  x = to_model_range(x);
  const auto input = x;
  // Pad to a multiple plus the context by reflection (spandrel states the fast variant's
  // multiple of 4 as a size requirement; we pad instead).
  const int64_t multiple = options.size_multiple(), context = options.context();
  const int64_t ph = ((h0 - 1) / multiple + 1) * multiple,
                pw = ((w0 - 1) / multiple + 1) * multiple;
  if (!options.can_pad(h0) || !options.can_pad(w0))
    throw ModelError("Real-CUGAN" + std::string(options.fast ? " fast" : "") + " x" +
                     std::to_string(s) + " needs at least " + std::to_string(options.min_side()) +
                     " px a side (smaller ones only at multiples of " + std::to_string(multiple) +
                     "); the input is " + std::to_string(w0) + "x" + std::to_string(h0));
  x = F::pad(x, F::PadFuncOptions({context, context + pw - w0, context, context + ph - h0})
                    .mode(torch::kReflect));
  x = unet1->forward(unet1_input(x));
  auto y = combine(unet2->forward(x, options.alpha), residual_of(x));
  return finish(y.narrow(2, 0, h0 * s).narrow(3, 0, w0 * s), input);
}

}  // namespace pf::models

// Small differentiable image operations the losses share, written to match the Python they come
// from (torchvision's GaussianBlur, basicsr's filters, the colour conversions).
#pragma once
#include <torch/types.h>

namespace pf::train {

// torchvision.transforms.GaussianBlur(kernel_size, sigma): separable Gaussian of odd size with
// taps exp(-x^2 / 2 sigma^2) normalised, reflect padding. x: N x C x H x W, sides > size / 2.
torch::Tensor gaussian_blur(const torch::Tensor& x, int64_t kernel_size, double sigma);

// MATLAB fspecial('gaussian', size, sigma) as a C x 1 x size x size grouped-conv weight.
torch::Tensor fspecial_gaussian(int64_t size, double sigma, int64_t channels,
                                const torch::TensorOptions& options);

// Luma (BT.601 weights 0.299, 0.587, 0.114) of an N x 3 x H x W batch: N x 1 x H x W.
torch::Tensor rgb_to_luma(const torch::Tensor& rgb);

// sRGB (gamma 2.4 with the linear toe) to linear light.
torch::Tensor srgb_to_linear(const torch::Tensor& x);

// Bicubic (a = -0.75) resize with antialiasing, as torch's interpolate(antialias=True).
torch::Tensor resize_bicubic_aa(const torch::Tensor& x, int64_t height, int64_t width);

}  // namespace pf::train

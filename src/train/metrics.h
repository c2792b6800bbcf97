// Validation metrics as basicsr (and traiNNer-redux) compute them: on images rounded to 8 bits,
// `crop_border` pixels left out, over RGB or over BT.601 luma (16..235). PSNR from the MSE of
// the whole image; SSIM (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5, 'valid' region)
// per channel, then averaged.
#pragma once
#include <torch/types.h>

#include <cstdint>

namespace pf::train {

// a, b: 3 x H x W float in [0, 1] (clamped here). Returns +inf PSNR for identical images.
double psnr(const torch::Tensor& a, const torch::Tensor& b, int64_t crop_border, bool y_channel);
double ssim(const torch::Tensor& a, const torch::Tensor& b, int64_t crop_border, bool y_channel);

}  // namespace pf::train

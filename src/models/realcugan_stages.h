// Real-CUGAN cut at its four squeeze-and-excitation blocks (unet1.conv2, unet2.conv2, conv3 and
// conv4), where bilibili's upcunet_v3.py cuts it for tiled inference (forward_a ... forward_d).
// A block scales its input by gains from the input's per-channel mean over the whole image, so
// tiles run independently would each see their own mean; run in stages, every tile reaches a
// block before any passes it, and the block's mean can be pooled over all tiles
// (infer/cugan_tiles.h does the pooling and the caching between stages).
#pragma once
#include <torch/types.h>

#include "models/realcugan.h"

namespace pf::models {

constexpr int kCuganSeBlocks = 4;

// A tensor a tile carries between stages, either as it is or as upcunet_v3.py's cache_mode 1
// keeps it: 8 bits per value between each tile's minimum and maximum (dim 0 is the tile).
class CarriedTensor {
 public:
  CarriedTensor() = default;
  CarriedTensor(torch::Tensor t) : value_(std::move(t)) {}  // NOLINT: a plain tensor converts
  torch::Tensor get() const;  // dequantised (in the type it had) when held in 8 bits
  void quantise();            // no-op when already quantised or empty
  bool defined() const { return value_.defined(); }

 private:
  torch::Tensor value_, low_, span_;  // low_, span_: per tile, set when held in 8 bits
};

// What a batch of tiles carries from one stage to the next; which fields are set depends on the
// stage (a stage empties what it consumed, so kept tiles hold no more than they must).
struct CuganTile {
  CarriedTensor se_input;     // the next SE block's input (after stage k: block k's)
  CarriedTensor unet1_skip;   // stage 0 -> 1: unet1.conv1's output, cropped
  CarriedTensor residual;     // stage 1 -> output: unet1's output cropped to unet2's
  CarriedTensor unet2_skip1;  // stage 1 -> output: unet2.conv1's output, cropped
  CarriedTensor unet2_skip2;  // stage 2 -> 3: unet2.conv2's excited output, cropped
  void quantise();            // every field that is set
};

// Stage 0: padded windows (N x C x H x W, in model range, see RealCUGANImpl::to_model_range)
// up to block 0's input.
CuganTile cugan_stage0(RealCUGANImpl& net, const torch::Tensor& windows);
// Stage k = 1..3: block k-1 with its pooled mean (1 x C x 1 x 1, float32), then on to block k's
// input.
void cugan_stage(RealCUGANImpl& net, int k, CuganTile& tile, const torch::Tensor& mean);
// Block 3 with its mean, its output times `alpha` (the strength knob, as the whole-image forward
// applies it), then the rest: the windows' upscaled cores, before RealCUGANImpl::finish.
torch::Tensor cugan_output(RealCUGANImpl& net, CuganTile& tile, const torch::Tensor& mean,
                           double alpha);

// The resolution of block k's input relative to the network's input, num / den (x2 block 0:
// 1/2, block 1: 1): a tile whose core is c input pixels has c * num / den of them there.
struct CuganScale {
  int64_t num, den;
};
CuganScale cugan_se_scale(const RealCUGANOptions& options, int k);

// Bytes per input pixel of a window that its kept stage outputs occupy at the most (stage 0's
// outputs at `element` bytes, later ones at `kept_element`: 1 for 8 bits), for memory budgets.
int64_t cugan_kept_bytes_per_pixel(const RealCUGANOptions& options, int64_t element,
                                   int64_t kept_element);

}  // namespace pf::models

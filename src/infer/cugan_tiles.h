// Real-CUGAN's tiled inference with SE means shared between tiles (models/realcugan_stages.h).
// The reflect-padded image is cut into equal tiles whose windows carry exactly the context the
// unpadded convs eat, so tiles differ from the whole image in the SE means alone; those are
// pooled over all tiles before any tile passes a block. Two flavours use the one schedule:
// - upcunet_v3.py's tile_mode / cache_mode (official_cugan_tiling), number for number, quirks
//   included: the tiles' means are averaged over their whole windows, and alpha is applied where
//   that code applies it, which differs between its cache modes;
// - --tile and memory-budget tiling (exact_cugan_tiling): each tile adds up only its own part of
//   a block's input, which gives the whole image's mean, so the output is the whole-image one up
//   to float rounding, whatever the tile size.
#pragma once
#include <torch/types.h>

#include "infer/tile_grid.h"
#include "models/realcugan.h"

namespace pf::infer {

enum class SeMeans {
  kWholeImage,   // each tile sums its own part of a block's input: the whole image's mean
  kTileAverage,  // the average of the tiles' means over their windows (upcunet_v3.py)
  kOddTiles,     // running means over the tiles in odd rows and columns (its cache_mode 2)
};

// How stage outputs live between stages: kept (in the model's type, or 8 bits per value between
// each tile's min and max: upcunet_v3.py's cache_mode 1), or recomputed from the input for every
// block (bounded memory, about 2.5x the work).
enum class StageCache { kKeep, kKeep8Bit, kRecompute };

struct CuganTiling {
  TileSize tile;  // tile core in input pixels; both multiples of size_multiple()
  StageCache cache = StageCache::kKeep;
  SeMeans means = SeMeans::kWholeImage;
  // Block 3's input is scaled by means_alpha before its mean is taken (and kept so), and the
  // block's output is scaled to output_alpha in all; the whole image has 1 and alpha.
  double means_alpha = 1.0, output_alpha = 1.0;
  int64_t batch = 1;  // tiles per forward pass (kOddTiles' running pass takes them one by one)
};

// upcunet_v3.py's forward for `cache_mode` (0 keep, 1 keep 8-bit, 2 means from odd tiles then
// recomputed, 3 recomputed) on tiles of `tile`, with `alpha` where that code puts it.
CuganTiling official_cugan_tiling(const models::RealCUGANOptions& net, int cache_mode, double alpha,
                                  TileSize tile);
// ... with tile_mode's tiles for a width x height image; cache_mode 2 on fewer than 3 x 3 tiles
// is cache_mode 1 there, so it is here.
CuganTiling official_cugan_tiling(const models::RealCUGANOptions& net, int cache_mode, double alpha,
                                  int64_t tile_mode, int64_t width, int64_t height);
// Whole-image means on tiles of about `tile` (at least 32) px, as few and as even as fit.
CuganTiling exact_cugan_tiling(const models::RealCUGANOptions& net, StageCache cache, double alpha,
                               int64_t tile, int64_t width, int64_t height);

// Peak bytes of a tiled run apart from the image and output: the windows in flight at
// `window_bytes_per_pixel`, plus the kept stage outputs of every tile (`element_bytes` a value
// in the model's type).
int64_t cugan_tiling_bytes(const models::RealCUGANOptions& net, const CuganTiling& tiling,
                           int64_t width, int64_t height, int64_t window_bytes_per_pixel,
                           int64_t element_bytes);

// image: C x H x W float32 on the CPU, [0,1]. Returns out_ch x H*s x W*s float32 on the CPU,
// unclipped, like Upscaler::upscale. The net runs on `device` in `dtype`; means are float32.
torch::Tensor cugan_tiled_upscale(models::RealCUGANImpl& net, const torch::Tensor& image,
                                  const CuganTiling& tiling, const torch::Device& device,
                                  torch::ScalarType dtype, const TileProgress& progress = {});

}  // namespace pf::infer

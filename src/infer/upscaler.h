// The tiled upscaler: one code path for CPU and GPU. The image is cut into equal-size input
// windows (a tile core plus `overlap` pixels of context on each side, shifted inwards at the
// image edges), windows go through the model in batches, and only each core is written out,
// so a tiled result equals the untiled one wherever the context covers the receptive field.
// Real-CUGAN, whose SE blocks take means over the whole image, is tiled in stages instead
// (cugan_tiles.h), so that its tiles share those means.
#pragma once
#include <torch/types.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infer/cugan_tiles.h"
#include "infer/device.h"
#include "infer/tile_grid.h"
#include "models/model.h"

namespace pf::infer {

// How batches reach the device. kOverlapped copies batch k+1 in and batch k-1 out while batch k
// computes (transfer_pipeline.h); on the CPU it runs the same schedule synchronously, which is
// how that schedule is tested without a GPU. kAuto: overlapped on CUDA, straight on the CPU.
enum class Transfers { kAuto, kStraight, kOverlapped };

struct UpscaleOptions {
  int64_t tile = 0;       // tile core size in input pixels; 0 = chosen from memory_budget_mb
  int64_t tile_mode = 0;  // > 0: Real-CUGAN's tile modes instead of `tile` (see grid_tile_size)
  // Real-CUGAN tiled: how stage outputs live between its stages, as upcunet_v3.py's cache_mode
  // (0 kept, 1 kept in 8 bits, 2 means from odd tiles and recomputed, 3 recomputed); -1: 0 with
  // tile_mode, else 0 when the kept outputs fit memory_budget_mb and 3 when not.
  int cache_mode = -1;
  int64_t overlap = 16;  // context pixels on each side of a core (Real-CUGAN: its own)
  int64_t batch = 1;     // windows per forward pass
  std::string device = "auto";
  Precision precision = Precision::kFp32;
  int64_t memory_budget_mb = 512;  // working memory of one forward pass (activations)
  double cugan_alpha = 1.0;        // Real-CUGAN's strength knob (1 = as trained)
  Transfers transfers = Transfers::kAuto;
};

// Bytes one input pixel of a window costs during a forward pass of this architecture.
int64_t bytes_per_pixel(const models::ModelSpec& spec, Precision precision);

class Upscaler {
 public:
  Upscaler(models::LoadedModel model, UpscaleOptions options);

  int64_t scale() const { return model_.spec.scale; }
  const models::ModelSpec& spec() const { return model_.spec; }
  const torch::Device& device() const { return device_; }
  // The tile core size used for a width x height input (options.tile, or from the budget).
  int64_t tile_for(int64_t width, int64_t height) const;
  // The tile core used: from options.tile_mode when set, else tile_for's square (Real-CUGAN:
  // its staged tiling's, or the whole image).
  TileSize tile_size_for(int64_t width, int64_t height) const;
  // Real-CUGAN's staged tiling for a width x height input: upcunet_v3.py's with tile_mode, else
  // whole-image means on tiles from options.tile or the memory budget, whose kept stage outputs
  // count against it; none when the whole image fits the budget.
  std::optional<CuganTiling> cugan_tiling_for(int64_t width, int64_t height) const;

  // image: C x H x W float32 on the CPU, [0,1], C = the model's input channels. Returns
  // out_ch x H*s x W*s float32 on the CPU, unclipped (the model's raw output).
  torch::Tensor upscale(const torch::Tensor& image, const TileProgress& progress = {});
  // RGB through the model; alpha (1 x H x W) too when the model takes 4 channels, else
  // upscaled separately as a grey RGB image. Returns 4 x H*s x W*s (RGBA).
  torch::Tensor upscale_rgba(const torch::Tensor& rgb, const torch::Tensor& alpha,
                             const TileProgress& progress = {});

 private:
  bool overlapped() const;
  torch::Tensor forward_batch(const std::vector<torch::Tensor>& windows);
  void run_straight(const torch::Tensor& input, const TileGrid& grid, torch::Tensor& output,
                    const TileProgress& progress);
  void run_overlapped(const torch::Tensor& input, const TileGrid& grid, torch::Tensor& output,
                      const TileProgress& progress);

  models::LoadedModel model_;
  UpscaleOptions options_;
  torch::Device device_;
  models::RealCUGANImpl* cugan_ = nullptr;  // the model, when it is Real-CUGAN
  mutable std::atomic<bool> warned_over_budget_{false};
};

}  // namespace pf::infer

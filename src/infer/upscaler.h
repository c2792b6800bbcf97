// The tiled upscaler: one code path for CPU and GPU. The image is cut into equal-size input
// windows (a tile core plus `overlap` pixels of context on each side, shifted inwards at the
// image edges), windows go through the model in batches, and only each core is written out,
// so a tiled result equals the untiled one wherever the context covers the receptive field.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "infer/device.h"
#include "models/model.h"

namespace pf::infer {

// How batches reach the device. kOverlapped copies batch k+1 in and batch k-1 out while batch k
// computes (transfer_pipeline.h); on the CPU it runs the same schedule synchronously, which is
// how that schedule is tested without a GPU. kAuto: overlapped on CUDA, straight on the CPU.
enum class Transfers { kAuto, kStraight, kOverlapped };

struct UpscaleOptions {
  int64_t tile = 0;       // tile core size in input pixels; 0 = chosen from memory_budget_mb
  int64_t tile_mode = 0;  // > 0: Real-CUGAN's tile modes instead of `tile` (see grid_tile_size)
  int64_t overlap = 16;   // context pixels on each side of a core
  int64_t batch = 1;      // windows per forward pass
  std::string device = "auto";
  Precision precision = Precision::kFp32;
  int64_t memory_budget_mb = 512;  // working memory of one forward pass (activations)
  double cugan_alpha = 1.0;        // Real-CUGAN's strength knob (1 = as trained)
  Transfers transfers = Transfers::kAuto;
};

// A window of the input and the core of it that lands in the output (input pixels).
struct TileWindow {
  int64_t x, y;            // window origin; every window has the same size
  int64_t core_x, core_y;  // core origin
  int64_t core_w, core_h;
};

struct TileGrid {
  int64_t window_w = 0, window_h = 0;
  std::vector<TileWindow> windows;
};

// The windows covering a width x height image with cores of tile_w x tile_h (0 or >= the image:
// one window along that axis) and `overlap` context.
TileGrid plan_tiles(int64_t width, int64_t height, int64_t tile_w, int64_t tile_h, int64_t overlap);
inline TileGrid plan_tiles(int64_t width, int64_t height, int64_t tile, int64_t overlap) {
  return plan_tiles(width, height, tile, tile, overlap);
}

struct TileSize {
  int64_t w = 0, h = 0;
};
// Real-CUGAN's tile_mode (upcunet_v3.py), for users who know it: 1 halves the longer side,
// N >= 2 cuts an N x N grid, lowered so that tiles keep at least 128 px on the short side.
TileSize grid_tile_size(int64_t width, int64_t height, int64_t mode);

// Bytes one input pixel of a window costs during a forward pass of this architecture.
int64_t bytes_per_pixel(const models::ModelSpec& spec, Precision precision);

// Called after each batch with (windows done, windows in total).
using TileProgress = std::function<void(int64_t, int64_t)>;

class Upscaler {
 public:
  Upscaler(models::LoadedModel model, UpscaleOptions options);

  int64_t scale() const { return model_.spec.scale; }
  const models::ModelSpec& spec() const { return model_.spec; }
  const torch::Device& device() const { return device_; }
  // The tile core size used for a width x height input (options.tile, or from the budget).
  int64_t tile_for(int64_t width, int64_t height) const;
  // The tile core used: from options.tile_mode when set, else tile_for's square.
  TileSize tile_size_for(int64_t width, int64_t height) const;

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
};

}  // namespace pf::infer

// On CUDA the batches go through TransferPipeline (copies overlapped with compute); that path is
// compiled here but was not run on a GPU in this environment. The CPU keeps the straight loop.
// Real-CUGAN's staged tiles (cugan_tiles.cpp) hold the input on the device and copy each
// finished tile back as it comes.
#include "infer/upscaler.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/heap.h"
#include "infer/transfer_pipeline.h"
#include "models/realcugan.h"

namespace pf::infer {
namespace {

// Peak live feature channels per input pixel, relative to the input resolution.
int64_t feature_channels(const models::ModelSpec& spec) {
  const int64_t s2 = spec.scale * spec.scale;
  if (spec.arch == "Compact") return 3 * spec.get_int("num_feat") + 3 * s2;
  if (spec.arch == "SPAN") return 10 * spec.get_int("feature_channels") + 3 * s2;
  // Real-CUGAN's UNets run at up to 2x the input resolution with 64-128 channels.
  if (spec.arch == "RealCUGAN") return 64 * 4 * 4;
  return 256;
}

torch::Tensor window_of(const torch::Tensor& input, const TileGrid& grid, const TileWindow& t) {
  return input.narrow(1, t.y, grid.window_h).narrow(2, t.x, grid.window_w);
}

// Copies the core of one upscaled window (out_ch x window*s, any dtype) into the output.
void write_core(torch::Tensor& output, const torch::Tensor& result, const TileWindow& t,
                int64_t s) {
  const auto core = result.narrow(1, (t.core_y - t.y) * s, t.core_h * s)
                        .narrow(2, (t.core_x - t.x) * s, t.core_w * s);
  output.narrow(1, t.core_y * s, t.core_h * s).narrow(2, t.core_x * s, t.core_w * s).copy_(core);
}

}  // namespace

int64_t bytes_per_pixel(const models::ModelSpec& spec, Precision precision) {
  const int64_t element = precision == Precision::kFp32 ? 4 : 2;
  return feature_channels(spec) * element;
}

Upscaler::Upscaler(models::LoadedModel model, UpscaleOptions options)
    : model_(std::move(model)), options_(options), device_(resolve_device(options.device)) {
  keep_freed_buffers_in_heap();  // every layer's activation is a fresh 10-100 MB block
  check_precision(options_.precision, device_);
  if (model_.spec.arch == "LBO")
    throw ModelError("LBO is a learned degradation (it shrinks); it cannot upscale");
  if (options_.batch < 1) throw ConfigError("batch must be >= 1");
  if (options_.tile < 0) throw ConfigError("tile must be >= 0 (0 = automatic)");
  if (options_.tile_mode < 0) throw ConfigError("tile mode must be >= 0 (0 = off)");
  if (options_.memory_budget_mb < 16) throw ConfigError("memory budget must be >= 16 MB");
  if (options_.cache_mode < -1 || options_.cache_mode > 3)
    throw ConfigError("cache mode must be 0, 1, 2 or 3, got " +
                      std::to_string(options_.cache_mode));
  if (model_.spec.arch == "RealCUGAN") {
    cugan_ = model_.net().as<models::RealCUGANImpl>();
    cugan_->options.alpha = options_.cugan_alpha;
  } else if (options_.cache_mode >= 0) {
    throw ConfigError("cache mode applies to Real-CUGAN models only; this one is " +
                      model_.spec.arch);
  }
  model_.net().eval();
  model_.net().to(device_, scalar_type(options_.precision));
  models::use_channels_last(model_.net());
}

int64_t Upscaler::tile_for(int64_t width, int64_t height) const {
  if (options_.tile > 0) return options_.tile;
  const int64_t budget = options_.memory_budget_mb * (int64_t{1} << 20);
  const int64_t per_window =
      budget / (bytes_per_pixel(model_.spec, options_.precision) * options_.batch);
  const auto window = static_cast<int64_t>(std::sqrt(static_cast<double>(per_window)));
  const int64_t whole_w = width + 2 * options_.overlap, whole_h = height + 2 * options_.overlap;
  if (whole_w * whole_h <= per_window) return 0;
  // Tiles smaller than their context waste most of the work; 32 px is the floor.
  return std::max<int64_t>(32, window - 2 * options_.overlap);
}

TileSize Upscaler::tile_size_for(int64_t width, int64_t height) const {
  if (cugan_) {
    const auto tiling = cugan_tiling_for(width, height);
    return tiling ? tiling->tile : TileSize{width, height};
  }
  if (options_.tile_mode > 0) return grid_tile_size(width, height, options_.tile_mode);
  const int64_t tile = tile_for(width, height);
  return {tile, tile};
}

std::optional<CuganTiling> Upscaler::cugan_tiling_for(int64_t width, int64_t height) const {
  if (!cugan_) return std::nullopt;
  const auto& net = cugan_->options;
  const double alpha = options_.cugan_alpha;
  if (options_.tile_mode > 0) {
    auto t = official_cugan_tiling(net, std::max(options_.cache_mode, 0), alpha, options_.tile_mode,
                                   width, height);
    t.batch = options_.batch;
    return t;
  }
  const int64_t per_pixel = bytes_per_pixel(model_.spec, options_.precision);
  const int64_t element = options_.precision == Precision::kFp32 ? 4 : 2;
  const int64_t budget = options_.memory_budget_mb * (int64_t{1} << 20);
  const int64_t m = net.size_multiple(), c = net.context();
  const auto padded = [&](int64_t side) { return (side + m - 1) / m * m + 2 * c; };
  if (options_.tile > 0 ? options_.tile >= width && options_.tile >= height
                        : padded(width) * padded(height) * per_pixel <= budget)
    return std::nullopt;
  // Unless asked otherwise, only the lossless ways: stage outputs kept while they fit the
  // budget beside the windows, else recomputed.
  std::vector<StageCache> caches{StageCache::kKeep, StageCache::kRecompute};
  if (options_.cache_mode == 0) caches = {StageCache::kKeep};
  if (options_.cache_mode == 1) caches = {StageCache::kKeep8Bit};
  if (options_.cache_mode >= 2) caches = {StageCache::kRecompute};
  const auto plan = [&](StageCache cache, int64_t tile) {
    auto t = exact_cugan_tiling(net, cache, alpha, tile, width, height);
    t.batch = options_.batch;
    return t;
  };
  const auto fits = [&](const CuganTiling& t) {
    return cugan_tiling_bytes(net, t, width, height, per_pixel, element) <= budget;
  };
  for (const auto cache : caches) {
    if (options_.tile > 0) {
      const auto t = plan(cache, options_.tile);
      if (fits(t) || cache == caches.back()) return t;
      continue;
    }
    for (int64_t tile = std::max(width, height); tile >= 32; --tile)
      if (const auto t = plan(cache, tile); fits(t)) return t;
  }
  const auto t = plan(caches.back(), 32);
  // Once per upscaler: a video would say it every frame.
  if (t.cache != StageCache::kRecompute && !warned_over_budget_.exchange(true))
    spdlog::warn(
        "Real-CUGAN: keeping the stage outputs of a {}x{} image takes {} MB, more than "
        "the {} MB memory budget (cache mode 3 recomputes them instead)",
        width, height, cugan_tiling_bytes(net, t, width, height, per_pixel, element) >> 20,
        options_.memory_budget_mb);
  return t;
}

bool Upscaler::overlapped() const {
  if (options_.transfers == Transfers::kAuto) return device_.is_cuda();
  return options_.transfers == Transfers::kOverlapped;
}

torch::Tensor Upscaler::forward_batch(const std::vector<torch::Tensor>& windows) {
  auto batch = torch::stack(windows);
  // Pinned host memory lets the copy to the GPU run asynchronously.
  if (device_.is_cuda()) batch = batch.pin_memory();
  batch = batch.to(device_, scalar_type(options_.precision), /*non_blocking=*/device_.is_cuda())
              .contiguous(torch::MemoryFormat::ChannelsLast);
  torch::NoGradGuard no_grad;
  return model_.forward(batch).to(torch::kCPU, torch::kFloat32);
}

torch::Tensor Upscaler::upscale(const torch::Tensor& image, const TileProgress& progress) {
  if (image.dim() != 3 || image.size(0) != model_.spec.in_ch)
    throw InputError("the model takes " + std::to_string(model_.spec.in_ch) +
                     " channels, the image has shape " + c10::str(image.sizes()));
  const int64_t h = image.size(1), w = image.size(2), s = scale();
  if (const auto tiling = cugan_tiling_for(w, h))
    return cugan_tiled_upscale(*cugan_, image.to(torch::kFloat32), *tiling, device_,
                               scalar_type(options_.precision), progress);
  const TileSize tile = tile_size_for(w, h);
  const auto grid = plan_tiles(w, h, tile.w, tile.h, options_.overlap);
  auto input = image.to(torch::kFloat32).contiguous();
  auto output = torch::empty({model_.spec.out_ch, h * s, w * s}, torch::kFloat32);
  if (overlapped())
    run_overlapped(input, grid, output, progress);
  else
    run_straight(input, grid, output, progress);
  return output;
}

void Upscaler::run_straight(const torch::Tensor& input, const TileGrid& grid, torch::Tensor& output,
                            const TileProgress& progress) {
  const auto total = static_cast<int64_t>(grid.windows.size());
  for (const auto& range : plan_batches(total, options_.batch)) {
    std::vector<torch::Tensor> windows;
    for (int64_t i = range.first; i < range.last; ++i)
      windows.push_back(window_of(input, grid, grid.windows[static_cast<size_t>(i)]));
    const auto result = forward_batch(windows);
    for (int64_t i = range.first; i < range.last; ++i)
      write_core(output, result[i - range.first], grid.windows[static_cast<size_t>(i)], scale());
    if (progress) progress(range.last, total);
  }
}

void Upscaler::run_overlapped(const torch::Tensor& input, const TileGrid& grid,
                              torch::Tensor& output, const TileProgress& progress) {
  const auto total = static_cast<int64_t>(grid.windows.size());
  PipelineShape shape;
  shape.items = total;
  shape.batch = options_.batch;
  shape.item_sizes = {model_.spec.in_ch, grid.window_h, grid.window_w};
  shape.dtype = scalar_type(options_.precision);
  PipelineStages stages;
  // The copy into the staging buffer converts to the model's dtype and layout on the host, so
  // the upload is a plain memcpy.
  stages.fill = [&](const BatchRange& range, const torch::Tensor& staging) {
    for (int64_t i = range.first; i < range.last; ++i)
      staging[i - range.first].copy_(window_of(input, grid, grid.windows[static_cast<size_t>(i)]));
  };
  stages.compute = [&](const torch::Tensor& batch) {
    torch::NoGradGuard no_grad;
    return model_.forward(batch);
  };
  // The result arrives in the model's dtype (half as many bytes for fp16); write_core widens it.
  stages.consume = [&](const BatchRange& range, const torch::Tensor& result) {
    for (int64_t i = range.first; i < range.last; ++i)
      write_core(output, result[i - range.first], grid.windows[static_cast<size_t>(i)], scale());
    if (progress) progress(range.last, total);
  };
  TransferPipeline(device_, shape).run(stages);
}

torch::Tensor Upscaler::upscale_rgba(const torch::Tensor& rgb, const torch::Tensor& alpha,
                                     const TileProgress& progress) {
  if (model_.spec.in_ch == 4) return upscale(torch::cat({rgb, alpha}), progress);
  if (model_.spec.in_ch != 3 || model_.spec.out_ch != 3)
    throw InputError("alpha needs an RGB or RGBA model; this one takes " +
                     std::to_string(model_.spec.in_ch) + " channels");
  auto colour = upscale(rgb, progress);
  // A grey image of the alpha through the same model keeps its edges as sharp as the colour's.
  auto grey = upscale(alpha.expand({3, alpha.size(1), alpha.size(2)}), progress);
  return torch::cat({colour, grey.mean(0, /*keepdim=*/true)});
}

}  // namespace pf::infer

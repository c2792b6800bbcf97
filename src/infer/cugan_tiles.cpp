// The staged schedule follows upcunet_v3.py's three tiled forwards: `forward` (cache_mode 0/1:
// all tiles through one stage, then the next, outputs kept), `forward_gap_sync` (3: for block k
// every tile is recomputed up to it) and `forward_fast_rough` (2: one running pass over the odd
// tiles for all four means, then every tile recomputed). Tiles go through in batches; the means
// are float32 sums, divided once per block.
#include "infer/cugan_tiles.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <functional>
#include <stdexcept>

#include "core/error.h"
#include "infer/transfer_pipeline.h"
#include "models/realcugan_stages.h"

namespace pf::infer {
namespace {

namespace F = torch::nn::functional;
using models::CuganTile;
using models::kCuganSeBlocks;

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

int64_t round_up(int64_t a, int64_t m) {
  return ceil_div(a, m) * m;
}

// 8-bit keeping rounds every value to one of 256 steps, which turns the last-bit differences
// between batched and single convolutions into whole steps (up to 4/255 in the output); one
// tile per pass, as upcunet_v3.py runs them, gives its numbers.
int64_t tiles_per_pass(const CuganTiling& t) {
  return t.cache == StageCache::kKeep8Bit ? 1 : t.batch;
}

void check_tile(const models::RealCUGANOptions& net, TileSize tile) {
  const int64_t m = net.size_multiple();
  if (tile.w <= 0 || tile.h <= 0 || tile.w % m != 0 || tile.h % m != 0)
    throw ConfigError("Real-CUGAN tiles must be positive multiples of " + std::to_string(m) +
                      " px; got " + std::to_string(tile.w) + "x" + std::to_string(tile.h));
}

// Of the part of block k's input a tile at `index` of `count` along an axis computes (`local`
// values), the leading values that are its own: up to where the next tile's begin, and for the
// last tile up to the whole image's end. `whole` and `step` are in the block's resolution.
int64_t owned(int64_t index, int64_t count, int64_t local, int64_t whole, int64_t step) {
  const int64_t rest = whole - index * step;
  return std::clamp<int64_t>(index == count - 1 ? rest : std::min(step, rest), 0, local);
}

// One image through the staged forward.
class StagedRun {
 public:
  StagedRun(models::RealCUGANImpl& net, const torch::Tensor& image, const CuganTiling& tiling,
            const torch::Device& device, torch::ScalarType dtype, const TileProgress& progress)
      : net_(net), t_(tiling), progress_(progress) {
    check_tile(net.options, t_.tile);
    h0_ = image.size(1), w0_ = image.size(2);
    rows_ = ceil_div(h0_, t_.tile.h), cols_ = ceil_div(w0_, t_.tile.w);
    const int64_t c = net.options.context();
    const int64_t pad_h = c + rows_ * t_.tile.h - h0_, pad_w = c + cols_ * t_.tile.w - w0_;
    if (pad_h >= h0_ || pad_w >= w0_)
      throw ModelError("Real-CUGAN x" + std::to_string(net.options.scale) + ": tiles of " +
                       std::to_string(t_.tile.w) + "x" + std::to_string(t_.tile.h) + " on a " +
                       std::to_string(w0_) + "x" + std::to_string(h0_) +
                       " input need more reflection padding than the input has; use larger "
                       "tiles or none");
    input_ = net.to_model_range(image.unsqueeze(0).to(device, dtype));
    // Windows in the layout of the weights (channels-last in the Upscaler), so that the convs run
    // without reorders.
    layout_ = net.unet1->conv1_down->weight.suggest_memory_format();
    padded_ = F::pad(input_, F::PadFuncOptions({c, pad_w, c, pad_h}).mode(torch::kReflect))
                  .contiguous(layout_);
    window_h_ = t_.tile.h + 2 * c, window_w_ = t_.tile.w + 2 * c;
    output_ = torch::empty({net.options.out_ch, h0_ * scale(), w0_ * scale()}, torch::kFloat32);
  }

  torch::Tensor run() {
    batches_ = plan_batches(rows_ * cols_, tiles_per_pass(t_));
    if (t_.means == SeMeans::kOddTiles) {
      if (t_.cache != StageCache::kRecompute)
        throw std::invalid_argument("means from the odd tiles go with recomputed stages");
      total_ = odd_tiles() + rows_ * cols_;
      running_means_from_odd_tiles();
      output_pass([&](const BatchRange& r) { return recomputed(kCuganSeBlocks - 1, r); },
                  t_.output_alpha);
    } else if (t_.cache == StageCache::kRecompute) {
      total_ = (kCuganSeBlocks + 1) * rows_ * cols_;
      for (int k = 0; k < kCuganSeBlocks; ++k)
        for (const auto& r : batches_) {
          auto tile = recomputed(k, r);
          add(k, block_input(k, tile), r.first);
          advance(r);
        }
      output_pass([&](const BatchRange& r) { return recomputed(kCuganSeBlocks - 1, r); },
                  t_.output_alpha);
    } else {
      total_ = (kCuganSeBlocks + 1) * rows_ * cols_;
      kept_all_stages();
    }
    return output_;
  }

 private:
  int64_t scale() const { return net_.options.scale; }

  int64_t odd_tiles() const { return (rows_ / 2) * (cols_ / 2); }

  torch::Tensor windows(const BatchRange& r) const {
    std::vector<torch::Tensor> list;
    for (int64_t i = r.first; i < r.last; ++i)
      list.push_back(padded_.narrow(2, (i / cols_) * t_.tile.h, window_h_)
                         .narrow(3, (i % cols_) * t_.tile.w, window_w_));
    return torch::cat(list).contiguous(layout_);
  }

  // Block k's input as the mean sees it: block 3's scaled by means_alpha (and kept so).
  torch::Tensor block_input(int k, CuganTile& tile) const {
    if (k == kCuganSeBlocks - 1 && t_.means_alpha != 1.0)
      tile.se_input = tile.se_input.get() * t_.means_alpha;
    return tile.se_input.get();
  }

  // Adds the tiles' contributions to block k's mean.
  void add(int k, const torch::Tensor& z, int64_t first) {
    torch::Tensor sum;
    if (t_.means == SeMeans::kWholeImage) {
      const auto ratio = models::cugan_se_scale(net_.options, k);
      const auto in_block = [&](int64_t px) { return px * ratio.num / ratio.den; };
      // The block's input over the whole image is as much larger than a tile's as the whole
      // padded image is than a window (the maps are linear in the input size).
      const int64_t m = net_.options.size_multiple();
      const int64_t whole_h = z.size(2) + in_block(round_up(h0_, m) - t_.tile.h);
      const int64_t whole_w = z.size(3) + in_block(round_up(w0_, m) - t_.tile.w);
      for (int64_t b = 0; b < z.size(0); ++b) {
        const int64_t i = first + b;
        const int64_t oh = owned(i / cols_, rows_, z.size(2), whole_h, in_block(t_.tile.h));
        const int64_t ow = owned(i % cols_, cols_, z.size(3), whole_w, in_block(t_.tile.w));
        const auto part = z.narrow(0, b, 1).narrow(2, 0, oh).narrow(3, 0, ow);
        const auto s = part.sum({2, 3}, /*keepdim=*/true, torch::kFloat32);
        sum = sum.defined() ? sum + s : s;
      }
      counts_[static_cast<size_t>(k)] = static_cast<double>(whole_h * whole_w);
    } else {
      sum = models::channel_mean(z).sum(0, /*keepdim=*/true);
      counts_[static_cast<size_t>(k)] += static_cast<double>(z.size(0));
    }
    auto& total = sums_[static_cast<size_t>(k)];
    total = total.defined() ? total + sum : sum;
  }

  torch::Tensor mean(int k) const {
    return sums_[static_cast<size_t>(k)] / counts_[static_cast<size_t>(k)];
  }

  // Tiles of `r` from their windows up to block k's input, with the means of blocks before it.
  CuganTile recomputed(int k, const BatchRange& r) {
    auto tile = models::cugan_stage0(net_, windows(r));
    for (int j = 1; j <= k; ++j) models::cugan_stage(net_, j, tile, mean(j - 1));
    return tile;
  }

  void kept_all_stages() {
    std::vector<CuganTile> kept(batches_.size());
    for (size_t i = 0; i < batches_.size(); ++i) {
      kept[i] = models::cugan_stage0(net_, windows(batches_[i]));
      add(0, kept[i].se_input.get(), batches_[i].first);
      advance(batches_[i]);
    }
    for (int k = 1; k < kCuganSeBlocks; ++k) {
      const auto previous = mean(k - 1);
      for (size_t i = 0; i < batches_.size(); ++i) {
        models::cugan_stage(net_, k, kept[i], previous);
        add(k, block_input(k, kept[i]), batches_[i].first);
        // upcunet_v3.py keeps stage 0's outputs in full and quantises from stage 1 on.
        if (t_.cache == StageCache::kKeep8Bit) kept[i].quantise();
        advance(batches_[i]);
      }
    }
    size_t next = 0;
    output_pass([&](const BatchRange&) { return std::move(kept[next++]); },
                t_.output_alpha / t_.means_alpha);
  }

  void running_means_from_odd_tiles() {
    int64_t count = 0;
    for (int64_t i = 0; i < rows_ * cols_; ++i) {
      if ((i / cols_) % 2 == 0 || (i % cols_) % 2 == 0) continue;
      ++count;
      const BatchRange one{i, i + 1};
      auto tile = models::cugan_stage0(net_, windows(one));
      for (int k = 0; k < kCuganSeBlocks; ++k) {
        if (k > 0) models::cugan_stage(net_, k, tile, mean(k - 1));
        add(k, block_input(k, tile), i);
        // Each tile goes on with the mean of the tiles so far, itself included.
        counts_[static_cast<size_t>(k)] = static_cast<double>(count);
      }
      advance(one);
    }
    if (count == 0)
      throw ConfigError(
          "Real-CUGAN cache mode 2 takes its means from tiles in odd rows and "
          "columns; these tiles make " +
          std::to_string(rows_) + " x " + std::to_string(cols_));
  }

  // The last block and the rest of the network for every batch, written to the output.
  // `alpha`: what block 3's output is scaled by on top of what its input already carries.
  void output_pass(const std::function<CuganTile(const BatchRange&)>& tile_of, double alpha) {
    const auto last_mean = mean(kCuganSeBlocks - 1);
    for (const auto& r : batches_) {
      auto tile = tile_of(r);
      write(models::cugan_output(net_, tile, last_mean, alpha), r.first);
      advance(r);
    }
  }

  // Each tile's core, cut to the image, finished (4x residual, pro range) and copied out.
  void write(const torch::Tensor& y, int64_t first) {
    const int64_t s = scale();
    for (int64_t b = 0; b < y.size(0); ++b) {
      const int64_t i = first + b;
      const int64_t y0 = (i / cols_) * t_.tile.h, x0 = (i % cols_) * t_.tile.w;
      const int64_t h = std::min(t_.tile.h, h0_ - y0), w = std::min(t_.tile.w, w0_ - x0);
      const auto core = y.narrow(0, b, 1).narrow(2, 0, h * s).narrow(3, 0, w * s);
      const auto done = net_.finish(core, input_.narrow(2, y0, h).narrow(3, x0, w));
      output_.narrow(1, y0 * s, h * s).narrow(2, x0 * s, w * s).copy_(done[0]);
    }
  }

  void advance(const BatchRange& r) {
    done_ += r.rows();
    if (progress_) progress_(done_, total_);
  }

  models::RealCUGANImpl& net_;
  CuganTiling t_;
  TileProgress progress_;
  int64_t h0_ = 0, w0_ = 0, rows_ = 0, cols_ = 0, window_h_ = 0, window_w_ = 0;
  torch::Tensor input_;   // 1 x C x H x W in model range, on the device
  torch::Tensor padded_;  // reflect-padded to whole tiles plus context
  torch::MemoryFormat layout_ = torch::MemoryFormat::Contiguous;
  torch::Tensor output_;  // on the CPU
  std::vector<BatchRange> batches_;
  std::array<torch::Tensor, kCuganSeBlocks> sums_;  // float32, 1 x C x 1 x 1
  std::array<double, kCuganSeBlocks> counts_{};
  int64_t done_ = 0, total_ = 0;
};

}  // namespace

CuganTiling official_cugan_tiling(const models::RealCUGANOptions& net, int cache_mode, double alpha,
                                  TileSize tile) {
  check_tile(net, tile);
  CuganTiling t;
  t.tile = tile;
  t.means = SeMeans::kTileAverage;
  // upcunet_v3.py scales conv4's output by alpha in a different place in each forward: before
  // the mean and kept so (0, 1); for the mean only on 2x, for the output only on 3x and 4x (3);
  // nowhere on 2x, for the output on 3x and 4x (2). The 2x fast variant, which it lacks,
  // follows its 2x.
  const bool x2 = net.scale == 2;
  switch (cache_mode) {
    case 0:
    case 1:
      t.cache = cache_mode == 0 ? StageCache::kKeep : StageCache::kKeep8Bit;
      t.means_alpha = t.output_alpha = alpha;
      break;
    case 2:
      t.cache = StageCache::kRecompute;
      t.means = SeMeans::kOddTiles;
      t.output_alpha = x2 ? 1.0 : alpha;
      break;
    case 3:
      t.cache = StageCache::kRecompute;
      t.means_alpha = x2 ? alpha : 1.0;
      t.output_alpha = x2 ? 1.0 : alpha;
      break;
    default:
      throw ConfigError("Real-CUGAN cache mode must be 0, 1, 2 or 3, got " +
                        std::to_string(cache_mode));
  }
  return t;
}

CuganTiling official_cugan_tiling(const models::RealCUGANOptions& net, int cache_mode, double alpha,
                                  int64_t tile_mode, int64_t width, int64_t height) {
  if (tile_mode < 1) throw ConfigError("Real-CUGAN tile mode must be >= 1 for tiled inference");
  // forward_fast_rough wants at least 3 x 3 tiles and hands fewer to forward's cache_mode 1.
  const int64_t grid = std::min(std::min(width, height) / 128, tile_mode);
  if (cache_mode == 2 && (tile_mode < 3 || grid < 3)) cache_mode = 1;
  return official_cugan_tiling(net, cache_mode, alpha,
                               grid_tile_size(width, height, tile_mode, net.size_multiple()));
}

CuganTiling exact_cugan_tiling(const models::RealCUGANOptions& net, StageCache cache, double alpha,
                               int64_t tile, int64_t width, int64_t height) {
  // Under 32 px a tile is mostly context, and reflection may not reach far enough.
  const int64_t target = std::max<int64_t>(tile, 32);
  const auto axis = [&](int64_t length) {
    const int64_t count = ceil_div(length, target);
    return round_up(ceil_div(length, count), net.size_multiple());
  };
  CuganTiling t;
  t.tile = {axis(width), axis(height)};
  t.cache = cache;
  t.output_alpha = alpha;
  return t;
}

int64_t cugan_tiling_bytes(const models::RealCUGANOptions& net, const CuganTiling& tiling,
                           int64_t width, int64_t height, int64_t window_bytes_per_pixel,
                           int64_t element_bytes) {
  const int64_t c = net.context();
  const int64_t window = (tiling.tile.w + 2 * c) * (tiling.tile.h + 2 * c);
  const int64_t tiles = ceil_div(width, tiling.tile.w) * ceil_div(height, tiling.tile.h);
  int64_t bytes = window * window_bytes_per_pixel * std::min(tiles_per_pass(tiling), tiles);
  if (tiling.cache != StageCache::kRecompute) {
    const int64_t kept = tiling.cache == StageCache::kKeep8Bit ? 1 : element_bytes;
    bytes += tiles * window * models::cugan_kept_bytes_per_pixel(net, element_bytes, kept);
  }
  return bytes;
}

torch::Tensor cugan_tiled_upscale(models::RealCUGANImpl& net, const torch::Tensor& image,
                                  const CuganTiling& tiling, const torch::Device& device,
                                  torch::ScalarType dtype, const TileProgress& progress) {
  torch::NoGradGuard no_grad;
  return StagedRun(net, image, tiling, device, dtype, progress).run();
}

}  // namespace pf::infer

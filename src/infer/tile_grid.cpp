#include "infer/tile_grid.h"

#include <algorithm>
#include <string>

#include "core/error.h"

namespace pf::infer {
namespace {

// Window starts along one axis: cores of `tile`, windows of `window` shifted to stay inside.
struct Span1D {
  int64_t window_start, core_start, core_len;
};

std::vector<Span1D> plan_axis(int64_t length, int64_t tile, int64_t window) {
  std::vector<Span1D> spans;
  const int64_t overlap = (window - tile) / 2;
  for (int64_t core = 0; core < length; core += tile) {
    const int64_t start = std::clamp<int64_t>(core - overlap, 0, length - window);
    spans.push_back({start, core, std::min(tile, length - core)});
  }
  return spans;
}

}  // namespace

TileGrid plan_tiles(int64_t width, int64_t height, int64_t tile_w_in, int64_t tile_h_in,
                    int64_t overlap) {
  if (width <= 0 || height <= 0) throw InputError("cannot upscale an empty image");
  if (overlap < 0) throw ConfigError("tile overlap must be >= 0, got " + std::to_string(overlap));
  const int64_t tile_w = tile_w_in > 0 ? std::min(tile_w_in, width) : width;
  const int64_t tile_h = tile_h_in > 0 ? std::min(tile_h_in, height) : height;
  TileGrid grid;
  grid.window_w = std::min(width, tile_w + 2 * overlap);
  grid.window_h = std::min(height, tile_h + 2 * overlap);
  const auto xs = plan_axis(width, tile_w, grid.window_w);
  const auto ys = plan_axis(height, tile_h, grid.window_h);
  for (const auto& y : ys)
    for (const auto& x : xs)
      grid.windows.push_back(
          {x.window_start, y.window_start, x.core_start, y.core_start, x.core_len, y.core_len});
  return grid;
}

TileSize grid_tile_size(int64_t width, int64_t height, int64_t mode, int64_t multiple) {
  if (mode < 0) throw ConfigError("tile mode must be >= 0, got " + std::to_string(mode));
  // `count` tiles of equal size, each a multiple of `multiple`, covering `length`.
  auto side = [multiple](int64_t length, int64_t count) {
    const int64_t step = count * multiple;
    return (length + step - 1) / step * step / count;
  };
  if (mode == 0) return {width, height};
  if (mode == 1)
    return width >= height ? TileSize{side(width, 2), side(height, 1)}
                           : TileSize{side(width, 1), side(height, 2)};
  const int64_t n = std::max<int64_t>(1, std::min(std::min(width, height) / 128, mode));
  return {side(width, n), side(height, n)};
}

}  // namespace pf::infer

// Tile geometry for the upscaler: equal-size input windows (a core plus context, shifted inwards
// at the image edges) and Real-CUGAN's tile modes.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

namespace pf::infer {

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
// N >= 2 cuts an N x N grid, lowered so that tiles keep at least 128 px on the short side. Tile
// sides are multiples of `multiple` (Real-CUGAN's size multiple; upcunet_v3.py rounds the side
// up to that times the tile count and divides).
TileSize grid_tile_size(int64_t width, int64_t height, int64_t mode, int64_t multiple = 1);

// Called after each batch with (windows done, windows in total).
using TileProgress = std::function<void(int64_t, int64_t)>;

}  // namespace pf::infer

// PNG encoding with libdeflate instead of libpng + zlib: zlib's deflate was the largest single
// cost of a degrade job without a degradation chain. The pixels are lossless whatever the level;
// only the file size and the time change (bench/png_bench.cpp measures the choices).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace pf::io {

// Compression levels: 0 stores, 1 is the fastest (8-bit: io/fast_deflate.h, matches at one pixel
// and one row back only, ~1.6x libdeflate's level 1 at ~12 % larger files; 16-bit: libdeflate's
// level 1), 2-12 are libdeflate's levels, 12 the smallest files.
inline constexpr int kPngCompressionMin = 0;
inline constexpr int kPngCompressionMax = 12;
// The level of every PNG pairforge writes unless `--png-compression` says otherwise.
inline constexpr int kPngCompressionDefault = 1;
// Which deflate runs level 1: io/fast_deflate (kFastest) or libdeflate's own level 1, which the
// benchmark compares it with.
enum class PngDeflate { kFastest, kLibdeflate };

// The PNG row filter every row gets: one fixed filter, as choosing per row costs more time
// than it saves bytes at the fast levels.
enum class PngFilter : uint8_t { kNone = 0, kSub = 1, kUp = 2, kAverage = 3, kPaeth = 4 };
// By measurement at level 1 on 1080p frames (bench/png_bench.cpp): Sub is among the fastest and
// smallest for 8-bit samples, Up for 16-bit ones (whose low bytes are noise to a left neighbour).
inline PngFilter default_png_filter(int bit_depth) {
  return bit_depth == 16 ? PngFilter::kUp : PngFilter::kSub;
}

// Ancillary chunks that say how to show the pixels: a video frame's pixel aspect ratio (pHYs,
// unit "unknown", so only the ratio counts) and its colour coding (cICP: H.273 primaries,
// transfer, matrix, full range), which HDR frames written as they are need.
struct PngTags {
  uint32_t aspect_x = 0, aspect_y = 0;  // 0 = no pHYs chunk
  bool has_cicp = false;
  uint8_t cicp[4] = {1, 1, 0, 1};  // BT.709 primaries and transfer, RGB, full range
};

struct PngLayout {
  int width = 0, height = 0;
  int channels = 3;   // 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA
  int bit_depth = 8;  // 8 or 16
  PngTags tags = {};
};

// Writes row y's bytes into `out`: samples in PNG order (RGB(A)), 16-bit ones big-endian.
using PngRowFill = std::function<void(int y, uint8_t* out)>;

// A complete PNG file; `filter` defaults to default_png_filter(layout.bit_depth). Throws
// pf::Error on a bad layout or level.
std::vector<uint8_t> encode_png(const PngLayout& layout, const PngRowFill& fill_row,
                                int level = kPngCompressionDefault,
                                std::optional<PngFilter> filter = std::nullopt,
                                PngDeflate level1 = PngDeflate::kFastest);

}  // namespace pf::io

// The common PNG (8- or 16-bit grey, RGB or RGBA, not interlaced, no palette or tRNS) decoded
// with libdeflate, whose inflate is several times faster than the zlib inside libpng; reading
// the input frames was a tenth of a codec-only job. Anything else, and any file with a fault
// (bad CRC, short data, unknown filter), is left to libpng, which decodes it or names the fault.
#pragma once
#include <cstdint>
#include <functional>
#include <opencv2/core.hpp>
#include <optional>
#include <vector>

namespace pf::io {

// The image as cv::imdecode(IMREAD_UNCHANGED) lays it out (grey, BGR or BGRA; 16-bit samples as
// native uint16), or in the file's own order (grey, RGB or RGBA) with `rgb_order`; nullopt when
// the file is not one this path takes.
std::optional<cv::Mat> decode_png_fast(const std::vector<uint8_t>& bytes, bool rgb_order = false);

struct PngInfo {
  int width = 0, height = 0;
  int depth = 0;     // 8 or 16
  int channels = 0;  // 1 (grey), 3 (RGB) or 4 (RGBA)
};
// The same decoding, row by row: `start` sees the header as soon as it is read (false: the
// caller declines, and nothing more is done); then `row` gets each unfiltered row in turn, in the
// file's layout (16-bit samples big-endian). False when the file is not one this path takes (a
// fault found after `start`, in a later chunk or in the rows, may come after some rows: the
// caller drops what it made).
bool decode_png_fast_rows(const std::vector<uint8_t>& bytes,
                          const std::function<bool(const PngInfo&)>& start,
                          const std::function<void(int y, const uint8_t* row)>& row);

}  // namespace pf::io

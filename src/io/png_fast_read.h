// The common PNG (8- or 16-bit grey, RGB or RGBA, not interlaced, no palette or tRNS) decoded
// with libdeflate, whose inflate is several times faster than the zlib inside libpng; reading
// the input frames was a tenth of a codec-only job. Anything else, and any file with a fault
// (bad CRC, short data, unknown filter), is left to libpng, which decodes it or names the fault.
#pragma once
#include <cstdint>
#include <opencv2/core.hpp>
#include <optional>
#include <vector>

namespace pf::io {

// The image as cv::imdecode(IMREAD_UNCHANGED) lays it out (grey, BGR or BGRA; 16-bit samples as
// native uint16), or in the file's own order (grey, RGB or RGBA) with `rgb_order`; nullopt when
// the file is not one this path takes.
std::optional<cv::Mat> decode_png_fast(const std::vector<uint8_t>& bytes, bool rgb_order = false);

}  // namespace pf::io

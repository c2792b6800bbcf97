// PNG (libpng) and JPEG (libjpeg-turbo) decoding without OpenCV's imgcodecs, which the start-up
// of every process linking it pays for (io/lazy_imgcodecs.h). The result is laid out exactly as
// cv::imdecode(bytes, IMREAD_UNCHANGED | IMREAD_ANYDEPTH) lays it out, so that callers see the
// same pixels: 8 or 16 bits, grey (1 channel), BGR, or BGRA when the file has alpha (RGB or
// palette transparency included; grey + alpha becomes BGRA); or RGB / RGBA when asked.
#pragma once
#include <cstdint>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

namespace pf::io {

// The order of colour samples in a decoded pixel: OpenCV's (BGR, BGRA), or the files' own (RGB,
// RGBA), which pairforge's images use: decoding straight into it spares two full-size swaps.
enum class ChannelOrder { kOpenCv, kRgb };

// nullopt when the bytes are not PNG or JPEG, or are a kind this decoder leaves to OpenCV (CMYK
// JPEG); throws pf::InputError naming `name` when they are PNG/JPEG but corrupt.
std::optional<cv::Mat> decode_native(const std::vector<uint8_t>& bytes, const std::string& name,
                                     ChannelOrder order = ChannelOrder::kOpenCv);

}  // namespace pf::io

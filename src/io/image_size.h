// An image's size from its header alone (PNG, JPEG, WebP; other formats are decoded), so a
// training set of thousands of frames can be checked in seconds before training starts, and a
// file whose header promises more pixels than its bytes can hold is refused before decoding.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pf::io {

struct ImageSize {
  int width = 0, height = 0;
};

enum class ImageFormat { kPng, kJpeg, kWebp, kOther };

// nullopt when the file is missing, unreadable or not an image.
std::optional<ImageSize> read_image_size(const std::string& path);

// From encoded bytes: the format, and the size its header declares (nullopt for other formats
// and for a header that cannot be read).
ImageFormat image_format(const std::vector<uint8_t>& bytes);
std::optional<ImageSize> header_size(const std::vector<uint8_t>& bytes);
// The most pixels a complete file of this format and byte count can decode to (UINT64_MAX where
// the format has no such bound): a header declaring more belongs to a truncated or forged file.
uint64_t max_complete_pixels(const std::vector<uint8_t>& bytes);

}  // namespace pf::io

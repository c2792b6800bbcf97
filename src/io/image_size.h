// An image's size from its header alone (PNG, JPEG, WebP; other formats are decoded), so a
// training set of thousands of frames can be checked in seconds before training starts.
#pragma once
#include <optional>
#include <string>

namespace pf::io {

struct ImageSize {
  int width = 0, height = 0;
};

// nullopt when the file is missing, unreadable or not an image.
std::optional<ImageSize> read_image_size(const std::string& path);

}  // namespace pf::io

#include "io/image_size.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <vector>

#include "core/error.h"
#include "io/image.h"

namespace pf::io {

namespace {

uint32_t be16(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 8 | p[1];
}
uint32_t be32(const uint8_t* p) {
  return be16(p) << 16 | be16(p + 2);
}
uint32_t le16(const uint8_t* p) {
  return static_cast<uint32_t>(p[1]) << 8 | p[0];
}

std::optional<ImageSize> png_size(const std::vector<uint8_t>& b) {
  static const uint8_t kSig[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (b.size() < 24 || std::memcmp(b.data(), kSig, 8) != 0 || std::memcmp(&b[12], "IHDR", 4) != 0)
    return std::nullopt;
  return ImageSize{static_cast<int>(be32(&b[16])), static_cast<int>(be32(&b[20]))};
}

// Walks the JPEG markers to the first start-of-frame.
std::optional<ImageSize> jpeg_size(std::ifstream& f) {
  uint8_t m[2];
  f.seekg(0);
  if (!f.read(reinterpret_cast<char*>(m), 2) || m[0] != 0xff || m[1] != 0xd8) return std::nullopt;
  for (;;) {
    if (!f.read(reinterpret_cast<char*>(m), 2)) return std::nullopt;
    if (m[0] != 0xff) return std::nullopt;
    const uint8_t marker = m[1];
    if (marker == 0xff) {  // fill byte
      f.seekg(-1, std::ios::cur);
      continue;
    }
    if (marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01) continue;
    uint8_t len[2];
    if (!f.read(reinterpret_cast<char*>(len), 2)) return std::nullopt;
    const uint32_t length = be16(len);
    if (length < 2) return std::nullopt;
    const bool sof =
        marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
    if (sof) {
      uint8_t h[5];
      if (!f.read(reinterpret_cast<char*>(h), 5)) return std::nullopt;
      return ImageSize{static_cast<int>(be16(h + 3)), static_cast<int>(be16(h + 1))};
    }
    f.seekg(length - 2, std::ios::cur);
  }
}

std::optional<ImageSize> webp_size(const std::vector<uint8_t>& b) {
  if (b.size() < 30 || std::memcmp(b.data(), "RIFF", 4) != 0 || std::memcmp(&b[8], "WEBP", 4) != 0)
    return std::nullopt;
  if (std::memcmp(&b[12], "VP8 ", 4) == 0)
    return ImageSize{static_cast<int>(le16(&b[26]) & 0x3fff),
                     static_cast<int>(le16(&b[28]) & 0x3fff)};
  if (std::memcmp(&b[12], "VP8L", 4) == 0 && b[20] == 0x2f) {
    const uint32_t bits = b[21] | b[22] << 8 | b[23] << 16 | static_cast<uint32_t>(b[24]) << 24;
    return ImageSize{static_cast<int>((bits & 0x3fff) + 1),
                     static_cast<int>(((bits >> 14) & 0x3fff) + 1)};
  }
  if (std::memcmp(&b[12], "VP8X", 4) == 0)
    return ImageSize{static_cast<int>((b[24] | b[25] << 8 | b[26] << 16) + 1),
                     static_cast<int>((b[27] | b[28] << 8 | b[29] << 16) + 1)};
  return std::nullopt;
}

}  // namespace

std::optional<ImageSize> read_image_size(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::vector<uint8_t> head(32);
  f.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(f.gcount()));
  if (auto s = png_size(head)) return s;
  if (auto s = webp_size(head)) return s;
  f.clear();
  if (head.size() >= 2 && head[0] == 0xff && head[1] == 0xd8) return jpeg_size(f);
  try {
    const Image img = read_image(path);
    return ImageSize{img.rgb.cols, img.rgb.rows};
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace pf::io

#include "io/image_size.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
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

bool is_png(const std::vector<uint8_t>& b) {
  static const uint8_t kSig[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return b.size() >= 8 && std::memcmp(b.data(), kSig, 8) == 0;
}
bool is_jpeg(const std::vector<uint8_t>& b) {
  return b.size() >= 2 && b[0] == 0xff && b[1] == 0xd8;
}
bool is_webp(const std::vector<uint8_t>& b) {
  return b.size() >= 12 && std::memcmp(b.data(), "RIFF", 4) == 0 &&
         std::memcmp(&b[8], "WEBP", 4) == 0;
}

std::optional<ImageSize> png_size(const std::vector<uint8_t>& b) {
  if (b.size() < 24 || !is_png(b) || std::memcmp(&b[12], "IHDR", 4) != 0) return std::nullopt;
  // PNG sizes are at most 2^31 - 1; larger values are corrupt, not huge.
  const uint32_t w = be32(&b[16]), h = be32(&b[20]);
  if (w > INT32_MAX || h > INT32_MAX) return std::nullopt;
  return ImageSize{static_cast<int>(w), static_cast<int>(h)};
}

// Walks the JPEG markers to the first start-of-frame; `read(at, out, n)` reads n bytes at `at`.
// `frame_marker` receives the start-of-frame marker (0xc0..0xcf: the coding).
std::optional<ImageSize> jpeg_size(const std::function<bool(uint64_t, uint8_t*, size_t)>& read,
                                   uint8_t* frame_marker = nullptr) {
  uint8_t m[2];
  if (!read(0, m, 2) || m[0] != 0xff || m[1] != 0xd8) return std::nullopt;
  uint64_t at = 2;
  for (;;) {
    if (!read(at, m, 2)) return std::nullopt;
    // Bytes between markers are skipped, as libjpeg skips them (with a warning), so this finds
    // the frame libjpeg will decode.
    if (m[0] != 0xff || m[1] == 0x00) {
      at += m[0] != 0xff ? 1 : 2;
      continue;
    }
    const uint8_t marker = m[1];
    if (marker == 0xff) {  // fill byte
      at += 1;
      continue;
    }
    at += 2;
    if (marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01) continue;
    uint8_t len[2];
    if (!read(at, len, 2)) return std::nullopt;
    const uint32_t length = be16(len);
    if (length < 2) return std::nullopt;
    const bool sof =
        marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
    if (sof) {
      uint8_t h[5];
      if (!read(at + 2, h, 5)) return std::nullopt;
      if (frame_marker) *frame_marker = marker;
      return ImageSize{static_cast<int>(be16(h + 3)), static_cast<int>(be16(h + 1))};
    }
    at += length;
  }
}

std::optional<ImageSize> webp_size(const std::vector<uint8_t>& b) {
  if (b.size() < 30 || !is_webp(b)) return std::nullopt;
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

ImageFormat image_format(const std::vector<uint8_t>& bytes) {
  if (is_png(bytes)) return ImageFormat::kPng;
  if (is_jpeg(bytes)) return ImageFormat::kJpeg;
  if (is_webp(bytes)) return ImageFormat::kWebp;
  return ImageFormat::kOther;
}

namespace {

std::optional<ImageSize> jpeg_size_of(const std::vector<uint8_t>& b, uint8_t* sof) {
  return jpeg_size(
      [&](uint64_t at, uint8_t* out, size_t n) {
        if (at > b.size() || n > b.size() - at) return false;
        std::memcpy(out, &b[at], n);
        return true;
      },
      sof);
}

}  // namespace

std::optional<ImageSize> header_size(const std::vector<uint8_t>& b) {
  switch (image_format(b)) {
    case ImageFormat::kPng:
      return png_size(b);
    case ImageFormat::kWebp:
      return webp_size(b);
    case ImageFormat::kJpeg:
      return jpeg_size_of(b, nullptr);
    case ImageFormat::kOther:
      break;
  }
  return std::nullopt;
}

uint64_t max_complete_pixels(const std::vector<uint8_t>& b) {
  const uint64_t n = b.size();
  switch (image_format(b)) {
    case ImageFormat::kPng:
      // Deflate expands at most 1032:1, and a pixel takes at least one bit before it.
      return n * 8 * 1032;
    case ImageFormat::kJpeg: {
      // Huffman coding spends at least one bit on every 8x8 block of the largest component.
      // Arithmetic coding (SOF9-11, SOF13-15) can spend less: no bound.
      uint8_t sof = 0;
      if (!jpeg_size_of(b, &sof) || sof >= 0xc9) return UINT64_MAX;
      return n * 8 * 64;
    }
    case ImageFormat::kWebp:  // lossless WebP codes a flat image in a few bytes, whatever its size
    case ImageFormat::kOther:
      break;
  }
  return UINT64_MAX;
}

std::optional<ImageSize> read_image_size(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::vector<uint8_t> head(32);
  f.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(f.gcount()));
  if (auto s = png_size(head)) return s;
  if (auto s = webp_size(head)) return s;
  if (is_jpeg(head))
    // Seeks from marker to marker: only the headers before the first frame are read.
    return jpeg_size([&](uint64_t at, uint8_t* out, size_t n) {
      f.clear();
      f.seekg(static_cast<std::streamoff>(at));
      return static_cast<bool>(
          f.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n)));
    });
  try {
    const Image img = read_image(path);
    return ImageSize{img.rgb.cols, img.rgb.rows};
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace pf::io

#include "io/png_fast_read.h"

#include <libdeflate.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace pf::io {
namespace {

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

int paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

// The Sub filter undone with one running sum per sample of a pixel, kept in registers: the plain
// loop reloads each sum from the byte it stored one pixel before, a store-to-load round trip per
// byte (OpenCV writes every row of its PNGs with Sub).
template <size_t Bpp>
void unfilter_sub(uint8_t* row, size_t n) {
  uint8_t sum[Bpp];
  for (size_t c = 0; c < Bpp; ++c) sum[c] = row[c];
  for (size_t i = Bpp; i + Bpp <= n; i += Bpp)
    for (size_t c = 0; c < Bpp; ++c)
      row[i + c] = sum[c] = static_cast<uint8_t>(sum[c] + row[i + c]);
}

// Undoes PNG's filter of one row in place; `prev` is the previous reconstructed row (zeros for
// the first). False on an unknown filter type.
bool unfilter(uint8_t type, uint8_t* row, const uint8_t* prev, size_t n, size_t bpp) {
  switch (type) {
    case 0:
      return true;
    case 1:
      if (bpp == 3)
        unfilter_sub<3>(row, n);
      else if (bpp == 4)
        unfilter_sub<4>(row, n);
      else if (bpp == 6)
        unfilter_sub<6>(row, n);
      else
        for (size_t i = bpp; i < n; ++i) row[i] = static_cast<uint8_t>(row[i] + row[i - bpp]);
      return true;
    case 2:
      for (size_t i = 0; i < n; ++i) row[i] = static_cast<uint8_t>(row[i] + prev[i]);
      return true;
    case 3:
      for (size_t i = 0; i < bpp; ++i) row[i] = static_cast<uint8_t>(row[i] + (prev[i] >> 1));
      for (size_t i = bpp; i < n; ++i)
        row[i] = static_cast<uint8_t>(row[i] + ((row[i - bpp] + prev[i]) >> 1));
      return true;
    case 4:
      for (size_t i = 0; i < bpp; ++i) row[i] = static_cast<uint8_t>(row[i] + prev[i]);
      for (size_t i = bpp; i < n; ++i)
        row[i] = static_cast<uint8_t>(row[i] + paeth(row[i - bpp], prev[i], prev[i - bpp]));
      return true;
    default:
      return false;
  }
}

// PNG order (RGB(A), big-endian) to OpenCV's (BGR(A), native uint16), or to native uint16 alone
// with `rgb_order` (8-bit rows are then copied as they are).
template <class T>
void to_opencv(const uint8_t* in, T* out, int width, int channels, bool rgb_order) {
  auto sample = [&](int i) -> T {
    if constexpr (sizeof(T) == 2)
      return static_cast<T>((in[2 * i] << 8) | in[2 * i + 1]);
    else
      return in[i];
  };
  if (rgb_order || channels == 1) {
    if constexpr (sizeof(T) == 1)
      std::memcpy(out, in, static_cast<size_t>(width) * channels);
    else
      for (int i = 0; i < width * channels; ++i) out[i] = sample(i);
    return;
  }
  for (int x = 0; x < width; ++x, out += channels) {
    const int i = x * channels;
    out[0] = sample(i + 2), out[1] = sample(i + 1), out[2] = sample(i);
    if (channels == 4) out[3] = sample(i + 3);
  }
}

struct DecompressorFree {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

}  // namespace

bool decode_png_fast_rows(const std::vector<uint8_t>& bytes,
                          const std::function<bool(const PngInfo&)>& start,
                          const std::function<void(int, const uint8_t*)>& row_out) {
  const uint8_t* p = bytes.data();
  const size_t size = bytes.size();
  if (size < 8 + 25) return false;
  size_t pos = 8;  // after the signature (checked by the caller)
  PngInfo info;
  // The IDAT chunks' data, joined (libdeflate inflates one buffer): a buffer per thread that only
  // grows, reserved whole, as the PNG writer's: no reallocation per 8 KB chunk and no fresh pages.
  thread_local std::vector<uint8_t> idat;
  idat.clear();
  idat.reserve(size);
  bool seen_header = false, seen_end = false;
  while (!seen_end) {
    if (size - pos < 12) return false;
    const uint32_t length = be32(p + pos);
    if (length > size - pos - 12) return false;
    const uint8_t* type = p + pos + 4;
    const uint8_t* data = type + 4;
    if (libdeflate_crc32(0, type, length + 4) != be32(data + length)) return false;
    if (std::memcmp(type, "IHDR", 4) == 0) {
      if (length != 13 || seen_header) return false;
      const uint32_t w = be32(data), h = be32(data + 4);
      info.depth = data[8];
      const int colour = data[9];
      // Compression and filter method 0, no interlacing; grey, RGB or RGBA at 8 or 16 bits.
      if (w == 0 || h == 0 || w > (1u << 24) || h > (1u << 24) || data[10] != 0 || data[11] != 0 ||
          data[12] != 0 || (info.depth != 8 && info.depth != 16))
        return false;
      info.channels = colour == 0 ? 1 : colour == 2 ? 3 : colour == 6 ? 4 : 0;
      if (info.channels == 0) return false;
      info.width = static_cast<int>(w), info.height = static_cast<int>(h);
      // Asked here, before the other chunks are checked and copied: a caller that declines
      // (decode_image's float path, for a layout it does not take) costs next to nothing.
      if (!start(info)) return false;
      seen_header = true;
    } else if (std::memcmp(type, "IDAT", 4) == 0) {
      if (!seen_header) return false;
      idat.insert(idat.end(), data, data + length);
    } else if (std::memcmp(type, "IEND", 4) == 0) {
      seen_end = true;
    } else if (std::memcmp(type, "tRNS", 4) == 0 || std::memcmp(type, "PLTE", 4) == 0 ||
               (type[0] & 0x20) == 0) {
      return false;  // transparency, palettes and unknown critical chunks: libpng's
    }
    pos += 12 + length;
  }
  if (!seen_header || idat.empty()) return false;

  const size_t bpp = static_cast<size_t>(info.channels) * info.depth / 8;
  const size_t row_bytes = bpp * static_cast<size_t>(info.width);
  const size_t raw_size = (row_bytes + 1) * static_cast<size_t>(info.height);
  // Not zero-filled: a successful inflate to exactly this size writes every byte.
  thread_local std::vector<uint8_t> raw;
  if (raw.size() < raw_size) raw.resize(raw_size);
  const std::unique_ptr<libdeflate_decompressor, DecompressorFree> inflater(
      libdeflate_alloc_decompressor());
  if (!inflater || libdeflate_zlib_decompress(inflater.get(), idat.data(), idat.size(), raw.data(),
                                              raw_size, nullptr) != LIBDEFLATE_SUCCESS)
    return false;

  const std::vector<uint8_t> zeros(row_bytes, 0);
  const uint8_t* prev = zeros.data();
  for (int y = 0; y < info.height; ++y) {
    uint8_t* row = raw.data() + static_cast<size_t>(y) * (row_bytes + 1);
    if (!unfilter(row[0], row + 1, prev, row_bytes, bpp)) return false;
    row_out(y, row + 1);
    prev = row + 1;
  }
  return true;
}

std::optional<cv::Mat> decode_png_fast(const std::vector<uint8_t>& bytes, bool rgb_order) {
  cv::Mat out;
  PngInfo info;
  const bool ok = decode_png_fast_rows(
      bytes,
      [&](const PngInfo& i) {
        info = i;
        out.create(i.height, i.width, CV_MAKETYPE(i.depth == 16 ? CV_16U : CV_8U, i.channels));
        return true;
      },
      [&](int y, const uint8_t* row) {
        if (info.depth == 16)
          to_opencv(row, out.ptr<uint16_t>(y), info.width, info.channels, rgb_order);
        else
          to_opencv(row, out.ptr<uint8_t>(y), info.width, info.channels, rgb_order);
      });
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace pf::io

#include "io/native_decode.h"

#include <png.h>
#include <turbojpeg.h>

#include <csetjmp>
#include <cstring>
#include <memory>

#include "core/error.h"
#include "io/png_fast_read.h"

namespace pf::io {
namespace {

struct PngSource {
  const uint8_t* data;
  size_t size, pos;
  char message[256];
};

void png_read_bytes(png_structp png, png_bytep out, png_size_t n) {
  auto* s = static_cast<PngSource*>(png_get_io_ptr(png));
  if (n > s->size - s->pos) png_error(png, "truncated file");
  std::memcpy(out, s->data + s->pos, n);
  s->pos += n;
}

void png_fail(png_structp png, png_const_charp message) {
  auto* s = static_cast<PngSource*>(png_get_io_ptr(png));
  std::snprintf(s->message, sizeof s->message, "%s", message);
  png_longjmp(png, 1);
}

void png_quiet(png_structp, png_const_charp) {}

// The two steps that call into libpng, whose errors return through longjmp: each in a frame of
// its own that holds nothing with a destructor and nothing changed after setjmp.
bool png_header(png_structp png, png_infop info) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  return true;
}

bool png_rows(png_structp png, png_bytep* rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return true;
}

// The same transformations as OpenCV's PNG decoder (grfmt_png.cpp), and the row layout they
// give: returns the channel count, 0 on a libpng error.
int png_transform(png_structp png, png_infop info, int bit_depth, int color_type,
                  ChannelOrder order) {
  int channels = 1;
  if (color_type == PNG_COLOR_TYPE_RGB || color_type == PNG_COLOR_TYPE_PALETTE)
    channels = png_get_valid(png, info, PNG_INFO_tRNS) ? 4 : 3;
  else if (color_type == PNG_COLOR_TYPE_GRAY_ALPHA || color_type == PNG_COLOR_TYPE_RGB_ALPHA)
    channels = 4;
  const int result = channels;
  if (setjmp(png_jmpbuf(png))) return 0;
  if (result < 4)
    png_set_strip_alpha(png);
  else
    png_set_tRNS_to_alpha(png);
  if (bit_depth == 16) png_set_swap(png);  // to the machine's (little-endian) uint16
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if ((color_type & PNG_COLOR_MASK_COLOR) == 0 && bit_depth < 8)
    png_set_expand_gray_1_2_4_to_8(png);
  if (color_type & PNG_COLOR_MASK_COLOR) {
    if (order == ChannelOrder::kOpenCv) png_set_bgr(png);
  } else if (result > 1) {
    png_set_gray_to_rgb(png);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  return result;
}

cv::Mat decode_png(const std::vector<uint8_t>& bytes, const std::string& name, ChannelOrder order) {
  if (auto fast = decode_png_fast(bytes, order == ChannelOrder::kRgb)) return std::move(*fast);
  PngSource src{bytes.data(), bytes.size(), 0, {}};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_fail, png_quiet);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    throw Error("PNG decoder: out of memory");
  }
  struct Guard {
    png_structp* p;
    png_infop* i;
    ~Guard() { png_destroy_read_struct(p, i, nullptr); }
  } guard{&png, &info};
  png_set_read_fn(png, &src, png_read_bytes);
  if (!png_header(png, info))
    throw InputError("cannot decode image '" + name + "': " + src.message);
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0;
  png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, nullptr, nullptr, nullptr);
  const int channels = png_transform(png, info, bit_depth, color_type, order);
  if (channels == 0) throw InputError("cannot decode image '" + name + "': " + src.message);
  if (png_get_rowbytes(png, info) !=
      static_cast<size_t>(width) * channels * (bit_depth == 16 ? 2 : 1))
    throw InputError("cannot decode image '" + name + "': unexpected PNG row layout");

  cv::Mat out(static_cast<int>(height), static_cast<int>(width),
              CV_MAKETYPE(bit_depth == 16 ? CV_16U : CV_8U, channels));
  std::vector<png_bytep> rows(height);
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = out.ptr(static_cast<int>(y));
  if (!png_rows(png, rows.data()))
    throw InputError("cannot decode image '" + name + "': " + src.message);
  return out;
}

struct TjFree {
  void operator()(void* h) const { tjDestroy(h); }
};

std::optional<cv::Mat> decode_jpeg(const std::vector<uint8_t>& bytes, const std::string& name,
                                   ChannelOrder order) {
  const std::unique_ptr<void, TjFree> tj(tjInitDecompress());
  if (!tj) throw Error("JPEG decoder: tjInitDecompress failed");
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  auto* data = const_cast<unsigned char*>(bytes.data());
  if (tjDecompressHeader3(tj.get(), data, bytes.size(), &width, &height, &subsampling,
                          &colorspace) != 0)
    throw InputError("cannot decode image '" + name + "': " + tjGetErrorStr2(tj.get()));
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) return std::nullopt;
  const bool grey = colorspace == TJCS_GRAY;
  cv::Mat out(height, width, grey ? CV_8UC1 : CV_8UC3);
  // Default flags: accurate integer DCT and fancy upsampling, as OpenCV's libjpeg reader.
  if (tjDecompress2(tj.get(), data, bytes.size(), out.data, width, static_cast<int>(out.step),
                    height,
                    grey                          ? TJPF_GRAY
                    : order == ChannelOrder::kRgb ? TJPF_RGB
                                                  : TJPF_BGR,
                    0) != 0 &&
      tjGetErrorCode(tj.get()) == TJERR_FATAL)
    throw InputError("cannot decode image '" + name + "': " + tjGetErrorStr2(tj.get()));
  return out;
}

}  // namespace

std::optional<cv::Mat> decode_native(const std::vector<uint8_t>& bytes, const std::string& name,
                                     ChannelOrder order) {
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kPng, 8) == 0)
    return decode_png(bytes, name, order);
  if (bytes.size() >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff)
    return decode_jpeg(bytes, name, order);
  return std::nullopt;
}

}  // namespace pf::io

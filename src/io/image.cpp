#include "io/image.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>  // the flags only: the code is behind io/lazy_imgcodecs.h
#include <opencv2/imgproc.hpp>
#include <optional>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/input_file.h"
#include "io/image_size.h"
#include "io/lazy_imgcodecs.h"
#include "io/native_decode.h"
#include "io/png_fast_read.h"
#include "io/png_writer.h"
#include "io/simd/quantise_row.h"

namespace fs = std::filesystem;

namespace pf::io {

static std::vector<uint8_t> read_bytes(const std::string& path) {
  require_regular_file(path, "image");  // a FIFO would block, /dev/zero read forever
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) throw InputError("cannot open image '" + path + "'");
  // One read of the known size (an istreambuf_iterator copy goes byte by byte).
  std::vector<uint8_t> bytes(static_cast<size_t>(f.tellg()));
  f.seekg(0);
  if (!f.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size())))
    throw InputError("cannot read image '" + path + "'");
  return bytes;
}

uint64_t max_image_pixels() {
  constexpr uint64_t kPillowBombLimit = 178956970;  // 2 x PIL.Image.MAX_IMAGE_PIXELS
  const char* env = std::getenv("PAIRFORGE_MAX_IMAGE_PIXELS");
  if (!env || !*env) return kPillowBombLimit;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(env, &end, 10);
  return *end == '\0' && v > 0 ? v : kPillowBombLimit;
}

namespace {

// Refuses, before anything is allocated, an image whose header promises more pixels than the
// limit, or more than its bytes can hold. OpenCV allocates the declared size first, and libjpeg
// decodes a truncated file by filling in grey: without this a 400-byte JPEG declaring
// 60000 x 20000 decodes "successfully" into gigabytes.
void check_declared_size(const std::vector<uint8_t>& bytes, const std::string& name) {
  const auto size = header_size(bytes);
  if (!size) return;  // other formats, or a header OpenCV will refuse itself
  const uint64_t pixels = static_cast<uint64_t>(size->width) * static_cast<uint64_t>(size->height);
  const std::string dims = std::to_string(size->width) + "x" + std::to_string(size->height);
  if (pixels > max_image_pixels())
    throw InputError("image '" + name + "' is " + dims + ", over the limit of " +
                     std::to_string(max_image_pixels()) +
                     " pixels (a decompression bomb? PAIRFORGE_MAX_IMAGE_PIXELS raises the limit)");
  if (pixels > max_complete_pixels(bytes))
    throw InputError("image '" + name + "' is truncated or corrupt: its header says " + dims +
                     ", more than its " + std::to_string(bytes.size()) + " bytes can hold");
}

}  // namespace

namespace {

// 8-bit samples to [0, 1].
constexpr double kScale8 = 1.0 / 255;

// 8-bit RGB PNGs (the usual frames) go from the inflated rows straight to float, each row while
// it is in cache, with the conversion decode_image applies to the 8-bit image: the same values
// without the 8-bit image in between. nullopt for any other file.
std::optional<Image> decode_png_rgb8(const std::vector<uint8_t>& bytes) {
  Image img;
  const bool ok = decode_png_fast_rows(
      bytes,
      [&](const PngInfo& info) {
        if (info.depth != 8 || info.channels != 3 ||
            static_cast<uint64_t>(info.width) * info.height > max_image_pixels())
          return false;
        img.rgb.create(info.height, info.width, CV_32FC3);
        return true;
      },
      [&](int y, const uint8_t* row) {
        cv::Mat out = img.rgb.row(y);
        cv::Mat(1, img.rgb.cols, CV_8UC3, const_cast<uint8_t*>(row))
            .convertTo(out, CV_32F, kScale8);
      });
  if (!ok) return std::nullopt;
  return img;
}

}  // namespace

Image decode_image(const std::vector<uint8_t>& bytes, const std::string& name) {
  check_declared_size(bytes, name);
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), "\x89PNG\r\n\x1a\n", 8) == 0)
    if (std::optional<Image> img = decode_png_rgb8(bytes)) return std::move(*img);
  cv::Mat raw;
  bool rgb_order = false;  // PNG and JPEG come in RGB(A), OpenCV's other formats in BGR(A)
  try {
    // PNG and JPEG without imgcodecs (io/native_decode.h); other formats through it.
    if (auto native = decode_native(bytes, name, ChannelOrder::kRgb))
      raw = std::move(*native), rgb_order = true;
    else
      raw = imdecode_lazy(bytes, cv::IMREAD_UNCHANGED | cv::IMREAD_ANYDEPTH);
  } catch (const cv::Exception& e) {
    throw InputError("cannot decode image '" + name + "': " + e.what());
  }
  if (raw.empty()) throw InputError("cannot decode image '" + name + "' (corrupt or not an image)");
  if (raw.total() > max_image_pixels())  // formats without a header we read (TIFF, BMP)
    throw InputError("image '" + name + "' is " + std::to_string(raw.cols) + "x" +
                     std::to_string(raw.rows) + ", over the limit of " +
                     std::to_string(max_image_pixels()) +
                     " pixels (PAIRFORGE_MAX_IMAGE_PIXELS raises the limit)");
  Image img;
  double scale = 1.0;
  switch (raw.depth()) {
    case CV_8U:
      scale = kScale8, img.bit_depth = 8;
      break;
    case CV_16U:
      scale = 1.0 / 65535, img.bit_depth = 16;
      break;
    case CV_32F:
      scale = 1.0, img.bit_depth = 32;
      break;
    default:
      throw InputError("image '" + name + "' has an unsupported sample type");
  }
  // Channels are reordered on the integer samples (a quarter of the float bytes), then scaled
  // once into the result: the same values as scaling first, two full-size float images fewer.
  cv::Mat ordered;
  switch (raw.channels()) {
    case 1:
      cv::cvtColor(raw, ordered, cv::COLOR_GRAY2RGB);
      break;
    case 3:
      if (rgb_order)
        ordered = raw;
      else
        cv::cvtColor(raw, ordered, cv::COLOR_BGR2RGB);
      break;
    case 4: {
      cv::cvtColor(raw, ordered, rgb_order ? cv::COLOR_RGBA2RGB : cv::COLOR_BGRA2RGB);
      cv::Mat alpha;
      cv::extractChannel(raw, alpha, 3);
      alpha.convertTo(img.alpha, CV_32F, scale);
      break;
    }
    default:
      throw InputError("image '" + name + "' has an unsupported channel count");
  }
  ordered.convertTo(img.rgb, CV_32F, scale);
  return img;
}

Image read_image(const std::string& path) {
  return decode_image(read_bytes(path), path);
}

// Round half up, as the fixtures README specifies for uint8 references: x * max + 0.5, clipped,
// truncated (OpenCV's own conversion rounds half to even). RGB(+alpha) floats go straight into
// the PNG's row bytes (big-endian for 16-bit) one row at a time: no full-size copies.
template <int kBytes>
static void quantise_row(const float* rgb, const float* alpha, int width, uint8_t* out) {
  static constexpr float kMax = kBytes == 2 ? 65535.f : 255.f;
  static constexpr float kTop = kMax + 0.49f;
  const auto q = [](float v) {
    float scaled = v * kMax;
    scaled += 0.5f;  // a separate add: the same rounding whether or not the CPU has FMA
    return static_cast<int32_t>(std::min(std::max(scaled, 0.f), kTop));
  };
  if (alpha == nullptr) {
    // RGB in, RGB out: one flat loop over the samples (8 bits: simd/quantise_row.h).
    const int n = width * 3;
    if constexpr (kBytes == 1) {
      quantise_row_8bit(rgb, n, out);
    } else {
      for (int i = 0; i < n; ++i) {
        const int32_t v = q(rgb[i]);
        out[2 * i] = static_cast<uint8_t>(v >> 8), out[2 * i + 1] = static_cast<uint8_t>(v);
      }
    }
    return;
  }
  const auto put = [&](float v, uint8_t*& o) {
    const int32_t v_q = q(v);
    if constexpr (kBytes == 2) *o++ = static_cast<uint8_t>(v_q >> 8);
    *o++ = static_cast<uint8_t>(v_q);
  };
  for (int x = 0; x < width; ++x, rgb += 3) {
    put(rgb[0], out), put(rgb[1], out), put(rgb[2], out);
    put(alpha[x], out);
  }
}

std::vector<uint8_t> encode_png(const cv::Mat& rgb, const cv::Mat& alpha, int bit_depth,
                                int compression, const PngTags& tags) {
  if (rgb.type() == CV_8UC3) {
    if (bit_depth != 8 || !alpha.empty())
      throw Error("encode_png: an 8-bit image is written at 8 bits without alpha");
    return encode_png(
        PngLayout{rgb.cols, rgb.rows, 3, 8, tags},
        [&](int y, uint8_t* out) { std::memcpy(out, rgb.ptr<uint8_t>(y), rgb.cols * size_t{3}); },
        compression);
  }
  if (rgb.type() == CV_16UC3) {
    if (bit_depth != 16 || !alpha.empty())
      throw Error("encode_png: a 16-bit image is written at 16 bits without alpha");
    return encode_png(
        PngLayout{rgb.cols, rgb.rows, 3, 16, tags},
        [&](int y, uint8_t* out) {
          const uint16_t* in = rgb.ptr<uint16_t>(y);
          for (int i = 0; i < rgb.cols * 3; ++i)  // PNG samples are big-endian
            out[2 * i] = static_cast<uint8_t>(in[i] >> 8), out[2 * i + 1] = uint8_t(in[i]);
        },
        compression);
  }
  if (rgb.type() != CV_32FC3) throw Error("encode_png: wants a float RGB image");
  if (!alpha.empty() && (alpha.size() != rgb.size() || alpha.type() != CV_32FC1))
    throw Error("encode_png: alpha must be one float plane the size of the image");
  if (bit_depth != 8 && bit_depth != 16)
    throw Error("encode_png: bit depth " + std::to_string(bit_depth) + " (8 or 16)");
  const PngLayout layout{rgb.cols, rgb.rows, alpha.empty() ? 3 : 4, bit_depth, tags};
  return encode_png(
      layout,
      [&](int y, uint8_t* out) {
        const float* a = alpha.empty() ? nullptr : alpha.ptr<float>(y);
        if (bit_depth == 16)
          quantise_row<2>(rgb.ptr<float>(y), a, rgb.cols, out);
        else
          quantise_row<1>(rgb.ptr<float>(y), a, rgb.cols, out);
      },
      compression);
}

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  pf::write_file_atomic(path, bytes);
}
void write_file_atomic(const std::string& path, const std::string& text) {
  pf::write_file_atomic(path, std::string_view(text));
}

bool is_stale_temp(const std::string& path) {
  return pf::is_stale_temp(path);
}

std::string temp_path_for_tests(const std::string& path, long pid) {
  return pf::temp_path_for_tests(path, pid);
}

void write_png_atomic(const std::string& path, const cv::Mat& rgb, const cv::Mat& alpha,
                      int bit_depth, int compression, const PngTags& tags) {
  pf::write_file_atomic(path, encode_png(rgb, alpha, bit_depth, compression, tags));
}

cv::Mat to_bgr_u8(const cv::Mat& rgb) {
  cv::Mat bgr, u8;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  bgr.convertTo(u8, CV_8U, 255.0);  // saturating, round to nearest
  return u8;
}

cv::Mat from_bgr_u8(const cv::Mat& bgr) {
  cv::Mat f, rgb;
  bgr.convertTo(f, CV_32F, 1.0 / 255);
  cv::cvtColor(f, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

bool is_image_file(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  static const char* kExts[] = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"};
  return std::any_of(std::begin(kExts), std::end(kExts), [&](const char* e) { return ext == e; });
}

}  // namespace pf::io

#include "io/image.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "io/image_size.h"

namespace fs = std::filesystem;

namespace pf::io {

static std::vector<uint8_t> read_bytes(const std::string& path) {
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

Image decode_image(const std::vector<uint8_t>& bytes, const std::string& name) {
  check_declared_size(bytes, name);
  cv::Mat raw;
  try {
    raw = cv::imdecode(bytes, cv::IMREAD_UNCHANGED | cv::IMREAD_ANYDEPTH);
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
      scale = 1.0 / 255, img.bit_depth = 8;
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
      cv::cvtColor(raw, ordered, cv::COLOR_BGR2RGB);
      break;
    case 4: {
      cv::cvtColor(raw, ordered, cv::COLOR_BGRA2RGB);
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
// BGR(A) integers one row at a time: a 4K frame needs no full-size float copies on the way.
template <class T>
static void quantise_row(const float* rgb, const float* alpha, int width, float maxv, T* out) {
  const float top = maxv + 0.49f;
  auto q = [&](float v) {
    float scaled = v * maxv;
    scaled += 0.5f;  // a separate add: the same rounding whether or not the CPU has FMA
    return static_cast<T>(std::min(std::max(scaled, 0.f), top));
  };
  const int channels = alpha ? 4 : 3;
  for (int x = 0; x < width; ++x, rgb += 3, out += channels) {
    out[0] = q(rgb[2]), out[1] = q(rgb[1]), out[2] = q(rgb[0]);
    if (alpha) out[3] = q(alpha[x]);
  }
}

static cv::Mat quantise_bgr(const cv::Mat& rgb, const cv::Mat& alpha, int bit_depth) {
  if (rgb.type() != CV_32FC3) throw Error("encode_png: wants a float RGB image");
  if (!alpha.empty() && (alpha.size() != rgb.size() || alpha.type() != CV_32FC1))
    throw Error("encode_png: alpha must be one float plane the size of the image");
  const int channels = alpha.empty() ? 3 : 4;
  cv::Mat out(rgb.size(), CV_MAKETYPE(bit_depth == 16 ? CV_16U : CV_8U, channels));
  for (int y = 0; y < rgb.rows; ++y) {
    const float* a = alpha.empty() ? nullptr : alpha.ptr<float>(y);
    if (bit_depth == 16)
      quantise_row(rgb.ptr<float>(y), a, rgb.cols, 65535.f, out.ptr<uint16_t>(y));
    else
      quantise_row(rgb.ptr<float>(y), a, rgb.cols, 255.f, out.ptr<uint8_t>(y));
  }
  return out;
}

std::vector<uint8_t> encode_png(const cv::Mat& rgb, const cv::Mat& alpha, int bit_depth) {
  std::vector<uint8_t> out;
  // No parameters: OpenCV's speed-tuned defaults (zlib level 1, RLE strategy, SUB filter), what
  // cv2.imwrite in the Python tools does. Any explicit level also switches OpenCV to the default
  // strategy with adaptive filtering, which made PNG writing a third of a 1080p pair's CPU time.
  if (!cv::imencode(".png", quantise_bgr(rgb, alpha, bit_depth), out))
    throw IoError("PNG encoding failed");
  return out;
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
                      int bit_depth) {
  pf::write_file_atomic(path, encode_png(rgb, alpha, bit_depth));
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

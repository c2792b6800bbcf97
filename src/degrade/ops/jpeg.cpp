// jpeg: an in-memory JPEG round trip through libjpeg-turbo (TurboJPEG API), which, unlike
// OpenCV 4.6's imencode, lets us choose the chroma subsampling.
#include <turbojpeg.h>

#include <memory>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "degrade/op.h"

namespace pf::degrade {

namespace {

struct JpegParams {
  int quality;
  std::string subsampling;
};

struct TjHandleCloser {
  void operator()(void* h) const { tjDestroy(h); }
};
using TjHandle = std::unique_ptr<void, TjHandleCloser>;

struct TjBufferFree {
  void operator()(unsigned char* p) const { tjFree(p); }
};
using TjBuffer = std::unique_ptr<unsigned char, TjBufferFree>;

int tj_subsampling(const std::string& name) {
  if (name == "444") return TJSAMP_444;
  if (name == "422") return TJSAMP_422;
  if (name == "420") return TJSAMP_420;
  if (name == "440") return TJSAMP_440;
  if (name == "411") return TJSAMP_411;
  if (name == "gray") return TJSAMP_GRAY;
  throw Error("jpeg: unknown subsampling '" + name + "'");
}

[[noreturn]] void tj_fail(void* handle, const char* step) {
  throw Error(std::string("jpeg: ") + step + " failed: " + tjGetErrorStr2(handle));
}

// Float RGB [0,1] -> packed 8-bit RGB, rounded to nearest and saturated.
cv::Mat to_rgb_u8(const cv::Mat& rgb) {
  cv::Mat u8;
  rgb.convertTo(u8, CV_8U, 255.0);
  return u8.isContinuous() ? u8 : u8.clone();
}

std::vector<unsigned char> compress(const cv::Mat& rgb8, int quality, int subsampling) {
  const TjHandle handle(tjInitCompress());
  if (!handle) throw Error("jpeg: tjInitCompress failed");
  unsigned char* raw = nullptr;
  unsigned long size = 0;
  const int rc =
      tjCompress2(handle.get(), rgb8.data, rgb8.cols, static_cast<int>(rgb8.step), rgb8.rows,
                  TJPF_RGB, &raw, &size, subsampling, quality, TJFLAG_ACCURATEDCT);
  const TjBuffer owned(raw);
  if (rc != 0) tj_fail(handle.get(), "compress");
  return std::vector<unsigned char>(raw, raw + size);
}

cv::Mat decompress(const std::vector<unsigned char>& bytes, cv::Size size) {
  const TjHandle handle(tjInitDecompress());
  if (!handle) throw Error("jpeg: tjInitDecompress failed");
  cv::Mat rgb8(size, CV_8UC3);
  if (tjDecompress2(handle.get(), bytes.data(), bytes.size(), rgb8.data, size.width,
                    static_cast<int>(rgb8.step), size.height, TJPF_RGB, TJFLAG_ACCURATEDCT) != 0)
    tj_fail(handle.get(), "decompress");
  return rgb8;
}

}  // namespace

class Jpeg final : public TypedOp<JpegParams, Jpeg> {
 public:
  static const std::vector<Field<JpegParams>>& table() {
    using P = JpegParams;
    static const std::vector<Field<P>> t = {
        integer<P>("quality", &P::quality, 75, 1, 100,
                   "libjpeg quality (Real-ESRGAN samples [30, 95])"),
        choice<P>("subsampling", &P::subsampling, "420",
                  {"444", "422", "420", "440", "411", "gray"},
                  "chroma subsampling of the encoder; gray encodes luma only (LQ becomes gray)"),
    };
    return t;
  }

  void run(const JpegParams& p, Pair& pair, Rng&) const {
    if (pair.lq.type() != CV_32FC3) throw Error("jpeg: LQ must be a CV_32FC3 RGB image");
    const std::vector<unsigned char> bytes =
        compress(to_rgb_u8(pair.lq), p.quality, tj_subsampling(p.subsampling));
    decompress(bytes, pair.lq.size()).convertTo(pair.lq, CV_32F, 1.0 / 255);
  }
};

const OpInfo& op_jpeg() {
  static const OpInfo info = lq_only(
      make_op_info<Jpeg>("jpeg", "JPEG round trip of LQ (libjpeg-turbo, chosen subsampling)"));
  return info;
}

}  // namespace pf::degrade

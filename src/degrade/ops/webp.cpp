// webp: an in-memory lossy WebP round trip through OpenCV's libwebp encoder.
#include <opencv2/imgcodecs.hpp>  // the flags only: the code is behind io/lazy_imgcodecs.h

#include "core/error.h"
#include "degrade/op.h"
#include "io/image.h"
#include "io/lazy_imgcodecs.h"

namespace pf::degrade {

namespace {

struct WebpParams {
  int quality;
};

}  // namespace

class Webp final : public TypedOp<WebpParams, Webp> {
 public:
  static const std::vector<Field<WebpParams>>& table() {
    using P = WebpParams;
    static const std::vector<Field<P>> t = {
        integer<P>("quality", &P::quality, 75, 1, 100,
                   "lossy WebP quality; lossy WebP always stores chroma at 4:2:0"),
    };
    return t;
  }

  void run(const WebpParams& p, Pair& pair, Rng&) const {
    if (pair.lq.type() != CV_32FC3) throw Error("webp: LQ must be a CV_32FC3 RGB image");
    std::vector<uchar> bytes;
    if (!io::imencode_lazy(".webp", io::to_bgr_u8(pair.lq), bytes,
                           {cv::IMWRITE_WEBP_QUALITY, p.quality}))
      throw Error("webp: OpenCV could not encode WebP");
    const cv::Mat bgr = io::imdecode_lazy(bytes, cv::IMREAD_COLOR);
    if (bgr.empty() || bgr.size() != pair.lq.size())
      throw Error("webp: OpenCV could not decode its own WebP");
    pair.lq = io::from_bgr_u8(bgr);
  }
};

const OpInfo& op_webp() {
  static const OpInfo info =
      lq_only(make_op_info<Webp>("webp", "lossy WebP round trip of LQ (4:2:0)"));
  return info;
}

}  // namespace pf::degrade

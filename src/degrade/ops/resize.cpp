// resize: rescale LQ by a factor (Real-ESRGAN's random resize, anamorphic squeezes, down-up
// chains) or to the pair's exact target size, with the native resampler, OpenCV's algorithms
// or ImageMagick's filters, optionally in linear light.
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "degrade/op.h"
#include "degrade/resample.h"

namespace pf::degrade {

namespace {

// The largest factor of one resize, and the most LQ may outgrow the HQ on a side.
constexpr int kMaxScale = 8;

struct ResizeParams {
  std::string algorithm;
  double b, c;
  int lobes;
  std::string magick_filter;
  double scale, scale_y;
  std::string relative_to;
  bool to_target;
  bool linear_light;
  double gamma;
};

const std::vector<std::string> kNativeFilters = {"nearest",  "box",         "bilinear", "cubic",
                                                 "mitchell", "catmull_rom", "bspline",  "hermite",
                                                 "lanczos",  "gaussian"};
const std::vector<std::pair<std::string, int>> kOpenCvAlgorithms = {
    {"cv_area", cv::INTER_AREA},
    {"cv_nearest", cv::INTER_NEAREST},
    {"cv_linear", cv::INTER_LINEAR},
    {"cv_cubic", cv::INTER_CUBIC},
    {"cv_lanczos4", cv::INTER_LANCZOS4}};

std::vector<std::string> algorithm_names() {
  std::vector<std::string> names = kNativeFilters;
  for (const auto& [name, flag] : kOpenCvAlgorithms) names.push_back(name);
  names.push_back("magick");
  return names;
}

// The native filter an algorithm name stands for; `cubic` and `lanczos` take b/c and lobes.
ResampleFilter native_filter(const ResizeParams& p) {
  if (p.algorithm == "cubic") {
    ResampleFilter f = filter_by_name("mitchell");
    f.b = p.b, f.c = p.c;
    return f;
  }
  if (p.algorithm == "lanczos") return filter_by_name("lanczos" + std::to_string(p.lobes));
  return filter_by_name(p.algorithm);
}

cv::Size output_size(const ResizeParams& p, const Pair& pair) {
  if (p.to_target) return pair.target_lq_size();
  const double sy = p.scale_y > 0 ? p.scale_y : p.scale;
  const cv::Size base = p.relative_to == "target" ? pair.target_lq_size() : pair.lq.size();
  return {std::max(1, static_cast<int>(std::lround(base.width * p.scale))),
          std::max(1, static_cast<int>(std::lround(base.height * sy)))};
}

cv::Mat resize_with(const ResizeParams& p, const cv::Mat& src, cv::Size size) {
  if (p.algorithm == "magick") return resample_magick(src, size, p.magick_filter);
  for (const auto& [name, flag] : kOpenCvAlgorithms)
    if (p.algorithm == name) return resample_opencv(src, size, flag);
  return resample(src, size, native_filter(p));
}

}  // namespace

class Resize final : public TypedOp<ResizeParams, Resize> {
 public:
  static const std::vector<Field<ResizeParams>>& table() {
    using P = ResizeParams;
    static const std::vector<Field<P>> t = {
        choice<P>("algorithm", &P::algorithm, "cubic", algorithm_names(),
                  "native filters (antialiased on downscale, pixel-centre aligned): nearest, box, "
                  "bilinear, cubic (uses b, c), mitchell, catmull_rom, bspline, hermite, lanczos "
                  "(uses lobes), gaussian; OpenCV cv::resize without antialiasing (cv_area "
                  "averages on downscale); magick = ImageMagick with magick_filter"),
        real<P>("b", &P::b, 1.0 / 3, 0, 1,
                "cubic B (blur): Mitchell 1/3, Catmull-Rom 0, B-spline 1")
            .when("algorithm=cubic"),
        real<P>("c", &P::c, 1.0 / 3, 0, 1, "cubic C (ringing): Mitchell 1/3, Catmull-Rom 1/2")
            .when("algorithm=cubic"),
        integer<P>("lobes", &P::lobes, 3, 2, 4, "lanczos lobes (window radius in pixels)")
            .when("algorithm=lanczos"),
        choice<P>("magick_filter", &P::magick_filter, "lanczos", magick_filter_names(),
                  "ImageMagick filter for algorithm=magick (16-bit round trip, clipped to [0,1])")
            .when("algorithm=magick"),
        real<P>("scale", &P::scale, 0.5, 0.05, kMaxScale,
                "factor on the current LQ size, e.g. [0.15, 1.5] as Real-ESRGAN; output is "
                "max(1, round(size * scale))")
            .when("to_target=false"),
        real<P>("scale_y", &P::scale_y, 0, 0, kMaxScale,
                "vertical factor for anamorphic resizes; 0 = same as scale")
            .when("to_target=false"),
        choice<P>("relative_to", &P::relative_to, "current", {"current", "target"},
                  "what scale multiplies: the current LQ size, or the target LQ size (HQ / "
                  "scale; Real-ESRGAN's second-stage resize)")
            .when("to_target=false"),
        boolean<P>("to_target", &P::to_target, false,
                   "resize exactly to the pair's target LQ size (HQ size / scale), ignoring scale"),
        boolean<P>("linear_light", &P::linear_light, false,
                   "resample in linear light: decode the transfer curve first, re-encode after"),
        real<P>("gamma", &P::gamma, 0, 0, 4,
                "transfer curve for linear_light: 0 = exact sRGB curve, else x^gamma")
            .when("linear_light=true"),
    };
    return t;
  }

  void run(const ResizeParams& p, Pair& pair, Rng&) const {
    const cv::Size size = output_size(p, pair);
    if (size.width < 1 || size.height < 1)
      throw Error("resize: target size " + std::to_string(size.width) + "x" +
                  std::to_string(size.height) + " is empty (HQ smaller than the scale?)");
    // One resize may make LQ up to kMaxScale times the HQ on a side, never more: a chain that
    // enlarges again and again (a repeat of scale > 1) would otherwise grow LQ 64-fold per step
    // until the allocation fails (6 GB at the third step from a 48x40 image, in fuzzing).
    if (size.width > kMaxScale * pair.hq.cols || size.height > kMaxScale * pair.hq.rows)
      throw ConfigError("resize: the chain would make LQ " + std::to_string(size.width) + "x" +
                        std::to_string(size.height) + ", more than " + std::to_string(kMaxScale) +
                        " times the HQ (" + std::to_string(pair.hq.cols) + "x" +
                        std::to_string(pair.hq.rows) +
                        ") on a side; does a repeat enlarge LQ again and again?");
    if (!p.linear_light) {
      pair.lq = resize_with(p, pair.lq, size);
      return;
    }
    const cv::Mat linear = decode_transfer(pair.lq, p.gamma);
    pair.lq = encode_transfer(resize_with(p, linear, size), p.gamma);
  }
};

const OpInfo& op_resize() {
  static const OpInfo info =
      lq_only(make_op_info<Resize>("resize", "rescale LQ by a factor or to the target size"));
  return info;
}

}  // namespace pf::degrade

// chroma: chroma subsampling as video and image codecs do it (4:2:2, 4:2:0, 4:1:1): RGB to
// YCbCr, shrink Cb/Cr, optionally blur them, enlarge back with another filter, back to RGB.
// Luma is untouched, so what remains is the colour bleeding on edges that SR models must undo.
#include "degrade/ops/chroma.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "degrade/op.h"
#include "degrade/resample.h"

namespace pf::degrade {

YccMatrix ycc_matrix(const std::string& name) {
  if (name == "bt601") return {0.299, 0.114};
  if (name == "bt709") return {0.2126, 0.0722};
  throw Error("chroma: unknown matrix '" + name + "' (bt601 or bt709)");
}

cv::Mat rgb_to_ycc(const cv::Mat& rgb, const YccMatrix& m) {
  const double kg = 1 - m.kr - m.kb;
  cv::Mat out(rgb.size(), CV_32FC3);
  for (int y = 0; y < rgb.rows; ++y) {
    const cv::Vec3f* s = rgb.ptr<cv::Vec3f>(y);
    cv::Vec3f* d = out.ptr<cv::Vec3f>(y);
    for (int x = 0; x < rgb.cols; ++x) {
      const double r = s[x][0], g = s[x][1], b = s[x][2];
      const double luma = m.kr * r + kg * g + m.kb * b;
      d[x] = cv::Vec3f(static_cast<float>(luma),
                       static_cast<float>((b - luma) / (2 * (1 - m.kb)) + 0.5),
                       static_cast<float>((r - luma) / (2 * (1 - m.kr)) + 0.5));
    }
  }
  return out;
}

cv::Mat ycc_to_rgb(const cv::Mat& ycc, const YccMatrix& m) {
  const double kg = 1 - m.kr - m.kb;
  cv::Mat out(ycc.size(), CV_32FC3);
  for (int y = 0; y < ycc.rows; ++y) {
    const cv::Vec3f* s = ycc.ptr<cv::Vec3f>(y);
    cv::Vec3f* d = out.ptr<cv::Vec3f>(y);
    for (int x = 0; x < ycc.cols; ++x) {
      const double luma = s[x][0], cb = s[x][1] - 0.5, cr = s[x][2] - 0.5;
      const double r = luma + 2 * (1 - m.kr) * cr;
      const double b = luma + 2 * (1 - m.kb) * cb;
      const double g = (luma - m.kr * r - m.kb * b) / kg;
      d[x] = cv::Vec3f(static_cast<float>(r), static_cast<float>(g), static_cast<float>(b));
    }
  }
  return out;
}

namespace {

struct ChromaParams {
  std::string subsampling;
  std::string matrix;
  std::string down, up;
  double chroma_blur;
};

const std::vector<std::string> kChromaFilters = {"nearest", "box", "bilinear", "bicubic",
                                                 "lanczos"};

ResampleFilter chroma_filter(const std::string& name) {
  if (name == "bicubic") return filter_by_name("catmull_rom");
  if (name == "lanczos") return filter_by_name("lanczos3");
  return filter_by_name(name);
}

// Size of the Cb/Cr planes; odd sizes round up, as codecs pad the last chroma sample.
cv::Size chroma_size(const std::string& subsampling, cv::Size luma) {
  const auto ceil_div = [](int v, int d) { return (v + d - 1) / d; };
  if (subsampling == "422") return {ceil_div(luma.width, 2), luma.height};
  if (subsampling == "420") return {ceil_div(luma.width, 2), ceil_div(luma.height, 2)};
  if (subsampling == "411") return {ceil_div(luma.width, 4), luma.height};
  throw Error("chroma: unknown subsampling '" + subsampling + "'");
}

cv::Mat degrade_plane(const ChromaParams& p, const cv::Mat& plane, cv::Size small) {
  cv::Mat shrunk = resample(plane, small, chroma_filter(p.down));
  if (p.chroma_blur > 0)
    cv::GaussianBlur(shrunk, shrunk, cv::Size(0, 0), p.chroma_blur, p.chroma_blur,
                     cv::BORDER_REFLECT_101);
  return resample(shrunk, plane.size(), chroma_filter(p.up));
}

}  // namespace

class Chroma final : public TypedOp<ChromaParams, Chroma> {
 public:
  static const std::vector<Field<ChromaParams>>& table() {
    using P = ChromaParams;
    static const std::vector<Field<P>> t = {
        choice<P>("subsampling", &P::subsampling, "420", {"422", "420", "411"},
                  "chroma resolution: 422 halves width, 420 halves both, 411 quarters width"),
        choice<P>("matrix", &P::matrix, "bt709", {"bt601", "bt709"},
                  "YCbCr matrix (full range): bt601 for SD/JPEG, bt709 for HD video"),
        choice<P>("down", &P::down, "box", kChromaFilters,
                  "filter shrinking Cb/Cr (box = area average, nearest = plain decimation)"),
        choice<P>("up", &P::up, "bilinear", kChromaFilters,
                  "filter enlarging Cb/Cr back (nearest = blocky players, bilinear = libjpeg's "
                  "fancy upsampling, bicubic = Catmull-Rom)"),
        real<P>("chroma_blur", &P::chroma_blur, 0, 0, 5,
                "Gaussian sigma on the small Cb/Cr planes, in chroma pixels; 0 = off"),
    };
    return t;
  }

  void run(const ChromaParams& p, Pair& pair, Rng&) const {
    if (pair.lq.type() != CV_32FC3) throw Error("chroma: LQ must be a CV_32FC3 RGB image");
    const YccMatrix m = ycc_matrix(p.matrix);
    std::vector<cv::Mat> planes;
    cv::split(rgb_to_ycc(pair.lq, m), planes);
    const cv::Size small = chroma_size(p.subsampling, pair.lq.size());
    for (int i = 1; i < 3; ++i) planes[i] = degrade_plane(p, planes[i], small);
    cv::Mat ycc;
    cv::merge(planes, ycc);
    pair.lq = ycc_to_rgb(ycc, m);
  }
};

const OpInfo& op_chroma() {
  static const OpInfo info =
      lq_only(make_op_info<Chroma>("chroma", "subsample the chroma of LQ (4:2:2, 4:2:0, 4:1:1)"));
  return info;
}

}  // namespace pf::degrade

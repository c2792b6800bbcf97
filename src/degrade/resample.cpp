#include "degrade/resample.h"

#include <Magick++.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <opencv2/imgproc.hpp>
#include <utility>

#include "core/error.h"
#include "degrade/simd/area_resize.h"
#include "degrade/simd/cubic_resize.h"

namespace pf::degrade {

namespace {

constexpr double kPi = 3.14159265358979323846;

double sinc(double x) {
  if (std::abs(x) < 1e-12) return 1.0;
  const double px = kPi * x;
  return std::sin(px) / px;
}

// Per output pixel along one axis: the first input index and the normalised weights.
struct AxisTaps {
  int max_taps = 0;
  std::vector<int> start, count;
  std::vector<float> weights;  // out * max_taps, row-major
};

// Nearest neighbour picks the input pixel whose cell contains the output pixel's centre.
AxisTaps nearest_taps(int in, int out) {
  AxisTaps t;
  t.max_taps = 1;
  const double scale = static_cast<double>(in) / out;
  for (int i = 0; i < out; ++i) {
    t.start.push_back(std::min(in - 1, static_cast<int>(std::floor((i + 0.5) * scale))));
    t.count.push_back(1);
    t.weights.push_back(1.0f);
  }
  return t;
}

// The taps of one output pixel: the first input index and weights that sum to 1.
struct Window {
  int start;
  std::vector<double> weights;
};

// Weights of the input pixels within `support` of `centre`. The window is cut at the image
// border and renormalised (as PIL does), and zero taps at its ends are dropped.
Window pixel_window(double centre, double stretch, double support, int in,
                    const ResampleFilter& f) {
  const int lo = std::max(0, static_cast<int>(std::floor(centre - support)));
  const int hi = std::min(in - 1, static_cast<int>(std::ceil(centre + support)));
  std::vector<double> w;
  double sum = 0;
  for (int j = lo; j <= hi; ++j) {
    w.push_back(filter_weight(f, (j + 0.5 - centre) / stretch));
    sum += w.back();
  }
  size_t first = 0, last = w.size();
  while (first < last && w[first] == 0) ++first;
  while (last > first && w[last - 1] == 0) --last;
  if (first == last || std::abs(sum) < 1e-12)  // degenerate window: fall back to nearest
    return {std::min(in - 1, static_cast<int>(std::floor(centre))), {1.0}};
  std::vector<double> kept(w.begin() + first, w.begin() + last);
  for (double& v : kept) v /= sum;
  return {lo + static_cast<int>(first), std::move(kept)};
}

AxisTaps pack(const std::vector<Window>& windows) {
  AxisTaps t;
  for (const Window& w : windows) t.max_taps = std::max<int>(t.max_taps, w.weights.size());
  t.weights.assign(windows.size() * t.max_taps, 0.0f);
  for (size_t i = 0; i < windows.size(); ++i) {
    t.start.push_back(windows[i].start);
    t.count.push_back(static_cast<int>(windows[i].weights.size()));
    for (size_t k = 0; k < windows[i].weights.size(); ++k)
      t.weights[i * t.max_taps + k] = static_cast<float>(windows[i].weights[k]);
  }
  return t;
}

AxisTaps filter_taps(int in, int out, const ResampleFilter& f) {
  if (f.kind == FilterKind::kNearest) return nearest_taps(in, out);
  const double scale = static_cast<double>(in) / out;
  // Downscaling stretches the kernel by the factor, so it low-passes below the new Nyquist.
  const double stretch = std::max(1.0, scale);
  const double support = filter_support(f) * stretch;
  std::vector<Window> windows;
  for (int i = 0; i < out; ++i)
    windows.push_back(pixel_window((i + 0.5) * scale, stretch, support, in, f));
  return pack(windows);
}

cv::Mat resample_rows(const cv::Mat& src, const AxisTaps& t, int out_w) {
  const int ch = src.channels();
  cv::Mat dst(src.rows, out_w, src.type());
  for (int y = 0; y < src.rows; ++y) {
    const float* s = src.ptr<float>(y);
    float* d = dst.ptr<float>(y);
    for (int x = 0; x < out_w; ++x) {
      const float* w = &t.weights[static_cast<size_t>(x) * t.max_taps];
      const float* base = s + static_cast<size_t>(t.start[x]) * ch;
      float acc[3] = {0, 0, 0};  // ch is 1 or 3
      for (int k = 0; k < t.count[x]; ++k)
        for (int c = 0; c < ch; ++c) acc[c] += w[k] * base[k * ch + c];
      for (int c = 0; c < ch; ++c) d[x * ch + c] = acc[c];
    }
  }
  return dst;
}

cv::Mat resample_cols(const cv::Mat& src, const AxisTaps& t, int out_h) {
  const int n = src.cols * src.channels();
  cv::Mat dst(out_h, src.cols, src.type());
  for (int y = 0; y < out_h; ++y) {
    float* d = dst.ptr<float>(y);
    std::fill(d, d + n, 0.0f);
    const float* w = &t.weights[static_cast<size_t>(y) * t.max_taps];
    for (int k = 0; k < t.count[y]; ++k) {
      const float* s = src.ptr<float>(t.start[y] + k);
      for (int i = 0; i < n; ++i) d[i] += w[k] * s[i];
    }
  }
  return dst;
}

void check_input(const cv::Mat& src, cv::Size size, const char* who) {
  if (src.empty() || (src.type() != CV_32FC1 && src.type() != CV_32FC3))
    throw Error(std::string(who) + ": expects a non-empty CV_32FC1 or CV_32FC3 image");
  if (size.width < 1 || size.height < 1)
    throw Error(std::string(who) + ": output size " + std::to_string(size.width) + "x" +
                std::to_string(size.height) + " is empty");
}

const std::vector<std::pair<std::string, MagickCore::FilterTypes>>& magick_filters() {
  using namespace MagickCore;
  static const std::vector<std::pair<std::string, FilterTypes>> filters = {
      {"point", PointFilter},
      {"box", BoxFilter},
      {"triangle", TriangleFilter},
      {"hermite", HermiteFilter},
      {"hanning", HanningFilter},
      {"hamming", HammingFilter},
      {"blackman", BlackmanFilter},
      {"gaussian", GaussianFilter},
      {"quadratic", QuadraticFilter},
      {"cubic", CubicFilter},
      {"catrom", CatromFilter},
      {"mitchell", MitchellFilter},
      {"jinc", JincFilter},
      {"sinc", SincFilter},
      {"sincfast", SincFastFilter},
      {"kaiser", KaiserFilter},
      {"welsh", WelshFilter},
      {"parzen", ParzenFilter},
      {"bohman", BohmanFilter},
      {"bartlett", BartlettFilter},
      {"lagrange", LagrangeFilter},
      {"lanczos", LanczosFilter},
      {"lanczossharp", LanczosSharpFilter},
      {"lanczos2", Lanczos2Filter},
      {"lanczos2sharp", Lanczos2SharpFilter},
      {"robidoux", RobidouxFilter},
      {"robidouxsharp", RobidouxSharpFilter},
      {"cosine", CosineFilter},
      {"spline", SplineFilter},
      {"lanczosradius", LanczosRadiusFilter},
  };
  return filters;
}

void ensure_magick_initialised() {
  static const bool done = [] {
    Magick::InitializeMagick(nullptr);
    return true;
  }();
  (void)done;
}

// Float [0,1] -> 16-bit samples, round to nearest (Q16 is what Debian's Magick++ stores).
std::vector<uint16_t> to_u16_rgb(const cv::Mat& rgb) {
  cv::Mat u16;
  rgb.convertTo(u16, CV_16U, 65535.0);
  if (!u16.isContinuous()) u16 = u16.clone();
  return std::vector<uint16_t>(u16.ptr<uint16_t>(), u16.ptr<uint16_t>() + u16.total() * 3);
}

template <class F>
cv::Mat map_elements(const cv::Mat& src, F f) {
  cv::Mat dst = src.clone();
  const int n = dst.cols * dst.channels();
  for (int y = 0; y < dst.rows; ++y) {
    float* p = dst.ptr<float>(y);
    for (int i = 0; i < n; ++i) p[i] = static_cast<float>(f(static_cast<double>(p[i])));
  }
  return dst;
}

double srgb_decode(double v) {
  const double a = std::abs(v);
  const double lin = a <= 0.04045 ? a / 12.92 : std::pow((a + 0.055) / 1.055, 2.4);
  return std::copysign(lin, v);
}

double srgb_encode(double v) {
  const double a = std::abs(v);
  const double enc = a <= 0.0031308 ? a * 12.92 : 1.055 * std::pow(a, 1 / 2.4) - 0.055;
  return std::copysign(enc, v);
}

}  // namespace

ResampleFilter filter_by_name(const std::string& name) {
  static const std::map<std::string, ResampleFilter> presets = [] {
    std::map<std::string, ResampleFilter> m;
    auto add = [&m](const std::string& n, FilterKind k, double b = 0, double c = 0, int lobes = 3) {
      ResampleFilter f;
      f.kind = k, f.b = b, f.c = c, f.lobes = lobes;
      m[n] = f;
    };
    add("nearest", FilterKind::kNearest);
    add("box", FilterKind::kBox);
    add("bilinear", FilterKind::kTriangle);
    add("triangle", FilterKind::kTriangle);
    add("mitchell", FilterKind::kCubic, 1.0 / 3, 1.0 / 3);
    add("catmull_rom", FilterKind::kCubic, 0, 0.5);
    add("bspline", FilterKind::kCubic, 1, 0);
    add("hermite", FilterKind::kCubic, 0, 0);
    add("lanczos2", FilterKind::kLanczos, 0, 0, 2);
    add("lanczos3", FilterKind::kLanczos, 0, 0, 3);
    add("lanczos4", FilterKind::kLanczos, 0, 0, 4);
    add("gaussian", FilterKind::kGaussian);
    return m;
  }();
  const auto it = presets.find(name);
  if (it == presets.end()) throw Error("resample: unknown filter '" + name + "'");
  return it->second;
}

double cubic_bc(double x, double b, double c) {
  const double t = std::abs(x);
  if (t < 1)
    return ((12 - 9 * b - 6 * c) * t * t * t + (-18 + 12 * b + 6 * c) * t * t + (6 - 2 * b)) / 6;
  if (t < 2)
    return ((-b - 6 * c) * t * t * t + (6 * b + 30 * c) * t * t + (-12 * b - 48 * c) * t +
            (8 * b + 24 * c)) /
           6;
  return 0;
}

double filter_weight(const ResampleFilter& f, double x) {
  switch (f.kind) {
    case FilterKind::kNearest:
    case FilterKind::kBox:
      return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0;  // half-open, so ties go one way only
    case FilterKind::kTriangle:
      return std::max(0.0, 1.0 - std::abs(x));
    case FilterKind::kCubic:
      return cubic_bc(x, f.b, f.c);
    case FilterKind::kLanczos:
      return std::abs(x) < f.lobes ? sinc(x) * sinc(x / f.lobes) : 0.0;
    case FilterKind::kGaussian:
      return std::exp(-x * x / (2 * f.sigma * f.sigma));
  }
  return 0;
}

double filter_support(const ResampleFilter& f) {
  switch (f.kind) {
    case FilterKind::kNearest:
    case FilterKind::kBox:
      return 0.5;
    case FilterKind::kTriangle:
      return 1.0;
    case FilterKind::kCubic:
      return 2.0;
    case FilterKind::kLanczos:
      return f.lobes;
    case FilterKind::kGaussian:
      return 4 * f.sigma;  // exp(-8) ~ 3e-4 at the edge
  }
  return 1.0;
}

cv::Mat resample(const cv::Mat& src, cv::Size size, const ResampleFilter& f) {
  check_input(src, size, "resample");
  // Like PIL, an axis whose size does not change is left alone (a cubic with B > 0 would blur).
  cv::Mat tmp = src;
  if (size.width != src.cols)
    tmp = resample_rows(src, filter_taps(src.cols, size.width, f), size.width);
  if (size.height != src.rows)
    return resample_cols(tmp, filter_taps(src.rows, size.height, f), size.height);
  return tmp.data == src.data ? src.clone() : tmp;
}

cv::Mat resample_opencv(const cv::Mat& src, cv::Size size, int interpolation) {
  check_input(src, size, "resample_opencv");
  // OpenCV's fractional area downscale and its cubic, the same bytes about twice as fast
  // (simd/area_resize.h, simd/cubic_resize.h).
  if (interpolation == cv::INTER_AREA && area_resize_applies(src, size))
    return area_resize(src, size);
  if (interpolation == cv::INTER_CUBIC && cubic_resize_applies(src, size))
    return cubic_resize(src, size);
  cv::Mat dst;
  cv::resize(src, dst, size, 0, 0, interpolation);
  return dst;
}

const std::vector<std::string>& magick_filter_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, type] : magick_filters()) n.push_back(name);
    return n;
  }();
  return names;
}

cv::Mat resample_magick(const cv::Mat& src, cv::Size size, const std::string& filter) {
  check_input(src, size, "resample_magick");
  const auto& filters = magick_filters();
  const auto it = std::find_if(filters.begin(), filters.end(),
                               [&](const auto& e) { return e.first == filter; });
  if (it == filters.end()) throw Error("resample_magick: unknown filter '" + filter + "'");
  ensure_magick_initialised();

  cv::Mat rgb = src;
  if (src.channels() == 1) cv::cvtColor(src, rgb, cv::COLOR_GRAY2RGB);
  std::vector<uint16_t> in = to_u16_rgb(rgb);
  cv::Mat out16(size, CV_16UC3);
  try {
    Magick::Image image(rgb.cols, rgb.rows, "RGB", Magick::ShortPixel, in.data());
    image.filterType(it->second);
    Magick::Geometry geometry(size.width, size.height);
    geometry.aspect(true);  // exact size, ignoring the aspect ratio
    image.resize(geometry);
    if (static_cast<int>(image.columns()) != size.width ||
        static_cast<int>(image.rows()) != size.height)
      throw Error("resample_magick: ImageMagick returned " + std::to_string(image.columns()) + "x" +
                  std::to_string(image.rows()));
    image.write(0, 0, size.width, size.height, "RGB", Magick::ShortPixel, out16.data);
  } catch (const Magick::Exception& e) {
    throw Error(std::string("resample_magick (") + filter + "): " + e.what());
  }
  cv::Mat out;
  out16.convertTo(out, CV_32F, 1.0 / 65535);
  if (src.channels() == 1) cv::extractChannel(out, out, 0);
  return out;
}

cv::Mat decode_transfer(const cv::Mat& encoded, double gamma) {
  if (gamma <= 0) return map_elements(encoded, srgb_decode);
  return map_elements(encoded,
                      [gamma](double v) { return std::copysign(std::pow(std::abs(v), gamma), v); });
}

cv::Mat encode_transfer(const cv::Mat& linear, double gamma) {
  if (gamma <= 0) return map_elements(linear, srgb_encode);
  const double inv = 1 / gamma;
  return map_elements(linear,
                      [inv](double v) { return std::copysign(std::pow(std::abs(v), inv), v); });
}

}  // namespace pf::degrade

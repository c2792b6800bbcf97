#include "lbo/artifacts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/rng.h"

namespace pf::lbo {

namespace {

// Edge width (contrast / steepest step, pixels) from which an edge counts as blurred: a clean
// edge sampled at its own resolution rises over 1 to 1.5 pixels, and narrower edges are not
// better (they are aliased, or sharpened).
constexpr double kSharpWidth = 1.5;

// Bilinear sample of a CV_32F image; positions outside are clamped to the border.
float sample(const cv::Mat& y, float x, float yy) {
  x = std::clamp(x, 0.f, static_cast<float>(y.cols - 1));
  yy = std::clamp(yy, 0.f, static_cast<float>(y.rows - 1));
  const int x0 = std::min(static_cast<int>(x), y.cols - 2 < 0 ? 0 : y.cols - 2);
  const int y0 = std::min(static_cast<int>(yy), y.rows - 2 < 0 ? 0 : y.rows - 2);
  const int x1 = std::min(x0 + 1, y.cols - 1), y1 = std::min(y0 + 1, y.rows - 1);
  const float fx = x - static_cast<float>(x0), fy = yy - static_cast<float>(y0);
  const float* r0 = y.ptr<float>(y0);
  const float* r1 = y.ptr<float>(y1);
  return (1 - fy) * ((1 - fx) * r0[x0] + fx * r0[x1]) + fy * ((1 - fx) * r1[x0] + fx * r1[x1]);
}

// The profile across an edge: 2 * radius + 1 samples one pixel apart along the normal.
std::vector<float> profile(const cv::Mat& y, cv::Point2f p, cv::Point2f n, int radius) {
  std::vector<float> v(static_cast<size_t>(2 * radius + 1));
  for (int t = -radius; t <= radius; ++t)
    v[static_cast<size_t>(t + radius)] = sample(y, p.x + t * n.x, p.y + t * n.y);
  return v;
}

// Luma contrast between the two ends of a profile (the mean of two samples at each end).
float end_contrast(const std::vector<float>& v) {
  const size_t n = v.size();
  return 0.5f * (v[n - 1] + v[n - 2]) - 0.5f * (v[0] + v[1]);
}

// The edge's position along the normal, from the centroid of the profile's steps; NaN when
// the profile has no step.
float edge_position(const cv::Mat& y, cv::Point2f q, cv::Point2f n) {
  constexpr int kHalf = 3;
  float prev = sample(y, q.x - kHalf * n.x, q.y - kHalf * n.y);
  double weight = 0, moment = 0;
  for (int t = -kHalf + 1; t <= kHalf; ++t) {
    const float cur = sample(y, q.x + t * n.x, q.y + t * n.y);
    const double g = std::abs(cur - prev);
    weight += g;
    moment += g * (t - 0.5);
    prev = cur;
  }
  return weight > 1e-4 ? static_cast<float>(moment / weight) : NAN;
}

// RMS residual of a least-squares quadratic through (s, e(s)), s = -3..3.
double quadratic_residual(const std::vector<double>& e) {
  // The design matrix is fixed (s = -3..3), so the normal equations are solved once by hand:
  // with centred s the constant and s^2 terms couple only with each other.
  double s0 = 0, s2 = 0, s4 = 0, e0 = 0, e1 = 0, e2 = 0, s1sq = 0;
  for (int i = 0; i < 7; ++i) {
    const double s = i - 3, v = e[static_cast<size_t>(i)];
    s0 += 1, s2 += s * s, s4 += s * s * s * s, s1sq += s * s;
    e0 += v, e1 += s * v, e2 += s * s * v;
  }
  const double b = e1 / s1sq;
  const double det = s0 * s4 - s2 * s2;
  const double a = (e0 * s4 - e2 * s2) / det, c = (s0 * e2 - s2 * e0) / det;
  double sq = 0;
  for (int i = 0; i < 7; ++i) {
    const double s = i - 3, r = e[static_cast<size_t>(i)] - (a + b * s + c * s * s);
    sq += r * r;
  }
  return std::sqrt(sq / 7);
}

}  // namespace

cv::Mat luma(const cv::Mat& image) {
  if (image.channels() == 1) return image;
  cv::Mat y;
  cv::transform(image, y, cv::Matx13f(0.299f, 0.587f, 0.114f));
  return y;
}

Probes find_probes(const cv::Mat& reference, const ProbeOptions& o) {
  Probes probes;
  // Smoothed first: the reference may carry the very halos and jaggies being measured, and
  // only the edges' places and directions are wanted from it.
  cv::Mat y;
  cv::GaussianBlur(luma(reference), y, cv::Size(0, 0), o.reference_sigma);
  probes.size = y.size();
  cv::Mat gx, gy, y8, edges;
  cv::Sobel(y, gx, CV_32F, 1, 0, 3, 1.0 / 8);
  cv::Sobel(y, gy, CV_32F, 0, 1, 3, 1.0 / 8);
  y.convertTo(y8, CV_8U, 255.0);
  cv::Canny(y8, edges, 20, 50, 3, true);

  // Flat: far from every edge pixel and from the border (the high-pass there sees padding).
  cv::Mat near;
  const int d = 2 * o.flat_distance + 1;
  cv::dilate(edges, near, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(d, d)));
  probes.flat = near == 0;
  const int border = std::min({3, y.rows / 2, y.cols / 2});
  probes.flat.rowRange(0, border).setTo(0);
  probes.flat.rowRange(y.rows - border, y.rows).setTo(0);
  probes.flat.colRange(0, border).setTo(0);
  probes.flat.colRange(y.cols - border, y.cols).setTo(0);

  const float reach = static_cast<float>(o.radius + 3);  // profile plus the aliasing offsets
  std::vector<std::pair<cv::Point2f, cv::Point2f>> found;
  for (int r = 0; r < y.rows; ++r)
    for (int x = 0; x < y.cols; ++x) {
      if (!edges.at<uint8_t>(r, x)) continue;
      const float nx = gx.at<float>(r, x), ny = gy.at<float>(r, x);
      const float norm = std::hypot(nx, ny);
      if (norm < 1e-4f) continue;
      const cv::Point2f n(nx / norm, ny / norm), p(static_cast<float>(x), static_cast<float>(r));
      if (p.x < reach || p.y < reach || p.x > y.cols - 1 - reach || p.y > y.rows - 1 - reach)
        continue;
      // Only single, isolated edges: a second edge inside the profile (a thin line, a corner)
      // would read as ringing in every candidate alike and drown the differences.
      const std::vector<float> v = profile(y, p, n, o.radius);
      const float c = end_contrast(v);
      if (c < o.min_contrast) continue;
      float tv = 0;
      for (size_t k = 1; k < v.size(); ++k) tv += std::abs(v[k] - v[k - 1]);
      if (tv > (1 + o.max_reference_ringing) * c) continue;
      found.emplace_back(p, n);
    }
  if (static_cast<int>(found.size()) > o.max_points) {
    Rng rng(mix_seed(o.seed, 0x70726f6265));
    for (size_t i = found.size(); i > 1; --i)
      std::swap(found[i - 1], found[static_cast<size_t>(rng.uniform_int(0, i - 1))]);
    found.resize(static_cast<size_t>(o.max_points));
  }
  for (const auto& [p, n] : found) probes.points.push_back(p), probes.normals.push_back(n);
  return probes;
}

std::string ArtifactScore::describe() const {
  return fmt::format("ringing {:.3f}  aliasing {:.3f}  noise {:.3f}  blur {:.3f}  detail {:.3f}",
                     ringing, aliasing, noise, blur, detail);
}

double ArtifactScore::weighted(const ScoreWeights& w) const {
  return w.ringing * ringing + w.aliasing * aliasing + w.noise * noise + w.blur * blur +
         w.detail * detail;
}

double detail_loss(const cv::Mat& image, const cv::Mat& lr, double sigma) {
  cv::Mat reduced = luma(image);
  if (reduced.size() != lr.size()) cv::resize(reduced, reduced, lr.size(), 0, 0, cv::INTER_AREA);
  cv::Mat a, b, diff;
  cv::GaussianBlur(reduced, a, cv::Size(0, 0), sigma);
  cv::GaussianBlur(luma(lr), b, cv::Size(0, 0), sigma);
  cv::absdiff(a, b, diff);
  const double rms = std::sqrt(cv::mean(diff.mul(diff))[0]);
  cv::Scalar mean, stddev;
  cv::meanStdDev(b, mean, stddev);
  return rms / std::max(stddev[0], 0.02);
}

ArtifactScore score_artifacts(const cv::Mat& image, const Probes& probes, const ScoreWeights& w,
                              int radius) {
  ArtifactScore s;
  const cv::Mat y = luma(image);
  if (y.size() != probes.size) throw Error("score_artifacts: the image is not the probes' size");
  double ringing = 0, blur = 0, aliasing = 0;
  int aliasing_n = 0;
  std::vector<float> contrasts;
  for (size_t i = 0; i < probes.points.size(); ++i) {
    const cv::Point2f p = probes.points[i], n = probes.normals[i];
    const std::vector<float> v = profile(y, p, n, radius);
    const float c = std::max(std::abs(end_contrast(v)), 0.02f);
    float tv = 0, step = 1e-6f;
    for (size_t k = 1; k < v.size(); ++k) {
      tv += std::abs(v[k] - v[k - 1]);
      step = std::max(step, std::abs(v[k] - v[k - 1]));
    }
    // Outliers (a second edge inside the profile) are capped so that no single spot decides.
    ringing += std::min(4.f, (tv - std::abs(v.back() - v.front())) / c);
    blur += std::max(0.0, 1.0 - kSharpWidth / (c / step));
    contrasts.push_back(c);

    const cv::Point2f tangent(-n.y, n.x);
    std::vector<double> e;
    for (int k = -3; k <= 3; ++k) {
      const float at = edge_position(y, p + tangent * static_cast<float>(k), n);
      if (std::isnan(at)) break;
      e.push_back(at);
    }
    if (e.size() == 7) {
      aliasing += std::min(2.0, quadratic_residual(e));
      ++aliasing_n;
    }
  }
  s.edges = static_cast<int>(probes.points.size());
  if (s.edges > 0) {
    s.ringing = ringing / s.edges;
    s.blur = blur / s.edges;
    s.aliasing = aliasing_n ? aliasing / aliasing_n : 0;
  }

  cv::Mat smooth, high;
  cv::GaussianBlur(y, smooth, cv::Size(0, 0), 1.0);
  cv::subtract(y, smooth, high);
  const int flat = cv::countNonZero(probes.flat);
  if (flat > 0 && !contrasts.empty()) {
    const double rms = std::sqrt(cv::mean(high.mul(high), probes.flat)[0]);
    std::nth_element(contrasts.begin(), contrasts.begin() + contrasts.size() / 2, contrasts.end());
    s.noise = rms / contrasts[contrasts.size() / 2];
  }
  s.total = s.weighted(w);
  return s;
}

ArtifactScore mean_score(const std::vector<ArtifactScore>& scores, const ScoreWeights& w) {
  ArtifactScore m;
  double n = 0;
  for (const auto& s : scores) {
    const double k = std::max(1, s.edges);
    m.ringing += k * s.ringing, m.aliasing += k * s.aliasing, m.noise += k * s.noise;
    m.blur += k * s.blur, m.detail += k * s.detail, m.edges += s.edges, n += k;
  }
  if (n > 0) m.ringing /= n, m.aliasing /= n, m.noise /= n, m.blur /= n, m.detail /= n;
  m.total = m.weighted(w);
  return m;
}

}  // namespace pf::lbo

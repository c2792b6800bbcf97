// blur: Gaussian (iso/aniso), generalized Gaussian and plateau kernels (Real-ESRGAN's
// degradations.py), 2-D sinc (circular low-pass), box, disc (defocus) and motion blur.
#include "degrade/ops/blur.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "degrade/op.h"
#include "degrade/simd/sym_filter.h"

namespace pf::degrade {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Quadratic form x^T Σ^-1 x of the rotated covariance Σ = R diag(sx², sy²) Rᵀ.
struct InverseCovariance {
  double a, b, c;  // Σ^-1 = [[a, b], [b, c]]
  InverseCovariance(double sx, double sy, double rotation_deg) {
    const double t = rotation_deg * kPi / 180.0, ct = std::cos(t), st = std::sin(t);
    const double ix = 1.0 / (sx * sx), iy = 1.0 / (sy * sy);
    a = ct * ct * ix + st * st * iy;
    b = ct * st * (ix - iy);
    c = st * st * ix + ct * ct * iy;
  }
  double operator()(double x, double y) const { return a * x * x + 2 * b * x * y + c * y * y; }
};

cv::Mat normalised(cv::Mat k) {
  const double s = cv::sum(k)[0];
  if (!(s > 0)) throw Error("blur: kernel sums to zero");
  k /= s;
  return k;
}

template <class F>
cv::Mat tabulate(int size, F f) {
  cv::Mat k(size, size, CV_64F);
  const int r = size / 2;
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) k.at<double>(y, x) = f(x - r, y - r);
  return k;
}

// J1(r)/r-shaped circular low-pass (Real-ESRGAN's circular_lowpass_kernel).
cv::Mat sinc_kernel(int size, double cutoff) {
  return tabulate(size, [&](int x, int y) {
    const double r = std::hypot(x, y);
    if (r < 1e-12) return cutoff * cutoff / (4 * kPi);
    return cutoff * std::cyl_bessel_j(1.0, cutoff * r) / (2 * kPi * r);
  });
}

// A disc with anti-aliased rim: each tap is the covered fraction of its pixel (4x4 supersampled).
cv::Mat disc_kernel(int size, double radius) {
  return tabulate(size, [&](int x, int y) {
    int inside = 0;
    for (int sy = 0; sy < 4; ++sy)
      for (int sx = 0; sx < 4; ++sx)
        inside += std::hypot(x + (sx + 0.5) / 4 - 0.5, y + (sy + 0.5) / 4 - 0.5) <= radius;
    return inside / 16.0;
  });
}

// A line segment of `length` pixels through the centre, drawn with 8x supersampling.
cv::Mat motion_kernel(int size, double length, double angle_deg) {
  cv::Mat k = cv::Mat::zeros(size, size, CV_64F);
  const double t = angle_deg * kPi / 180.0, dx = std::cos(t), dy = -std::sin(t);
  const int steps = std::max(1, static_cast<int>(std::ceil(length * 8)));
  const double c = size / 2;
  for (int i = 0; i <= steps; ++i) {
    const double s = (static_cast<double>(i) / steps - 0.5) * length;
    const double px = c + s * dx, py = c + s * dy;
    // Bilinear splat keeps sub-pixel positions.
    const int x0 = static_cast<int>(std::floor(px)), y0 = static_cast<int>(std::floor(py));
    const double fx = px - x0, fy = py - y0;
    for (int j = 0; j < 4; ++j) {
      const int xx = x0 + (j & 1), yy = y0 + (j >> 1);
      if (xx < 0 || yy < 0 || xx >= size || yy >= size) continue;
      k.at<double>(yy, xx) += ((j & 1) ? fx : 1 - fx) * ((j >> 1) ? fy : 1 - fy);
    }
  }
  return k;
}

}  // namespace

cv::Mat make_blur_kernel(const BlurParams& p) {
  const int n = p.size;
  const bool iso = p.kernel.size() >= 4 && p.kernel.compare(p.kernel.size() - 4, 4, "_iso") == 0;
  const double sy = (iso || p.kernel == "iso") ? p.sigma_x : p.sigma_y;
  const double rot = (iso || p.kernel == "iso") ? 0.0 : p.rotation;
  const InverseCovariance q(p.sigma_x, sy, rot);
  cv::Mat k;
  if (p.kernel == "iso" || p.kernel == "aniso") {
    k = tabulate(n, [&](int x, int y) { return std::exp(-0.5 * q(x, y)); });
  } else if (p.kernel == "generalized_iso" || p.kernel == "generalized_aniso") {
    k = tabulate(n, [&](int x, int y) { return std::exp(-0.5 * std::pow(q(x, y), p.beta)); });
  } else if (p.kernel == "plateau_iso" || p.kernel == "plateau_aniso") {
    k = tabulate(n, [&](int x, int y) { return 1.0 / (std::pow(q(x, y), p.beta) + 1.0); });
  } else if (p.kernel == "sinc") {
    k = sinc_kernel(n, p.cutoff);
  } else if (p.kernel == "box") {
    k = cv::Mat::ones(n, n, CV_64F);
  } else if (p.kernel == "disc") {
    k = disc_kernel(n, std::min(p.radius, n / 2.0));
  } else if (p.kernel == "motion") {
    k = motion_kernel(n, std::min(p.length, n - 1.0), p.angle);
  } else {
    throw Error("blur: unknown kernel '" + p.kernel + "'");
  }
  cv::Mat out;
  normalised(k).convertTo(out, CV_32F);
  return out;
}

SeparableTerms separable_terms(const cv::Mat& kernel, double tolerance) {
  cv::Mat k;
  kernel.convertTo(k, CV_64F);
  cv::Mat w, u, vt;
  cv::SVD::compute(k, w, u, vt);
  SeparableTerms t;
  cv::Mat approx = cv::Mat::zeros(k.size(), CV_64F);
  t.residual_l1 = cv::norm(k, cv::NORM_L1);
  for (int i = 0; i < w.rows && t.residual_l1 > tolerance; ++i) {
    const double s = w.at<double>(i);
    cv::Mat column, row;
    cv::Mat(u.col(i) * s).convertTo(column, CV_32F);
    vt.row(i).convertTo(row, CV_32F);
    t.columns.push_back(column);
    t.rows.push_back(row);
    // The residual of the float factors actually used, not of the exact SVD.
    cv::Mat c64, r64;
    column.convertTo(c64, CV_64F);
    row.convertTo(r64, CV_64F);
    approx += c64 * r64;
    t.residual_l1 = cv::norm(k, approx, cv::NORM_L1);
  }
  return t;
}

namespace {

// Rim trimming takes up to a third of the budget (blur.h), the dropped separable terms the rest.
constexpr double kRimBudget = kBlurApproximationL1 / 3;

// The centred square of `kernel` left after removing the most outer rings whose L1 mass is at
// most `budget` (a 21-tap kernel of sigma 1 is nearly all zeros). `trimmed_l1` gets that mass.
cv::Mat trim_rim(const cv::Mat& kernel, double budget, double& trimmed_l1) {
  const int n = kernel.rows;
  const double total = cv::norm(kernel, cv::NORM_L1);
  trimmed_l1 = 0;
  int rings = 0;
  while (n - 2 * (rings + 1) >= 1) {
    const int inner = n - 2 * (rings + 1);
    const cv::Rect centre(rings + 1, rings + 1, inner, inner);
    const double outside = total - cv::norm(kernel(centre), cv::NORM_L1);
    if (outside > budget) break;
    trimmed_l1 = std::max(0.0, outside);
    ++rings;
  }
  return kernel(cv::Rect(rings, rings, n - 2 * rings, n - 2 * rings)).clone();
}

// CPU ms per 1920x1080 RGB float frame on the benchmark VM (AVX-512, bench/RESULTS.md "Round
// 3"), fitted to 40 kernels drawn as Real-ESRGAN draws them: filter2D runs the taps directly below
// 130 of them and through a DFT above; a separable term (symmetric or antisymmetric) is a column
// and a row pass of the vectorised filter, added into the sum by the row pass; a kept tap pair
// of the 2-D filter is two loads and three vector operations per output. Only the ratios matter.
double filter2d_cost(int n) {
  return n * n < 130 ? 2.0 + 0.28 * n * n : 150.0;
}

double separable_cost(int n, size_t terms) {
  return static_cast<double>(terms) * (4.8 + 0.25 * n);
}

// The vectorised tap-pair convolution (degrade/simd/sym_filter.h).
double paired_taps_cost(const PairedTaps& t) {
  return 4.5 + 0.4 * static_cast<double>(t.w.size());
}

// Default stripe: about 1 Mpixel, so the per-term scratch of a 4K frame is ~12 MB instead of a
// second full-size image.
constexpr int kStripePixels = 1 << 20;

// Sum of the separable terms, in horizontal stripes written straight into the result. A row range
// of `src` makes sepFilter2D read the rows beyond it from `src` itself, so every stripe equals the
// same rows of the whole-image filter.
void apply_separable(const cv::Mat& src, cv::Mat& dst, const SeparableTerms& t, int stripe_rows) {
  if (stripe_rows <= 0) stripe_rows = std::max(64, kStripePixels / std::max(1, src.cols));
  // Terms whose row and column are each even or odd functions (a Gaussian; the SVD terms of the
  // point-symmetric kernels, but for degenerate singular values) run on the vectorised symmetric
  // filter, added to the sum as they are made; the others on OpenCV's.
  std::vector<HalfKernel> half_rows(t.rows.size()), half_columns(t.rows.size());
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const cv::Mat r = t.rows[i].reshape(1, 1), c = t.columns[i].reshape(1, 1);
    const std::vector<double> row(r.begin<float>(), r.end<float>());
    const std::vector<double> column(c.begin<float>(), c.end<float>());
    try {
      half_rows[i] = half_of_kernel(row), half_columns[i] = half_of_kernel(column);
    } catch (const Error&) {
      half_rows[i].clear(), half_columns[i].clear();
    }
  }
  cv::Mat out(src.size(), src.type()), term;
  for (int y0 = 0; y0 < src.rows; y0 += stripe_rows) {
    const int y1 = std::min(src.rows, y0 + stripe_rows);
    const cv::Mat in = src.rowRange(y0, y1);
    cv::Mat sum = out.rowRange(y0, y1);
    for (size_t i = 0; i < t.rows.size(); ++i) {
      if (!half_rows[i].empty()) {
        sym_sep_filter_rows(src, y0, y1, half_rows[i], half_columns[i], sum, i > 0);
        continue;
      }
      cv::Mat& target = i == 0 ? sum : term;
      cv::sepFilter2D(in, target, -1, t.rows[i], t.columns[i], cv::Point(-1, -1), 0,
                      cv::BORDER_REFLECT_101);
      if (i > 0) sum += term;
    }
  }
  dst = out;
}

}  // namespace

void blur_image(const cv::Mat& src, cv::Mat& dst, const cv::Mat& kernel, int stripe_rows) {
  double trimmed_l1 = 0;
  const cv::Mat core = trim_rim(kernel, kRimBudget, trimmed_l1);
  const SeparableTerms t = separable_terms(core, kBlurApproximationL1 - trimmed_l1);
  const bool separable_fits = t.residual_l1 + trimmed_l1 <= kBlurApproximationL1;
  const PairedTaps taps = paired_taps(kernel, kBlurApproximationL1);
  const double direct = filter2d_cost(core.rows);
  const double separable = separable_fits ? separable_cost(core.rows, t.rows.size()) : direct;
  const double paired = taps.symmetric ? paired_taps_cost(taps) : direct;
  if (separable < direct && separable <= paired) {
    apply_separable(src, dst, t, stripe_rows);
  } else if (paired < direct) {
    paired_taps_filter(src, dst, taps);
  } else {
    cv::filter2D(src, dst, -1, core, cv::Point(-1, -1), 0, cv::BORDER_REFLECT_101);
  }
}

class Blur final : public TypedOp<BlurParams, Blur> {
 public:
  static const std::vector<Field<BlurParams>>& table() {
    using P = BlurParams;
    static const std::vector<Field<P>> t = {
        choice<P>("kernel", &P::kernel, "iso",
                  {"iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso",
                   "plateau_aniso", "sinc", "box", "disc", "motion"},
                  "kernel shape; weight a choice to get Real-ESRGAN's kernel mix"),
        integer<P>("size", &P::size, 21, 3, 21, "kernel size (odd)", true),
        real<P>("sigma_x", &P::sigma_x, 1.0, 0.05, 20, "Gaussian sigma along the kernel's x axis")
            .when("kernel=iso|aniso|generalized_iso|generalized_aniso|plateau_iso|plateau_aniso"),
        real<P>("sigma_y", &P::sigma_y, 1.0, 0.05, 20, "sigma along y (aniso kernels only)")
            .when("kernel=aniso|generalized_aniso|plateau_aniso"),
        real<P>("rotation", &P::rotation, 0, -180, 180, "rotation of aniso kernels, degrees")
            .when("kernel=aniso|generalized_aniso|plateau_aniso"),
        real<P>("beta", &P::beta, 1.0, 0.1, 8,
                "shape: generalized exp(-q^beta/2), plateau 1/(1+q^beta)")
            .when("kernel=generalized_iso|generalized_aniso|plateau_iso|plateau_aniso"),
        real<P>("cutoff", &P::cutoff, 1.5, 0.05, 3.1416, "sinc cutoff frequency, radians/pixel")
            .when("kernel=sinc"),
        real<P>("radius", &P::radius, 2.0, 0.5, 10, "disc (defocus) radius, pixels")
            .when("kernel=disc"),
        real<P>("length", &P::length, 5.0, 1, 20, "motion blur length, pixels")
            .when("kernel=motion"),
        real<P>("angle", &P::angle, 0, -180, 180, "motion direction, degrees")
            .when("kernel=motion"),
    };
    return t;
  }

  void run(const BlurParams& p, Pair& pair, Rng&) const {
    blur_image(pair.lq, pair.lq, make_blur_kernel(p));
  }
};

const OpInfo& op_blur() {
  static const OpInfo info = lq_only(make_op_info<Blur>(
      "blur",
      "convolve LQ with a random blur kernel (approximation: the smallest tap pairs dropped or "
      "low-rank separable terms, error <= 0.4/255 on [0, 1] images)"));
  return info;
}

}  // namespace pf::degrade

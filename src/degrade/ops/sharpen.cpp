// sharpen: the over-sharpening of cheap scalers, TV sets and encoders (FIR high-shelf with halos
// and ringing), and Real-ESRGAN's unsharp mask, which its training recipe applies to the HQ target.
#include "degrade/ops/sharpen.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "degrade/op.h"
#include "degrade/simd/sym_filter.h"
#include "degrade/simd/usm_blur.h"
#include "degrade/simd/usm_mask.h"
#include "degrade/simd/usm_rows.h"
#include "io/simd/quantise_row.h"

namespace pf::degrade {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kTransitionWidth = 0.1;  // the script's corner -> corner + 0.1 ramp

// Desired gain at normalised frequency f (Nyquist = 1): numpy.interp over the script's corners.
double desired_gain(double f, double corner, double boost) {
  if (f <= corner) return 1.0;
  if (f >= corner + kTransitionWidth) return boost;
  return 1.0 + (boost - 1.0) * (f - corner) / kTransitionWidth;
}

void clip01(cv::Mat& img) {
  cv::max(img, cv::Scalar::all(0.0), img);
  cv::min(img, cv::Scalar::all(1.0), img);
}

}  // namespace

std::vector<double> fir_sharpen_taps(int taps, double corner, double boost) {
  if (taps < 1 || taps % 2 == 0)
    throw Error("sharpen: FIR taps must be odd, got " + std::to_string(taps));
  // firwin2's default mesh: one more than the smallest power of two >= taps, on [0, Nyquist].
  const int mesh = 1 + (1 << static_cast<int>(std::ceil(std::log2(taps))));
  const int n = 2 * (mesh - 1);  // length of the inverse real FFT
  const double centre = (taps - 1) / 2.0;
  std::vector<double> h(taps);
  double sum = 0;
  for (int k = 0; k < taps; ++k) {
    // Inverse real DFT of gain * exp(-i pi f centre), a zero-phase response delayed to the
    // kernel's centre; the Nyquist bin enters once, the others twice (their mirror images).
    const double t = k - centre;
    double v = desired_gain(0, corner, boost) + desired_gain(1, corner, boost) * std::cos(kPi * t);
    for (int m = 1; m < mesh - 1; ++m)
      v += 2 * desired_gain(static_cast<double>(m) / (mesh - 1), corner, boost) *
           std::cos(2 * kPi * m * t / n);
    h[k] = v / n;
    sum += h[k];
  }
  for (double& v : h) v /= sum;  // DC gain exactly 1: flat areas keep their brightness
  return h;
}

cv::Mat usm_sharpen_reference(const cv::Mat& img, int radius, double amount, double threshold) {
  const int ksize = radius % 2 == 0 ? radius + 1 : radius;
  cv::Mat blur, mask, soft_mask;
  cv::GaussianBlur(img, blur, cv::Size(ksize, ksize), 0);
  const cv::Mat residual = img - blur;
  cv::Mat above = cv::abs(residual) * 255.0 > threshold;  // CV_8U, 255 where true
  above.convertTo(mask, CV_32F, 1.0 / 255.0);
  cv::GaussianBlur(mask, soft_mask, cv::Size(ksize, ksize), 0);
  cv::Mat sharp = img + amount * residual;
  clip01(sharp);
  cv::Mat out = soft_mask.mul(sharp) + (cv::Scalar::all(1.0) - soft_mask).mul(img);
  return out;
}

namespace {

// A ring of the last `size` rows made, row y in slot y % size. Rows start on 64-byte boundaries
// (cv::Mat's buffer is, and the row length is rounded up to 64 bytes): the column filter reads
// each ring row once per tap, and a vector load that straddles two cache lines costs two.
template <class T>
class RowRing {
 public:
  RowRing(int size, int values)
      : rows_(size, (values + kPerLine - 1) / kPerLine * kPerLine, cv::DataType<T>::type) {}
  T* operator[](int y) { return rows_.ptr<T>(y % rows_.rows); }

 private:
  static constexpr int kPerLine = 64 / sizeof(T);
  cv::Mat rows_;
};

}  // namespace

bool usm_blurs_in_fixed_point(const MaskKernel& mask, const BlurKernel& blur, double amount,
                              double threshold) {
  return usm_mask_output_bound(mask, amount) + amount * blur.bound <= kUsmFixedBudget &&
         threshold / 255 > blur.bound;
}

namespace {

// The unsharp mask of `source` into `out` (the same size and type), which may be `source` itself
// when usm_sharpen_in_place has made sure the rows still to be read are not yet overwritten.
void usm_sharpen_rows(const cv::Mat& source, cv::Mat& out, int ksize, double amount_d,
                      double threshold_d, cv::Mat* out8) {
  const int half = ksize / 2, ring = 2 * half + kRowBatch + 1;
  const HalfKernel gauss = gaussian_half_kernel(ksize);
  const MaskKernel mask_kernel = usm_mask_kernel(gauss);
  const BlurKernel blur_kernel = usm_blur_kernel(gauss);
  const float amount = static_cast<float>(amount_d), threshold = static_cast<float>(threshold_d);
  const int rows = source.rows, width = source.cols, channels = source.channels();
  const int n = width * channels;
  if (out8 != nullptr) {
    if (channels != 3) throw Error("sharpen: an 8-bit copy needs an RGB image");
    out8->create(rows, width, CV_8UC3);
  }
  // Rows stream through in batches: a batch makes the blur and the threshold mask of rows
  // [t, t + batch), then finishes rows [t - half, t + batch - half), whose soft masks need the
  // mask rows up to the batch's last, and writes them to `out`. The mask is blurred in fixed
  // point (usm_mask.h), and so is the image where its error bound allows and its values are in
  // [0, 1] (usm_blur.h); a value outside [0, 1] sends that batch and the rest to the float blur.
  bool fixed = usm_blurs_in_fixed_point(mask_kernel, blur_kernel, amount_d, threshold_d);
  RowRing<float> blur(ring, n);
  RowRing<uint16_t> mask(ring, n), soft(kRowBatch, n), fixed_source(fixed ? ring : 1, n);
  std::vector<int> fixed_row(fixed ? ring : 0, -1);  // the image row each fixed_source slot holds
  RowRing<uint8_t> quiet(ring, mask_tiles(n));       // which tiles of each mask row are all zero
  std::vector<PaddedRow> padded;
  std::vector<FixedRow> fixed_padded;
  std::vector<float*> outs(kRowBatch);
  std::vector<uint16_t*> fixed_outs(kRowBatch);
  MaskRow above(width, channels, half);
  std::vector<const float*> taps(kRowBatch + 2 * half);
  std::vector<const uint16_t*> fixed_taps(kRowBatch + 2 * half);
  std::vector<const uint16_t*> mask_taps(kRowBatch + 2 * half);
  std::vector<const uint8_t*> quiet_taps(kRowBatch + 2 * half);
  std::vector<uint16_t*> soft_outs(kRowBatch);
  for (int t = 0; t < rows + half; t += kRowBatch) {
    const int made = std::clamp(rows - t, 0, kRowBatch);
    for (int j = 0; j < made + 2 * half && fixed; ++j) {
      const int y = mirror_row(t - half + j, rows);
      int& held = fixed_row[y % ring];
      if (held != y) fixed = usm_fixed_row(source.ptr<float>(y), n, fixed_source[y]), held = y;
      fixed_taps[j] = fixed_source[y];
    }
    if (fixed) {
      if (fixed_padded.empty())
        fixed_padded = std::vector<FixedRow>(kRowBatch, FixedRow(width, channels, half));
      for (int r = 0; r < made; ++r) fixed_outs[r] = fixed_padded[r].data();
      fixed_filter_columns(fixed_taps.data(), made, blur_kernel.weights, n, fixed_outs.data());
      for (int r = 0; r < made; ++r) fixed_padded[r].filter(blur_kernel, blur[t + r]);
    } else {
      if (padded.empty())
        padded = std::vector<PaddedRow>(kRowBatch, PaddedRow(width, channels, half));
      for (int j = 0; j < made + 2 * half; ++j)
        taps[j] = source.ptr<float>(mirror_row(t - half + j, rows));
      for (int r = 0; r < made; ++r) outs[r] = padded[r].data();
      sym_filter_columns(taps.data(), made, gauss, n, outs.data());
      for (int r = 0; r < made; ++r) padded[r].filter(gauss, blur[t + r]);
    }
    for (int r = 0; r < made; ++r) {
      usm_threshold_row(source.ptr<float>(t + r), blur[t + r], n, threshold, above.data());
      above.filter(mask_kernel, mask[t + r], quiet[t + r]);
    }
    const int y0 = std::max(0, t - half), y1 = std::min(rows, t + kRowBatch - half);
    if (y1 <= y0) continue;
    for (int j = 0; j < y1 - y0 + 2 * half; ++j) {
      const int y = mirror_row(y0 - half + j, rows);
      mask_taps[j] = mask[y], quiet_taps[j] = quiet[y];
    }
    for (int r = 0; r < y1 - y0; ++r) soft_outs[r] = soft[r];
    usm_mask_columns(mask_taps.data(), y1 - y0, mask_kernel, n, soft_outs.data(),
                     quiet_taps.data());
    for (int y = y0; y < y1; ++y) {
      usm_blend_row(source.ptr<float>(y), blur[y], soft[y - y0], n, amount, out.ptr<float>(y));
      if (out8 != nullptr) io::quantise_row_8bit(out.ptr<float>(y), n, out8->ptr<uint8_t>(y));
    }
  }
}

// `img` (CV_32FC3) quantised as usm_sharpen_rows's 8-bit copy is.
void quantise_8bit(const cv::Mat& img, cv::Mat& img8) {
  if (img.type() != CV_32FC3) throw Error("sharpen: an 8-bit copy needs an RGB image");
  img8.create(img.size(), CV_8UC3);
  for (int y = 0; y < img.rows; ++y)
    io::quantise_row_8bit(img.ptr<float>(y), img.cols * 3, img8.ptr<uint8_t>(y));
}

int usm_kernel_size(const cv::Mat& img, int radius) {
  if (img.depth() != CV_32F) throw Error("sharpen: usm wants a float image");
  return radius % 2 == 0 ? radius + 1 : radius;
}

}  // namespace

void usm_sharpen_in_place(cv::Mat& img, int radius, double amount, double threshold,
                          cv::Mat* img8) {
  const int ksize = usm_kernel_size(img, radius);
  if (ksize == 1) {  // the blur of one tap is the image: no residual, nothing to sharpen
    if (img8 != nullptr) quantise_8bit(img, *img8);
    return;
  }
  // Later blurs read source rows below the ones written back, so the original is not needed,
  // except when mirrored rows could reach back (an image shorter than two kernels) or when the
  // image is a view into a larger one (its own edges are mirrored, not the parent's).
  const cv::Mat source = img.isSubmatrix() || img.rows < 2 * ksize ? img.clone() : img;
  usm_sharpen_rows(source, img, ksize, amount, threshold, img8);
}

void usm_sharpen_into(const cv::Mat& src, cv::Mat& dst, int radius, double amount, double threshold,
                      cv::Mat* dst8) {
  const int ksize = usm_kernel_size(src, radius);
  cv::Mat out(src.size(), src.type());  // fresh: `dst` may share pixels with `src`
  if (ksize == 1) {
    src.copyTo(out);
    if (dst8 != nullptr) quantise_8bit(out, *dst8);
  } else {
    usm_sharpen_rows(src, out, ksize, amount, threshold, dst8);
  }
  dst = out;
}

cv::Mat usm_sharpen(const cv::Mat& img, int radius, double amount, double threshold) {
  cv::Mat out;
  usm_sharpen_into(img, out, radius, amount, threshold);
  return out;
}

namespace {

struct SharpenParams {
  std::string mode;  // usm | fir
  int radius;        // USM
  double amount, threshold;
  int taps_h, taps_v;  // FIR
  double corner, boost;
  std::string target;  // lq | hq | both
};

cv::Mat fir_sharpen(const cv::Mat& img, const SharpenParams& p) {
  const std::vector<double> h = fir_sharpen_taps(p.taps_h, p.corner, p.boost);
  const std::vector<double> v = fir_sharpen_taps(p.taps_v, p.corner, p.boost);
  cv::Mat out;
  cv::sepFilter2D(img, out, -1, cv::Mat(h), cv::Mat(v), cv::Point(-1, -1), 0,
                  cv::BORDER_REFLECT_101);
  clip01(out);  // the overshoot clips, as it does in any 8-bit output
  return out;
}

class Sharpen final : public TypedOp<SharpenParams, Sharpen> {
 public:
  static const std::vector<Field<SharpenParams>>& table() {
    using P = SharpenParams;
    static const std::vector<Field<P>> t = {
        choice<P>("mode", &P::mode, "fir", {"usm", "fir"},
                  "usm: Real-ESRGAN's unsharp mask; fir: separable FIR high-shelf with halos"),
        integer<P>("radius", &P::radius, 50, 1, 101,
                   "usm: Gaussian kernel size (even sizes get +1, as in basicsr: 50 -> 51)")
            .when("mode=usm"),
        real<P>("amount", &P::amount, 0.5, 0, 5, "usm: weight of the residual added back")
            .when("mode=usm"),
        real<P>("threshold", &P::threshold, 10, 0, 255,
                "usm: residuals at or below this (0-255 units) are left unsharpened")
            .when("mode=usm"),
        integer<P>("taps_h", &P::taps_h, 5, 3, 7, "fir: horizontal taps (3, 5 or 7)", true)
            .when("mode=fir"),
        integer<P>("taps_v", &P::taps_v, 5, 3, 7, "fir: vertical taps (3, 5 or 7)", true)
            .when("mode=fir"),
        real<P>("corner", &P::corner, 0.45, 0.05, 0.85,
                "fir: corner frequency (Nyquist = 1); gain ramps to boost over the next 0.1")
            .when("mode=fir"),
        real<P>("boost", &P::boost, 1.6, 1, 4, "fir: high-frequency gain (1 = no sharpening)")
            .when("mode=fir"),
        choice<P>("target", &P::target, "lq", {"lq", "hq", "both"},
                  "image(s) sharpened; Real-ESRGAN sharpens the HQ target with usm"),
    };
    return t;
  }

  void run(const SharpenParams& p, Pair& pair, Rng&) const {
    if (p.mode == "usm") {
      // In place: a 4K frame needs no second full-size image. Where HQ and LQ share pixels (a
      // fresh pair), the sharpened one goes to a new image instead, which costs no more and
      // saves the copy of the other.
      // HQ's 8-bit copy comes with it (Pair::hq8): its rows quantised while still in cache.
      const auto sharpen = [&](cv::Mat& img, cv::Mat* img8) {
        if (pair.shares_pixels())
          usm_sharpen_into(img, img, p.radius, p.amount, p.threshold, img8);
        else
          usm_sharpen_in_place(img, p.radius, p.amount, p.threshold, img8);
      };
      if (p.target != "lq") sharpen(pair.hq, pair.hq.type() == CV_32FC3 ? &pair.hq8 : nullptr);
      if (p.target != "hq") sharpen(pair.lq, nullptr);
      return;
    }
    if (p.target != "lq") pair.hq = fir_sharpen(pair.hq, p);
    if (p.target != "hq") pair.lq = fir_sharpen(pair.lq, p);
  }
};

}  // namespace

const OpInfo& op_sharpen() {
  static const OpInfo info = [] {
    OpInfo i = make_op_info<Sharpen>(
        "sharpen",
        "over-sharpen with a FIR high-shelf (halos, ringing) or an unsharp mask (approximations: "
        "usm's soft mask in 16-bit fixed point, error <= 0.08/255 at radius 51 and amount 0.5, "
        "< 0.4/255 at any radius and amount; usm's image blur in 16-bit fixed point where both "
        "bounds together stay <= 0.25/255 and the threshold is above the blur's bound: 0.14/255 "
        "together at radius 51 and amount 0.5, plus residuals that the blur's error moves across "
        "the threshold, < 0.4/255 on real frames; on [0, 1] images)");
    i.takes_shared_pair = true;  // usm writes a new image then; fir always does
    return i;
  }();
  return info;
}

}  // namespace pf::degrade

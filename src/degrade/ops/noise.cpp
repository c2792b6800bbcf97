// noise: additive Gaussian, Poisson (shot), salt & pepper and speckle (multiplicative) noise,
// following Real-ESRGAN's degradations.py (generate_gaussian_noise, generate_poisson_noise, gray
// noise, clip=True), on RGB or on the luma / chroma planes of full-range BT.601 YCbCr.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <vector>

#include "core/error.h"
#include "degrade/color_space.h"
#include "degrade/op.h"
#include "degrade/simd/noise_stream.h"
#include "degrade/simd/poisson_row.h"

namespace pf::degrade {

namespace {

struct NoiseParams {
  std::string type;      // gaussian | poisson | salt_pepper | speckle
  double sigma;          // Gaussian / speckle std dev, 0-255 units
  bool gray;             // one noise plane shared by every affected channel
  double scale;          // Poisson noise multiplier
  double amount;         // salt & pepper: fraction of pixels hit
  double salt_ratio;     // salt & pepper: fraction of hits that are white
  std::string channels;  // rgb | luma | chroma
};

using Planes = std::vector<cv::Mat>;  // CV_32FC1 planes

cv::Mat gaussian_plane(cv::Size size, double sigma, NoiseStream& random) {
  cv::Mat noise(size, CV_32F);
  for (int y = 0; y < noise.rows; ++y)
    random.normals(noise.ptr<float>(y), noise.cols, static_cast<float>(sigma / 255.0));
  return noise;
}

// Multiplicative noise: its std dev is sigma/255 of the signal itself.
cv::Mat speckle_plane(const cv::Mat& signal, double sigma, NoiseStream& random) {
  return gaussian_plane(signal.size(), sigma, random).mul(signal);
}

// Real-ESRGAN counts the distinct 8-bit levels of the image and rounds the count up to a power of
// two: that is the photon count a pixel of value 1 receives.
// More than 128 distinct levels always round up to 256, so the scan stops there: a natural
// frame gets past 128 within its first rows.
double poisson_levels(const Planes& planes) {
  std::array<bool, 256> seen{};
  int distinct = 0;
  for (const cv::Mat& p : planes)
    for (int y = 0; y < p.rows && distinct <= 128; ++y) {
      const float* row = p.ptr<float>(y);
      for (int x = 0; x < p.cols; ++x) {
        bool& s = seen[level_of(row[x])];
        distinct += !s;
        s = true;
      }
    }
  return std::exp2(std::ceil(std::log2(static_cast<double>(distinct))));
}

// Poisson sampling for an 8-bit-rounded signal (Real-ESRGAN rounds to 8 bits before Poisson
// noise): it has at most 256 distinct means, so each level gets an alias table (Walker / Vose) of
// its pmf, and every sample is one random word, one table entry and a select (simd/poisson_row.h):
// exact Poisson up to double rounding (the tails beyond 1e-20 are dropped), instead of a
// rejection loop with logarithms per pixel. The tables depend only on the photon count of a
// full-scale pixel (a power of two up to 256), not on the noise scale, so each thread builds them
// once per count and keeps them for the following pairs.
class PoissonLevels {
 public:
  PoissonLevels(double levels, double scale)
      : tables_(tables_for(levels)),
        inverse_levels_(static_cast<float>(1.0 / levels)),
        scale_(static_cast<float>(scale)) {}

  // out[x] = the noise of in[x], drawn with words[x].
  void noise_row(const float* in, const uint32_t* words, int n, float* out) const {
    poisson_noise_row(in, words, n, *tables_, inverse_levels_, scale_, out);
  }

 private:
  static std::shared_ptr<const PoissonTables> tables_for(double levels) {
    thread_local std::map<double, std::shared_ptr<const PoissonTables>> cache;
    std::shared_ptr<const PoissonTables>& t = cache[levels];
    if (!t) t = std::make_shared<const PoissonTables>(build_tables(levels));
    return t;
  }

  // p * 2^32 rounded, saturated: a fraction f of 32 bits keeps the entry when f < threshold.
  static uint32_t keep_threshold(double p) {
    return p >= 1.0 ? UINT32_MAX : static_cast<uint32_t>(std::llround(p * 0x1.0p32));
  }

  // Terms below this, on either side of the mode, are dropped: they fall faster than
  // geometrically there, so the whole of each tail is below double resolution.
  static constexpr double kNegligibleTail = 1e-20;

  // The pmf from its first non-negligible count, in log space (no underflow of exp(-lambda) at
  // large means; a running sum instead of lgamma, which is not thread-safe in glibc).
  static std::vector<double> pmf(double lambda, uint32_t& first) {
    first = 0;
    if (!(lambda > 0)) return {1.0};
    std::vector<double> p;
    const double log_lambda = std::log(lambda);
    double log_pmf = -lambda;
    for (int k = 0;; ++k) {
      if (k > 0) log_pmf += log_lambda - std::log(static_cast<double>(k));
      const double v = std::exp(log_pmf);
      if (p.empty() && v < kNegligibleTail && k < lambda) {
        first = k + 1;
        continue;
      }
      p.push_back(v);
      if (k > lambda && v < kNegligibleTail) return p;
    }
  }

  // Vose's alias construction for the level of value q / 255: entries below the mean probability
  // are topped up by one above it. Appends the table to `t`.
  static void build(int q, double levels, PoissonTables& t) {
    const double lambda = static_cast<double>(static_cast<float>(q) / 255.f) * levels;
    uint32_t first = 0;
    std::vector<double> scaled = pmf(lambda, first);
    const size_t n = scaled.size(), start = t.entries.size() / 2;
    if (n >= (1u << PoissonTables::kSizeBits) || first + n > UINT16_MAX ||
        start >= (1u << (32 - PoissonTables::kSizeBits)))
      throw Error("noise: Poisson mean too large for the alias tables");
    double total = 0;
    for (double p : scaled) total += p;
    for (double& p : scaled) p *= static_cast<double>(n) / total;
    std::vector<size_t> small, large, alias(n);
    for (size_t k = 0; k < n; ++k) (scaled[k] < 1.0 ? small : large).push_back(k);
    std::vector<double> keep(n, 1.0);
    while (!small.empty() && !large.empty()) {
      const size_t s = small.back(), l = large.back();
      small.pop_back();
      large.pop_back();
      keep[s] = scaled[s], alias[s] = l;
      scaled[l] = (scaled[l] + scaled[s]) - 1.0;
      (scaled[l] < 1.0 ? small : large).push_back(l);
    }
    // Whatever is left holds probability 1 up to rounding: it keeps itself.
    for (size_t k : small) alias[k] = k;
    for (size_t k : large) alias[k] = k;
    t.levels[q] = static_cast<uint32_t>(start << PoissonTables::kSizeBits | n);
    for (size_t k = 0; k < n; ++k) {
      const auto own = static_cast<uint32_t>(first + k);
      const auto other = static_cast<uint32_t>(first + (keep[k] < 1.0 ? alias[k] : k));
      t.entries.push_back(keep_threshold(keep[k]));
      t.entries.push_back(own | other << 16);
    }
  }

  static PoissonTables build_tables(double levels) {
    PoissonTables t;
    for (int q = 0; q < 256; ++q) build(q, levels, t);
    return t;
  }

  std::shared_ptr<const PoissonTables> tables_;
  float inverse_levels_, scale_;
};

cv::Mat poisson_plane(const cv::Mat& signal, double levels, double scale, NoiseStream& random) {
  const PoissonLevels poisson(levels, scale);
  cv::Mat noise(signal.size(), CV_32F);
  std::vector<uint32_t> words(signal.cols);
  for (int y = 0; y < signal.rows; ++y) {
    random.words(words.data(), signal.cols);
    poisson.noise_row(signal.ptr<float>(y), words.data(), signal.cols, noise.ptr<float>(y));
  }
  return noise;
}

// The plane gray noise is drawn from: luma for RGB (Real-ESRGAN's BGR2GRAY), else the mean of the
// affected planes (Y alone for luma).
cv::Mat gray_reference(const cv::Mat& rgb, const Planes& planes, const std::string& channels) {
  if (channels == "rgb") return rgb_to_luma(rgb);
  cv::Mat sum = cv::Mat::zeros(planes[0].size(), CV_32F);
  for (const cv::Mat& p : planes) sum += p;
  return sum / static_cast<double>(planes.size());
}

cv::Mat additive_noise(const NoiseParams& p, const cv::Mat& signal, double levels,
                       NoiseStream& random) {
  if (p.type == "gaussian") return gaussian_plane(signal.size(), p.sigma, random);
  if (p.type == "speckle") return speckle_plane(signal, p.sigma, random);
  return poisson_plane(signal, levels, p.scale, random);
}

void add_noise(const NoiseParams& p, const cv::Mat& rgb, Planes& planes, Rng& rng) {
  NoiseStream random(rng);
  if (p.gray) {
    const cv::Mat reference = gray_reference(rgb, planes, p.channels);
    const double levels = p.type == "poisson" ? poisson_levels({reference}) : 0.0;
    const cv::Mat noise = additive_noise(p, reference, levels, random);
    for (cv::Mat& plane : planes) plane += noise;
    return;
  }
  const double levels = p.type == "poisson" ? poisson_levels(planes) : 0.0;
  for (cv::Mat& plane : planes) plane += additive_noise(p, plane, levels, random);
}

// RGB noise straight on the interleaved image, clipped in the same pass: no split, merge or
// full-size noise planes. Colour noise is drawn in pixel order (R, G, B of each pixel in turn).
void add_rgb_noise(const NoiseParams& p, cv::Mat& rgb, Rng& rng) {
  NoiseStream random(rng);
  if (p.gray) {
    const cv::Mat reference = rgb_to_luma(rgb);
    const double levels = p.type == "poisson" ? poisson_levels({reference}) : 0.0;
    const cv::Mat noise = additive_noise(p, reference, levels, random);
    for (int y = 0; y < rgb.rows; ++y)
      add_clamped_gray(rgb.ptr<float>(y), noise.ptr<float>(y), rgb.cols);
    return;
  }
  cv::Mat values = rgb.reshape(1);  // shares rgb's pixels
  const auto k = static_cast<float>(p.sigma / 255.0);
  const int n = values.cols;
  if (p.type == "gaussian") {
    for (int y = 0; y < values.rows; ++y) random.add_normals_clamped(values.ptr<float>(y), n, k);
    return;
  }
  std::vector<float> noise(n);
  std::vector<uint32_t> words(n);
  std::optional<PoissonLevels> poisson;
  if (p.type == "poisson") poisson.emplace(poisson_levels({values}), p.scale);
  for (int y = 0; y < values.rows; ++y) {
    float* row = values.ptr<float>(y);
    if (poisson) {
      random.words(words.data(), n);
      poisson->noise_row(row, words.data(), n, noise.data());
    } else {  // speckle
      random.normals(noise.data(), n, k);
      for (int x = 0; x < n; ++x) noise[x] *= row[x];
    }
    add_clamped(row, noise.data(), n);
  }
}

// Salt & pepper replaces values: gray hits every affected plane of a pixel at once, otherwise each
// plane is hit on its own.
void add_salt_pepper(const NoiseParams& p, Planes& planes, Rng& rng) {
  const int rows = planes[0].rows, cols = planes[0].cols;
  auto draw = [&](float& hit_value) {
    if (!rng.bernoulli(p.amount)) return false;
    hit_value = rng.bernoulli(p.salt_ratio) ? 1.f : 0.f;
    return true;
  };
  if (p.gray) {
    for (int y = 0; y < rows; ++y)
      for (int x = 0; x < cols; ++x) {
        float v;
        if (draw(v))
          for (cv::Mat& plane : planes) plane.at<float>(y, x) = v;
      }
    return;
  }
  for (cv::Mat& plane : planes)
    for (int y = 0; y < rows; ++y) {
      float* row = plane.ptr<float>(y);
      for (int x = 0; x < cols; ++x) draw(row[x]);
    }
}

class Noise final : public TypedOp<NoiseParams, Noise> {
 public:
  static const std::vector<Field<NoiseParams>>& table() {
    using P = NoiseParams;
    static const std::vector<Field<P>> t = {
        choice<P>("type", &P::type, "gaussian", {"gaussian", "poisson", "salt_pepper", "speckle"},
                  "noise model: additive Gaussian, Poisson (shot), salt & pepper, speckle "
                  "(multiplicative Gaussian)"),
        real<P>("sigma", &P::sigma, 10, 0, 255,
                "Gaussian std dev in 0-255 units; speckle: std dev relative to the signal "
                "(255 = 100 %)")
            .when("type=gaussian|speckle"),
        boolean<P>("gray", &P::gray, false,
                   "the same noise on every channel (Real-ESRGAN's gray noise; Poisson drawn "
                   "from luma)"),
        real<P>("scale", &P::scale, 1.0, 0, 10,
                "Poisson noise multiplier (Real-ESRGAN's poisson_scale)")
            .when("type=poisson"),
        real<P>("amount", &P::amount, 0.01, 0, 1, "salt & pepper: fraction of pixels hit")
            .when("type=salt_pepper"),
        real<P>("salt_ratio", &P::salt_ratio, 0.5, 0, 1,
                "salt & pepper: fraction of hits that are white (the rest are black)")
            .when("type=salt_pepper"),
        choice<P>("channels", &P::channels, "rgb", {"rgb", "luma", "chroma"},
                  "where the noise goes: R,G,B, or Y alone / Cb,Cr alone (BT.601 YCbCr, chroma "
                  "planes centred on 0.5)"),
    };
    return t;
  }

  void run(const NoiseParams& p, Pair& pair, Rng& rng) const {
    const bool rgb = p.channels == "rgb";
    if (rgb && p.type != "salt_pepper" && pair.lq.type() == CV_32FC3) {
      add_rgb_noise(p, pair.lq, rng);
      return;
    }
    const cv::Mat work = rgb ? pair.lq : rgb_to_ycbcr(pair.lq);
    Planes all;
    cv::split(work, all);
    Planes affected;
    if (p.channels != "chroma") affected.push_back(all[0]);
    if (p.channels != "luma") affected.insert(affected.end(), all.begin() + 1, all.end());

    // The planes share data with `all`, so noise added to them lands in the merged image.
    if (p.type == "salt_pepper")
      add_salt_pepper(p, affected, rng);
    else
      add_noise(p, pair.lq, affected, rng);

    cv::Mat merged;
    cv::merge(all, merged);
    if (!rgb) merged = ycbcr_to_rgb(merged);
    // Real-ESRGAN adds noise with clip=True.
    cv::max(merged, cv::Scalar::all(0.0), merged);
    cv::min(merged, cv::Scalar::all(1.0), pair.lq);
  }
};

}  // namespace

const OpInfo& op_noise() {
  static const OpInfo info = lq_only(
      make_op_info<Noise>("noise", "add Gaussian, Poisson, salt & pepper or speckle noise to LQ"));
  return info;
}

}  // namespace pf::degrade

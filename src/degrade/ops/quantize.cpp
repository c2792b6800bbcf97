// quantize: too few levels per channel (GIFs, 16-bit colour, cheap encoders' 6-bit panels), with
// the dithers real tools use: none (banding), ordered 8x8 Bayer, random, Floyd-Steinberg error
// diffusion.
#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/core.hpp>

#include "degrade/op.h"

namespace pf::degrade {

namespace {

struct QuantizeParams {
  int bits;            // levels per channel = 2^bits
  std::string dither;  // none | ordered | random | floyd_steinberg
};

// Bayer index matrix built by recursion: B(2n) = [[4B, 4B+2], [4B+3, 4B+1]].
using Bayer8 = std::array<std::array<int, 8>, 8>;
Bayer8 make_bayer8() {
  Bayer8 b{};
  for (int size = 1; size < 8; size *= 2)
    for (int y = size - 1; y >= 0; --y)
      for (int x = size - 1; x >= 0; --x) {
        const int v = 4 * b[y][x];
        b[y][x] = v, b[y][x + size] = v + 2, b[y + size][x] = v + 3, b[y + size][x + size] = v + 1;
      }
  return b;
}

// Maps v in [0, 1] to level floor(v * steps + threshold), kept inside [0, steps]. A threshold of
// 0.5 rounds; thresholds uniform on [0, 1) preserve the mean.
float quantize_with(float v, float steps, float threshold) {
  const float level = std::floor(std::clamp(v, 0.f, 1.f) * steps + threshold);
  return std::clamp(level, 0.f, steps) / steps;
}

template <class ThresholdAt>
void quantize_pointwise(cv::Mat& img, float steps, ThresholdAt threshold_at) {
  const int channels = img.channels();
  for (int y = 0; y < img.rows; ++y) {
    float* row = img.ptr<float>(y);
    for (int x = 0; x < img.cols; ++x)
      for (int c = 0; c < channels; ++c)
        row[x * channels + c] = quantize_with(row[x * channels + c], steps, threshold_at(y, x));
  }
}

// Serpentine Floyd-Steinberg per channel: the error of each pixel goes 7/16 ahead, 3/16
// behind-below, 5/16 below, 1/16 ahead-below; odd rows run right to left to avoid diagonal worms.
void floyd_steinberg(cv::Mat& img, float steps) {
  const int rows = img.rows, cols = img.cols, channels = img.channels();
  for (int c = 0; c < channels; ++c) {
    std::vector<float> error_this(cols + 2, 0.f), error_next(cols + 2, 0.f);
    for (int y = 0; y < rows; ++y) {
      float* row = img.ptr<float>(y);
      const bool forward = y % 2 == 0;
      const int dir = forward ? 1 : -1;
      for (int i = 0; i < cols; ++i) {
        const int x = forward ? i : cols - 1 - i;
        float& px = row[x * channels + c];
        const float wanted = px + error_this[x + 1];
        px = quantize_with(wanted, steps, 0.5f);
        const float err = wanted - px;
        error_this[x + 1 + dir] += err * 7.f / 16.f;
        error_next[x + 1 - dir] += err * 3.f / 16.f;
        error_next[x + 1] += err * 5.f / 16.f;
        error_next[x + 1 + dir] += err * 1.f / 16.f;
      }
      std::swap(error_this, error_next);
      std::fill(error_next.begin(), error_next.end(), 0.f);
    }
  }
}

class Quantize final : public TypedOp<QuantizeParams, Quantize> {
 public:
  static const std::vector<Field<QuantizeParams>>& table() {
    using P = QuantizeParams;
    static const std::vector<Field<P>> t = {
        integer<P>("bits", &P::bits, 5, 1, 8, "bits per channel: 2^bits levels"),
        choice<P>("dither", &P::dither, "none", {"none", "ordered", "random", "floyd_steinberg"},
                  "none: banding; ordered: 8x8 Bayer pattern; random: per-sample threshold; "
                  "floyd_steinberg: error diffusion"),
    };
    return t;
  }

  void run(const QuantizeParams& p, Pair& pair, Rng& rng) const {
    const float steps = static_cast<float>((1 << p.bits) - 1);
    cv::Mat& img = pair.lq;
    if (p.dither == "ordered") {
      static const Bayer8 bayer = make_bayer8();  // immutable once built: thread-safe
      quantize_pointwise(img, steps, [&](int y, int x) {
        return (static_cast<float>(bayer[y % 8][x % 8]) + 0.5f) / 64.f;
      });
    } else if (p.dither == "random") {
      quantize_pointwise(img, steps, [&](int, int) { return static_cast<float>(rng.uniform()); });
    } else if (p.dither == "floyd_steinberg") {
      floyd_steinberg(img, steps);
    } else {
      quantize_pointwise(img, steps, [](int, int) { return 0.5f; });
    }
  }
};

}  // namespace

const OpInfo& op_quantize() {
  static const OpInfo info = lq_only(make_op_info<Quantize>(
      "quantize", "reduce LQ to 2^bits levels per channel, with or without dithering"));
  return info;
}

}  // namespace pf::degrade

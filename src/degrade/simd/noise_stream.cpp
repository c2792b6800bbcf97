// Highway kernels of noise_stream.h, compiled once per instruction set through
// hwy/foreach_target.h; the HWY_ONCE part holds the tables and the dispatching class.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "degrade/simd/noise_stream.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace pf::degrade::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// At most 16 lanes, so the generator's lanes map onto whole vectors on every target.
using DU = hn::CappedTag<uint32_t, 16>;

// xoshiro128++ on lanes [j, j + Lanes) of the state (four arrays of 16 words): one output word
// per lane, the state advanced once.
template <class V>
HWY_INLINE V step(uint32_t* state, size_t j) {
  const DU du;
  V s0 = hn::Load(du, state + j), s1 = hn::Load(du, state + 16 + j);
  V s2 = hn::Load(du, state + 32 + j), s3 = hn::Load(du, state + 48 + j);
  const V result = hn::Add(hn::RotateRight<25>(hn::Add(s0, s3)), s0);  // rotl 7
  const V t = hn::ShiftLeft<9>(s1);
  s2 = hn::Xor(s2, s0);
  s3 = hn::Xor(s3, s1);
  s1 = hn::Xor(s1, s2);
  s0 = hn::Xor(s0, s3);
  s2 = hn::Xor(s2, t);
  s3 = hn::RotateRight<21>(s3);  // rotl 11
  hn::Store(s0, du, state + j);
  hn::Store(s1, du, state + 16 + j);
  hn::Store(s2, du, state + 32 + j);
  hn::Store(s3, du, state + 48 + j);
  return result;
}

void Words(uint32_t* state, int blocks, uint32_t* out) {
  const DU du;
  using V = hn::Vec<DU>;
  const size_t lanes = hn::Lanes(du);
  for (int b = 0; b < blocks; ++b)
    for (size_t j = 0; j < 16; j += lanes) hn::StoreU(step<V>(state, j), du, out + b * 16 + j);
}

// Ziggurat candidates from the words of `blocks` blocks: the layer i is a word's low 7 bits, u in
// [-1, 1) its top 24 bits, the candidate x = u * edge[i], accepted at once when |x| < edge[i + 1].
// edges[2 j] and edges[2 j + 1] are edge[i] and edge[i + 1] of word j, looked up beforehand
// (edge_pairs). Writes the candidates; bit j of rejected[b] says whether lane j of block b is
// left to finish in scalar code.
void NormalCandidates(const uint32_t* words, const float* edges, int blocks, float* out,
                      uint16_t* rejected) {
  const DU du;
  const hn::Rebind<int32_t, DU> di;
  const hn::Rebind<float, DU> df;
  const size_t lanes = hn::Lanes(du);
  const auto unit = hn::Set(df, 0x1.0p-23f);
  for (int b = 0; b < blocks; ++b) {
    uint32_t outside_lanes = 0;
    for (size_t j = 0; j < 16; j += lanes) {
      const size_t at = static_cast<size_t>(b) * 16 + j;
      const auto w = hn::BitCast(di, hn::Load(du, words + at));
      hn::Vec<decltype(df)> edge, next;
      hn::LoadInterleaved2(df, edges + 2 * at, edge, next);
      const auto u = hn::Mul(hn::ConvertTo(df, hn::ShiftRight<8>(w)), unit);
      const auto x = hn::Mul(u, edge);
      const auto inside = hn::Lt(hn::Abs(x), next);
      if (!hn::AllTrue(df, inside)) {
        uint8_t bits[8] = {0};
        hn::StoreMaskBits(df, hn::Not(inside), bits);
        outside_lanes |= (bits[0] | uint32_t{bits[1]} << 8) << j;
      }
      hn::StoreU(x, df, out + at);
    }
    rejected[b] = static_cast<uint16_t>(outside_lanes);
  }
}

// out[i] = in[i] * scale.
void Scale(const float* in, int n, float scale, float* out) {
  const hn::ScalableTag<float> d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto s = hn::Set(d, scale);
  int i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(hn::Mul(hn::LoadU(d, in + i), s), d, out + i);
  for (; i < n; ++i) out[i] = in[i] * scale;
}

// values[i] = clamp(values[i] + noise[i] * scale, 0, 1).
void AddScaledClamped(float* values, const float* noise, int n, float scale) {
  const hn::ScalableTag<float> d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto s = hn::Set(d, scale), zero = hn::Zero(d), one = hn::Set(d, 1.f);
  int i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto v = hn::Add(hn::LoadU(d, values + i), hn::Mul(hn::LoadU(d, noise + i), s));
    hn::StoreU(hn::Min(hn::Max(v, zero), one), d, values + i);
  }
  for (; i < n; ++i) {
    const float v = values[i] + noise[i] * scale;
    values[i] = v < 0.f ? 0.f : (v > 1.f ? 1.f : v);
  }
}

// values[3 x + c] = clamp(values[3 x + c] + noise[x], 0, 1) for the pixels x of an RGB row: gray
// noise, each pixel's sample on its three channels. The sums of AddScaledClamped with scale 1.
void AddGrayClamped(float* values, const float* noise, int pixels) {
  const hn::ScalableTag<float> d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto zero = hn::Zero(d), one = hn::Set(d, 1.f);
  const auto clamp = [&](auto v) { return hn::Min(hn::Max(v, zero), one); };
  int x = 0;
  for (; x + lanes <= pixels; x += lanes) {
    hn::Vec<decltype(d)> r, g, b;
    hn::LoadInterleaved3(d, values + 3 * x, r, g, b);
    const auto n = hn::LoadU(d, noise + x);
    hn::StoreInterleaved3(clamp(hn::Add(r, n)), clamp(hn::Add(g, n)), clamp(hn::Add(b, n)), d,
                          values + 3 * x);
  }
  for (; x < pixels; ++x)
    for (int c = 0; c < 3; ++c) {
      const float v = values[3 * x + c] + noise[x];
      values[3 * x + c] = v < 0.f ? 0.f : (v > 1.f ? 1.f : v);
    }
}

}  // namespace pf::degrade::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <cmath>
#include <cstring>

#include "degrade/simd/noise_stream.h"

namespace pf::degrade {

HWY_EXPORT(Words);
HWY_EXPORT(NormalCandidates);
HWY_EXPORT(Scale);
HWY_EXPORT(AddScaledClamped);
HWY_EXPORT(AddGrayClamped);

namespace {

// Marsaglia & Tsang's 128-layer ziggurat for the standard normal.
constexpr int kLayers = 128;
constexpr double kTailStart = 3.442619855899;       // R: where the base layer's tail begins
constexpr double kLayerArea = 9.91256303526217e-3;  // V: the area of every layer

double gauss_shape(double x) {
  return std::exp(-0.5 * x * x);
}

// Layer edges x[0..128] (x[0] = V / f(R), the base layer's virtual width; x[128] = 0) in float
// for the vector test, and the density at each edge for the wedge test. Built once, read-only.
struct Ziggurat {
  alignas(64) float edge[kLayers + 1];
  double density[kLayers + 1];
  Ziggurat() {
    double x[kLayers + 1];
    x[0] = kLayerArea / gauss_shape(kTailStart);
    x[1] = kTailStart;
    for (int i = 1; i < kLayers - 1; ++i)
      x[i + 1] = std::sqrt(-2.0 * std::log(gauss_shape(x[i]) + kLayerArea / x[i]));
    x[kLayers] = 0.0;
    for (int i = 0; i <= kLayers; ++i) {
      edge[i] = static_cast<float>(x[i]);
      density[i] = gauss_shape(x[i]);
    }
  }
};

const Ziggurat& ziggurat() {
  static const Ziggurat z;
  return z;
}

float candidate(uint32_t word, int& layer) {
  layer = static_cast<int>(word & 127u);
  const float u = static_cast<float>(static_cast<int32_t>(word) >> 8) * 0x1.0p-23f;
  return u * ziggurat().edge[layer];
}

}  // namespace

NoiseStream::NoiseStream(Rng& rng) : rng_(rng) {
  for (int lane = 0; lane < kLanes; ++lane) {
    uint32_t any = 0;
    for (int k = 0; k < 4; k += 2) {
      const uint64_t v = rng.next_u64();
      state_[k][lane] = static_cast<uint32_t>(v);
      state_[k + 1][lane] = static_cast<uint32_t>(v >> 32);
      any |= state_[k][lane] | state_[k + 1][lane];
    }
    if (any == 0) state_[0][lane] = 1;  // the all-zero state would stay zero
  }
  ziggurat();  // built here, not inside the first row
}

float NoiseStream::finish_normal(uint32_t word, Rng& rng) {
  const Ziggurat& z = ziggurat();
  for (;;) {
    int i;
    const float x = candidate(word, i);
    if (std::fabs(x) < z.edge[i + 1]) return x;
    if (i == 0) {  // the base layer beyond R: Marsaglia's tail method
      double tx, ty;
      do {
        tx = std::log(1.0 - rng.uniform()) / kTailStart;
        ty = std::log(1.0 - rng.uniform());
      } while (-2.0 * ty < tx * tx);
      return static_cast<float>(x < 0 ? tx - kTailStart : kTailStart - tx);
    }
    if (z.density[i + 1] + (z.density[i] - z.density[i + 1]) * rng.uniform() <
        gauss_shape(static_cast<double>(x)))
      return x;
    word = static_cast<uint32_t>(rng.next_u64() >> 32);
  }
}

void NoiseStream::words(uint32_t* out, int n) {
  uint32_t* state = &state_[0][0];
  const int full = n / kLanes;
  if (full > 0) HWY_DYNAMIC_DISPATCH(Words)(state, full, out);
  if (n % kLanes != 0) {
    alignas(64) uint32_t last[kLanes];
    HWY_DYNAMIC_DISPATCH(Words)(state, 1, last);
    std::copy(last, last + n % kLanes, out + full * kLanes);
  }
}

void NoiseStream::unit_normals(float* out, int count) {
  alignas(64) uint32_t words[kChunk];
  alignas(64) float edges[2 * kChunk];
  uint16_t rejected[kChunk / kLanes];
  const Ziggurat& z = ziggurat();
  const int blocks = (count + kLanes - 1) / kLanes;
  HWY_DYNAMIC_DISPATCH(Words)(&state_[0][0], blocks, words);
  // The layer edges by scalar loads, not vector gathers: on Zen 2 an 8-lane gather costs about
  // 25 cycles, three times the eight loads it replaces (this loop is compiled for the baseline
  // instruction set, which has no gather). edge[i] and edge[i + 1] in one 8-byte copy.
  for (int i = 0; i < blocks * kLanes; ++i)
    std::memcpy(edges + 2 * i, z.edge + (words[i] & 127u), 8);
  HWY_DYNAMIC_DISPATCH(NormalCandidates)(words, edges, blocks, out, rejected);
  for (int b = 0; b < blocks; ++b)  // the rejected lanes in index order: the same extra draws
    for (uint32_t lanes = rejected[b]; lanes != 0; lanes &= lanes - 1) {
      const int i = b * kLanes + __builtin_ctz(lanes);
      out[i] = finish_normal(words[i], rng_);
    }
}

void NoiseStream::normals(float* out, int n, float scale) {
  alignas(64) float unit[kChunk];
  for (int done = 0; done < n;) {
    const int count = std::min(n - done, kChunk);
    unit_normals(unit, count);
    HWY_DYNAMIC_DISPATCH(Scale)(unit, count, scale, out + done);
    done += count;
  }
}

void add_clamped(float* values, const float* noise, int n) {
  HWY_DYNAMIC_DISPATCH(AddScaledClamped)(values, noise, n, 1.f);  // noise * 1 is noise, exactly
}

void add_clamped_gray(float* values, const float* noise, int pixels) {
  HWY_DYNAMIC_DISPATCH(AddGrayClamped)(values, noise, pixels);
}

void NoiseStream::add_normals_clamped(float* values, int n, float scale) {
  alignas(64) float unit[kChunk];
  for (int done = 0; done < n;) {
    const int count = std::min(n - done, kChunk);
    unit_normals(unit, count);
    HWY_DYNAMIC_DISPATCH(AddScaledClamped)(values + done, unit, count, scale);
    done += count;
  }
}

}  // namespace pf::degrade
#endif  // HWY_ONCE

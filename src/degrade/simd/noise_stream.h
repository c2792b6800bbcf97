// The random numbers of the noise operators, vectorised: sixteen xoshiro128++ generators side by
// side, one per lane of a 512-bit vector, with a 128-layer float ziggurat for normal samples.
//
// The sixteen lanes are fixed, whatever the vector width: AVX-512 steps them in one vector, AVX2
// in two, SSE4 in four and the scalar target one by one, so every instruction set draws the same
// words in the same order. Samples the ziggurat rejects (about 1.2 %, the layer edges and the
// tail) are finished in scalar code with extra draws from the operator's Rng, in index order. So
// a seed gives the same noise on any machine. Float arithmetic only, without fused
// multiply-adds (the file is compiled with -ffp-contract=off).
#pragma once
#include <cstdint>

#include "core/rng.h"

namespace pf::degrade {

// values[i] = clamp(values[i] + noise[i], 0, 1), vectorised.
void add_clamped(float* values, const float* noise, int n);
// values[3 x + c] = clamp(values[3 x + c] + noise[x], 0, 1) for the `pixels` pixels of an RGB row.
void add_clamped_gray(float* values, const float* noise, int pixels);

class NoiseStream {
 public:
  static constexpr int kLanes = 16;

  // Seeded from `rng`, which also supplies the rejected samples' extra draws: it must outlive
  // the stream.
  explicit NoiseStream(Rng& rng);

  // n 32-bit random words. Words are made in blocks of kLanes: the unused rest of the last block
  // is dropped, so a call's words depend only on the calls before it and their sizes.
  void words(uint32_t* out, int n);
  // n standard normal samples times `scale`.
  void normals(float* out, int n, float scale);
  // values[i] = clamp(values[i] + scale * N(0, 1), 0, 1): additive Gaussian noise with clipping,
  // Real-ESRGAN's clip=True.
  void add_normals_clamped(float* values, int n, float scale);

  // The scalar end of a sample the vector test rejected: the ziggurat's wedge and tail tests,
  // new draws from `rng` until one is accepted. Exposed for the tests.
  static float finish_normal(uint32_t word, Rng& rng);

 private:
  // Samples per kernel call: 64 blocks.
  static constexpr int kChunk = 64 * kLanes;
  // `count` (at most kChunk) standard normals into `out`, which has room for whole blocks.
  void unit_normals(float* out, int count);

  alignas(64) uint32_t state_[4][kLanes];
  Rng& rng_;
};

}  // namespace pf::degrade

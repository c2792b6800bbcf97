// Poisson noise of 8-bit-rounded samples drawn from alias tables (built by degrade/ops/noise.cpp),
// vectorised with Google Highway: the levels, the picked entries and the output in vector passes,
// the two table reads between them in scalar loops (cheaper than vector gathers on AMD cores).
// Integer index arithmetic and float arithmetic without fused multiply-adds (the file is compiled
// with -ffp-contract=off): the bytes of the scalar code on every instruction set.
#pragma once
#include <cstdint>
#include <vector>

namespace pf::degrade {

// The alias tables of the 256 levels, flattened.
struct PoissonTables {
  static constexpr int kSizeBits = 12;  // a table has fewer than 4096 entries
  // Per 8-bit level: the index of its first entry << kSizeBits | its number of entries.
  std::vector<uint32_t> levels = std::vector<uint32_t>(256);
  // Two words per entry: the probability of keeping the entry's own count rather than its
  // alias, times 2^32; then own | alias << 16 (photon counts).
  std::vector<uint32_t> entries;
};

// The 8-bit level of v: clamped to [0, 1], times 255, rounded half away from zero (std::round).
inline int level_of(float v) {
  const float scaled = (v < 0.f ? 0.f : (v > 1.f ? 1.f : v)) * 255.f;
  const int whole = static_cast<int>(scaled);
  return whole + (scaled - static_cast<float>(whole) >= 0.5f);
}

// out[x] = (count / levels - q / 255) * scale, Real-ESRGAN's (poisson(v * levels) / levels - v)
// * scale, where q is the level of in[x] and its count is drawn from q's table by words[x]: with
// u = word / 2^32, the integer part of u * n picks one of the n entries and the fraction (the low
// 32 bits of word * n) decides between its own count and its alias.
void poisson_noise_row(const float* in, const uint32_t* words, int n, const PoissonTables& tables,
                       float inverse_levels, float scale, float* out);

}  // namespace pf::degrade

// The vectorised float -> 8-bit quantisation of PNG rows (io/simd/quantise_row.h): the bytes of
// the scalar rule (x * 255 + 0.5, clipped, truncated) for every instruction set, at the rounding
// boundaries and outside [0, 1].
#include "io/simd/quantise_row.h"

#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace pf::io {
namespace {

uint8_t scalar_rule(float v) {
  float scaled = v * 255.f;
  scaled += 0.5f;
  return static_cast<uint8_t>(static_cast<int32_t>(std::min(std::max(scaled, 0.f), 255.49f)));
}

TEST(QuantiseRow, EveryInstructionSetGivesTheScalarRulesBytes) {
  std::vector<float> in;
  for (int k = 0; k <= 255; ++k) {
    const float centre = static_cast<float>(k) / 255.f, half = (k + 0.5f) / 255.f;
    for (const float v : {centre, std::nextafter(half, 0.f), half, std::nextafter(half, 2.f)})
      in.push_back(v);
  }
  for (const float v : {-1.f, -1e-9f, 1.f + 1e-7f, 1.002f, 7.f}) in.push_back(v);
  in.push_back(0.3f);  // an odd count: the last samples take the scalar tail
  std::vector<uint8_t> expected(in.size());
  for (size_t i = 0; i < in.size(); ++i) expected[i] = scalar_rule(in[i]);
  int targets = 0;
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    std::vector<uint8_t> out(in.size(), 0);
    quantise_row_8bit(in.data(), static_cast<int>(in.size()), out.data());
    EXPECT_EQ(out, expected) << hwy::TargetName(target);
    ++targets;
  }
  hwy::SetSupportedTargetsForTest(0);
  EXPECT_GE(targets, 1);
  EXPECT_EQ(expected[0], 0);
  EXPECT_EQ(expected[4 * 255], 255);
}

}  // namespace
}  // namespace pf::io

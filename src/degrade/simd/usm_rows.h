// The per-pixel steps of the unsharp mask (degrade/ops/sharpen.cpp), vectorised with Google
// Highway at the widest instruction set the CPU has; without fused multiply-adds (the file is
// compiled with -ffp-contract=off), so every instruction set gives the bytes of the scalar loops.
#pragma once
#include <cstdint>

namespace pf::degrade {

// mask[x] = |in[x] - blur[x]| * 255 > threshold ? 1 : 0 (Real-ESRGAN's USM threshold, 0-255).
void usm_threshold_row(const float* in, const float* blur, int n, float threshold, uint16_t* mask);
// out[x] = s * clamp(in[x] + amount * (in[x] - blur[x]), 0, 1) + (1 - s) * in[x], where
// s = soft[x] / kMaskOne (usm_mask.h). `out` may be `in`.
void usm_blend_row(const float* in, const float* blur, const uint16_t* soft, int n, float amount,
                   float* out);

}  // namespace pf::degrade

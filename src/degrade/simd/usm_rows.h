// The per-pixel steps of the unsharp mask (degrade/ops/sharpen.cpp), vectorised with Google
// Highway at the widest instruction set the CPU has; without fused multiply-adds (the file is
// compiled with -ffp-contract=off), so every instruction set gives the bytes of the scalar loops
// they replace.
#pragma once

namespace pf::degrade {

// mask[x] = |in[x] - blur[x]| * 255 > threshold ? 1 : 0 (Real-ESRGAN's USM threshold, 0-255).
void usm_threshold_row(const float* in, const float* blur, int n, float threshold, float* mask);
// out[x] = soft[x] * clamp(in[x] + amount * (in[x] - blur[x]), 0, 1) + (1 - soft[x]) * in[x].
// `out` may be `in`.
void usm_blend_row(const float* in, const float* blur, const float* soft, int n, float amount,
                   float* out);

}  // namespace pf::degrade

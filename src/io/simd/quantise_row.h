// Float samples to 8-bit PNG samples, vectorised with Google Highway: round half up, as the
// fixtures README specifies (x * 255 + 0.5, clipped, truncated), with the multiply and the add
// kept apart (the file is compiled with -ffp-contract=off), so every instruction set gives the
// bytes of the scalar loop.
#pragma once
#include <cstdint>

namespace pf::io {

void quantise_row_8bit(const float* in, int n, uint8_t* out);

}  // namespace pf::io

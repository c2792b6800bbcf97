// The instruction-set-specific parts of conv3x3_nhwc.h: the direct kernel's row and Winograd's
// chunk of tiles, compiled once for AVX-512F (32 registers of 16 floats) and once for AVX2 + FMA
// (16 registers of 8) from the same source (conv3x3_simd.inc). The callers split the work
// between threads and pick the widest set this CPU runs.
#pragma once
#include <cstddef>

namespace pf::models::conv3x3 {

// What one output row of the direct kernel needs: the three input rows around it (null outside
// the image), the weights as [tap][input channel][output channel], the bias.
struct RowJob {
  const float* rows[3];
  int width, cin, cout;
  const float* weights;
  const float* bias;
  float* out;  // the output row, channels-last
};

// One image of the Winograd convolution.
struct WinogradJob {
  const float* in;  // one image, channels-last
  float* out;
  int height, width, cin, cout;
  const float* u;  // transformed weights, [16][cin][cout]
  const float* bias;
};

struct Kernels {
  const char* name;
  void (*conv_row)(const RowJob&);
  // Output rows 2 * ty and 2 * ty + 1, tiles [tx0, tx0 + tiles); v and m: scratch of
  // 16 * tiles * cin and 16 * tiles * cout floats.
  void (*winograd_chunk)(const WinogradJob&, int ty, int tx0, int tiles, float* v, float* m);
};

// The kernels of the widest instruction set this CPU runs (AVX-512F, else AVX2 with FMA), or
// nullptr (other CPUs, other architectures): the convolutions then stay with torch.
const Kernels* best_kernels();
// Each set, for the tests: nullptr where this CPU or build cannot run it.
const Kernels* avx512_kernels();
const Kernels* avx2_kernels();

}  // namespace pf::models::conv3x3

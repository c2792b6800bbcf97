// The unsharp mask's soft mask (the Gaussian blur of its 0/1 threshold mask) in 16-bit fixed
// point: 32 lanes in an AVX-512 vector where floats have 16, so the two 51-tap passes over the
// mask cost about half of what they cost in float. The error is bounded and small: the soft mask
// only weighs the sharpened pixel against the original, so an error e in it moves an output pixel
// by at most e * amount / (1 + amount) on [0, 1] images (the sharpened pixel is clamped to
// [0, 1]). A window of zeros gives exactly 0 and a window of ones exactly 1, so flat and
// low-contrast areas stay byte-identical, and integer arithmetic gives the same bytes on every
// instruction set.
#pragma once
#include <cstdint>
#include <vector>

#include "degrade/simd/sym_filter.h"

namespace pf::degrade {

// 1.0 in the fixed-point soft mask: a power of two, so soft = V * (1 / kMaskOne) is exact.
constexpr int kMaskOne = 1 << 15;

struct MaskKernel {
  // Row pass over the 0/1 mask: row[0] is the centre weight, row[k] the weight of offsets -k and
  // +k; integers summing to kMaskOne over the whole kernel (a window of ones gives kMaskOne).
  std::vector<uint16_t> row;
  // Added to every row-pass output: it centres the truncation of the column pass's products
  // (see usm_mask_kernel) and still leaves windows of zeros at exactly 0.
  uint16_t offset = 0;
  // Column pass: sum_k floor(mean_k * column[k] / 65536), where mean_0 is the centre row and
  // mean_k the rounded-up mean of rows -k and +k. column[k] is 2 w_k (w_0 for the centre) in
  // units of 1/65536: even numbers summing to 65536, so that kMaskOne stays exactly kMaskOne.
  std::vector<uint16_t> column;
  // Worst case of |soft - exact soft| over every 0/1 mask: the quantised weights, the rounded
  // means and the truncated products together.
  double bound = 0;
};
// The fixed-point form of `gauss`, the half of a normalised Gaussian (OpenCV's, in float).
MaskKernel usm_mask_kernel(const HalfKernel& gauss);
// The largest change the fixed-point soft mask makes to an output pixel of a [0, 1] image.
inline double usm_mask_output_bound(const MaskKernel& k, double amount) {
  return k.bound * amount / (1 + amount);
}

// The column pass works in tiles of this many values; a tile of a row-pass output whose every
// window held only zeros is `quiet`: all its values are the kernel's offset, and a column of
// quiet tiles gives exactly 0, so both passes skip such stretches (flat areas, where a frame's
// mask is empty, cost next to nothing) with the same bytes.
constexpr int kMaskTileValues = 256;
inline int mask_tiles(int n) {
  return (n + kMaskTileValues - 1) / kMaskTileValues;
}

// A mask row with room for `half` mirrored pixels on each side (BORDER_REFLECT_101).
class MaskRow {
 public:
  MaskRow(int width, int channels, int half);
  uint16_t* data() { return buf_.data() + start_; }
  // Mirrors the margins, then runs the row pass into `out` (width * channels values). With
  // `quiet`, stretches whose windows hold only zeros are filled without filtering and
  // quiet[t] says whether tile t of `out` is quiet (mask_tiles(width * channels) flags).
  void filter(const MaskKernel& k, uint16_t* out, uint8_t* quiet = nullptr);

 private:
  std::vector<uint16_t> buf_;
  std::vector<uint8_t> busy_;  // filter's scratch: which 64-value blocks hold a one
  int width_, channels_, half_;
  size_t start_;  // index of pixel 0: at least half_ pixels in, on a 64-byte boundary
};

// The column pass of `count` consecutive output rows, laid out as sym_filter_columns's: rows[j]
// for j in [0, count + 2 * half) from `half` above the first output row, n values per row:
// out = sum_k floor(mean_k * column[k] / 65536), mean_k as MaskKernel::column describes (any
// 16-bit values: half + 1 weights in 1/65536 that sum to at most 65536). With `quiet` (quiet[j]:
// row j's flags from MaskRow::filter), a tile whose source rows are all quiet is filled with 0.
void fixed_filter_columns(const uint16_t* const* rows, int count,
                          const std::vector<uint16_t>& column, int n, uint16_t* const* out,
                          const uint8_t* const* quiet = nullptr);
inline void usm_mask_columns(const uint16_t* const* rows, int count, const MaskKernel& k, int n,
                             uint16_t* const* out, const uint8_t* const* quiet = nullptr) {
  fixed_filter_columns(rows, count, k.column, n, out, quiet);
}

// `targets` rounded to integers that sum to `total`: each rounded down, then the ones with the
// largest remainders rounded up (each ends less than 1 from its target).
std::vector<uint16_t> round_to_total(const std::vector<double>& targets, long total);

}  // namespace pf::degrade

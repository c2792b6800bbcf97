// Separable filters whose taps are symmetric (Gaussian, windowed sinc, FIR high-shelf) on
// interleaved float images, vectorised with Google Highway and dispatched at run time to the
// widest instruction set the CPU has (SSE4, AVX2, AVX-512, NEON, ...).
//
// Each output is w[0] * x[0] + sum_k w[k] * (x[-k] + x[+k]): the symmetric pairs are added
// before they are weighted, so a 51-tap pass costs 26 multiplies instead of 51. The lanes never
// use fused multiply-adds and the order of the sums is fixed, so every instruction set gives the
// same bytes (same seed, same output on any machine). Against OpenCV's sepFilter2D on the same
// taps the results differ only in float rounding (summation order): about 1e-7.
#pragma once
#include <cstddef>
#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

namespace pf::degrade {

// One half of a symmetric kernel: half[0] is the centre tap, half[k] the weight of offsets -k
// and +k. A kernel of size 2n+1 has n+1 entries. An antisymmetric (`odd`) kernel has weight
// half[k] at +k, -half[k] at -k and a zero centre: the odd terms of a 2-D kernel's separable
// expansion (a rotated anisotropic Gaussian has them), which cost the same as the even ones.
struct HalfKernel : std::vector<float> {
  using std::vector<float>::vector;
  bool odd = false;
};

// The half of an odd-sized kernel; throws unless `taps` is symmetric within 1e-7 relative.
HalfKernel half_of_symmetric(const std::vector<double>& taps);
// The same for a kernel that is symmetric or antisymmetric; throws if it is neither.
HalfKernel half_of_kernel(const std::vector<double>& taps);
// OpenCV's Gaussian of `ksize` taps (odd) and `sigma` (<= 0: OpenCV's sigma from ksize), in float
// as cv::GaussianBlur uses it on float images.
HalfKernel gaussian_half_kernel(int ksize, double sigma = 0);

// Rows [y0, y1) of `src` (CV_32FC1..4) filtered by `kx` along rows and `ky` along columns into
// `dst` (y1 - y0 rows, reallocated if needed), the edges of the whole image mirrored as
// BORDER_REFLECT_101 (OpenCV's default). Rows outside [y0, y1) are read as the filter needs them,
// so stripes of a frame equal the same rows of the whole-frame result. With `accumulate`, the
// result is added to `dst` (which must have the size and type already): dst + result, the same
// bytes as adding a separately filtered term.
void sym_sep_filter_rows(const cv::Mat& src, int y0, int y1, const HalfKernel& kx,
                         const HalfKernel& ky, cv::Mat& dst, bool accumulate = false);

// cv::borderInterpolate(i, n, BORDER_REFLECT_101), also for offsets beyond one image size.
int mirror_row(int i, int n);

// Row-level parts, for operators that stream rows through ring buffers.
// The column filter of `count` consecutive output rows: rows[j] (j in [0, count + 2 * half)) are
// the source rows from `half` above the first output row to `half` below the last (mirrored by
// the caller), n the floats per row, out[r] the output rows.
void sym_filter_columns(const float* const* rows, int count, const HalfKernel& k, int n,
                        float* const* out);
// Output rows batched by the streaming filters: enough for the source rows of a column tile to be
// reused from cache, few enough that they stay there.
constexpr int kRowBatch = 16;

// Fills the `half` pixels on each side of a row of `width` interleaved pixels with their mirror
// images (BORDER_REFLECT_101), for the row filters.
template <class T>
void mirror_margins(T* row, int width, int channels, int half) {
  for (int j = 1; j <= half; ++j) {
    const int left = mirror_row(-j, width), right = mirror_row(width - 1 + j, width);
    for (int c = 0; c < channels; ++c) {
      row[-j * channels + c] = row[left * channels + c];
      row[(width - 1 + j) * channels + c] = row[right * channels + c];
    }
  }
}

// The index of the first element of `buf` at least `margin` elements in that starts on a 64-byte
// boundary: row buffers whose vector loads and stores never straddle two cache lines.
template <class T>
size_t aligned_start(const std::vector<T>& buf, size_t margin) {
  const auto address = reinterpret_cast<uintptr_t>(buf.data() + margin);
  return margin + (64 - address % 64) % 64 / sizeof(T);
}

// A row buffer with room for `half` mirrored pixels on each side, for the row filter.
class PaddedRow {
 public:
  PaddedRow(int width, int channels, int half);
  // A copy is a fresh row of the same shape (its own aligned start).
  PaddedRow(const PaddedRow& o) : PaddedRow(o.width_, o.channels_, o.half_) {}
  PaddedRow& operator=(const PaddedRow&) = delete;
  // 64-byte aligned, so that the column filter's vector stores into it never straddle two cache
  // lines.
  float* data() { return buf_.data() + start_; }
  // Mirrors the margins from data()'s `width` pixels, then filters the row into `out` (adds the
  // filtered row to `out` with `accumulate`).
  void filter(const HalfKernel& k, float* out, bool accumulate = false);

 private:
  std::vector<float> buf_;
  int width_, channels_, half_;
  size_t start_;  // index of pixel 0 in buf_: at least half_ pixels in, on a 64-byte boundary
};

// A 2-D kernel with point symmetry (every blur kernel of the engine: Gaussians, generalized and
// plateau shapes, sinc, box, disc) as pairs of opposite taps, the smallest pairs dropped while
// their L1 mass fits `budget`: an elongated or rotated kernel keeps the taps along its axis only.
struct PairedTaps {
  bool symmetric = false;  // false: the kernel has no point symmetry (nothing else is set)
  float centre = 0;
  std::vector<int> dy, dx;  // one tap of each pair; the other is at (-dy, -dx)
  std::vector<float> w;
  int reach = 0;          // the largest |dy| or |dx| kept
  double dropped_l1 = 0;  // L1 mass of the dropped taps: the largest change on [0, 1] images
};
PairedTaps paired_taps(const cv::Mat& kernel, double budget);
// `src` (CV_32FC1..4) convolved with the kept taps, BORDER_REFLECT_101.
void paired_taps_filter(const cv::Mat& src, cv::Mat& dst, const PairedTaps& taps);

inline void sym_sep_filter(const cv::Mat& src, cv::Mat& dst, const HalfKernel& kx,
                           const HalfKernel& ky) {
  sym_sep_filter_rows(src, 0, src.rows, kx, ky, dst);
}

}  // namespace pf::degrade

// Blur kernels, shared with the tests (closed-form checks) and other operators.
#pragma once
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace pf::degrade {

struct BlurParams {
  std::string kernel;                 // iso, aniso, generalized_iso, ..., sinc, box, disc, motion
  int size;                           // odd kernel size
  double sigma_x, sigma_y, rotation;  // Gaussian family; rotation in degrees
  double beta;                        // shape of generalized (exp) and plateau kernels
  double cutoff;                      // sinc cutoff omega_c in radians/pixel
  double radius;                      // disc radius in pixels
  double length, angle;               // motion blur: length in pixels, direction in degrees
};

// The normalised (sum 1) CV_32F kernel described by `p`.
cv::Mat make_blur_kernel(const BlurParams& p);

// A kernel as a sum of separable terms: sum over i of column[i] (rows, CV_32F, n x 1) times
// row[i] (1 x n), from its SVD, with just enough terms that the dropped part's L1 norm is at most
// `tolerance` (so the convolution of an image in [0, 1] moves by at most that). Exactly separable
// kernels (iso Gaussian, box) need one term.
struct SeparableTerms {
  std::vector<cv::Mat> columns, rows;
  double residual_l1;  // L1 norm of kernel - sum of the terms
};
SeparableTerms separable_terms(const cv::Mat& kernel, double tolerance);

// The approximation blur_image may make: the L1 norm of (kernel - what is applied), so on an image
// in [0, 1] no output moves by more than this (plus float rounding): 0.4/255, under the 0.5/255
// that an 8-bit output can show. The blurred frame goes through noise, resizes and codecs after
// this; Real-ESRGAN's kernels need 1-4 separable terms within it instead of up to 15 at 1e-5.
constexpr double kBlurApproximationL1 = 0.4 / 255;

// cv::filter2D with BORDER_REFLECT_101, faster: the kernel's near-zero rim is trimmed, then the
// cheaper of filter2D and the separable terms runs, within kBlurApproximationL1 of filter2D with
// the whole kernel.
// The separable path runs in stripes of `stripe_rows` rows (0: about 1 Mpixel each).
void blur_image(const cv::Mat& src, cv::Mat& dst, const cv::Mat& kernel, int stripe_rows = 0);

}  // namespace pf::degrade

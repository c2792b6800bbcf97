// Sharpening kernels, shared with the tests (DC gain, overshoot and ringing checks).
#pragma once
#include <opencv2/core.hpp>
#include <vector>

#include "degrade/simd/usm_blur.h"
#include "degrade/simd/usm_mask.h"

namespace pf::degrade {

// 1-D linear-phase FIR high-shelf, designed as in the 2xLiveActionV1_SPAN degradation script
// (jcj83429/upscaling): scipy's firwin2(taps, [0, corner, corner + 0.1, 1], [1, 1, boost, boost],
// window=None), i.e. frequency sampling without a window, then normalised to DC gain exactly 1.
// `corner` is normalised to Nyquist = 1; the gain ramps from 1 to `boost` over [corner,
// corner + 0.1]. Short unwindowed kernels overshoot, and with 5 or 7 taps and a high corner their
// outer taps turn positive: a second, opposite halo (ringing) beyond the first.
std::vector<double> fir_sharpen_taps(int taps, double corner, double boost);

// basicsr's usm_sharp (Real-ESRGAN's USMSharp): Gaussian blur of kernel size `radius` (made odd
// by adding 1, so 50 -> 51) with OpenCV's default sigma; residual = img - blur; only where
// |residual| * 255 > threshold (mask softened by the same blur) is img + amount * residual
// (clipped to [0, 1]) blended in.
// Rows stream through ring buffers of one kernel height (blur, masks), so besides the image it
// holds a few times radius rows. The soft mask is blurred in 16-bit fixed point (usm_mask.h), and
// so is the image where usm_blurs_in_fixed_point allows (usm_blur.h); otherwise the image blur is
// the float filter of degrade/simd/sym_filter.h, equal to OpenCV's GaussianBlur up to float
// rounding (about 1e-7). The result stays within usm_mask_output_bound, plus amount * the blur's
// bound where the image blur is fixed point, of the float computation; pixels whose residual lies
// within that blur bound of `threshold` may fall on the other side of it, as any change of the
// blur's rounding can move them.
cv::Mat usm_sharpen(const cv::Mat& img, int radius, double amount, double threshold);
// The same, writing into `img` (CV_32F, any channel count). With `img8` (3-channel images), also
// the result quantised for an 8-bit PNG (io::quantise_row_8bit, CV_8UC3), each row as it is made.
void usm_sharpen_in_place(cv::Mat& img, int radius, double amount, double threshold,
                          cv::Mat* img8 = nullptr);
// The same into a new image that `dst` then holds (`dst` may be `src`, or share its pixels).
void usm_sharpen_into(const cv::Mat& src, cv::Mat& dst, int radius, double amount, double threshold,
                      cv::Mat* dst8 = nullptr);
// The largest change the fixed-point blurs may make to an output pixel, in [0, 1] units: the image
// blur is fixed point only while both bounds together stay within it, and while the threshold
// exceeds the blur's bound, so that flat and nearly flat areas (residuals below threshold - bound)
// stay exactly as they were. A threshold of 0 sharpens every pixel by its residual, where the
// blur's error would show everywhere: the float blur does that.
constexpr double kUsmFixedBudget = 0.25 / 255;
bool usm_blurs_in_fixed_point(const MaskKernel& mask, const BlurKernel& blur, double amount,
                              double threshold);
// The straightforward whole-image version on OpenCV's GaussianBlur (full-size temporaries), kept
// as the equivalence reference for the streamed one.
cv::Mat usm_sharpen_reference(const cv::Mat& img, int radius, double amount, double threshold);

}  // namespace pf::degrade

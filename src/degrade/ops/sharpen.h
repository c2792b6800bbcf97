// Sharpening kernels, shared with the tests (DC gain, overshoot and ringing checks).
#pragma once
#include <opencv2/core.hpp>
#include <vector>

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
// Rows stream through two ring buffers of one kernel height (blur, softened mask), so besides the
// image it holds about 2 * radius rows, and the blurs are the vectorised separable filters of
// degrade/simd/sym_filter.h: equal to OpenCV's GaussianBlur up to float rounding (about 1e-7).
cv::Mat usm_sharpen(const cv::Mat& img, int radius, double amount, double threshold);
// The same, writing into `img` (CV_32F, any channel count).
void usm_sharpen_in_place(cv::Mat& img, int radius, double amount, double threshold);
// The straightforward whole-image version on OpenCV's GaussianBlur (full-size temporaries), kept
// as the equivalence reference for the streamed one.
cv::Mat usm_sharpen_reference(const cv::Mat& img, int radius, double amount, double threshold);

}  // namespace pf::degrade

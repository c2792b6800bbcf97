// OpenCV's INTER_AREA downscale by a non-integer factor, for float images, with OpenCV's bytes and
// about twice its speed. cv::resize takes that case through a scalar loop that adds each source
// pixel's share into its output pixel in memory (ResizeArea_Invoker); here each output pixel's
// shares are summed in a register, three colour samples in one vector, and the rows are weighed
// together with vector code. Every output value is the same sum in the same order (products and
// sums rounded to float one by one, no fused multiply-adds), so the result equals cv::resize's
// to the bit (tested on random sizes against OpenCV 4.6 as Debian 12 builds it). Unlike
// cv::resize, whose bytes may change with the instruction sets an OpenCV build is made for, this
// gives the same bytes on every machine.
#pragma once
#include <opencv2/core.hpp>

namespace pf::degrade {

// Whether cv::resize(src, dst, size, 0, 0, INTER_AREA) takes the path area_resize reproduces:
// float samples, 1 to 4 channels, no axis growing, and not both factors integers (OpenCV's
// block-average path).
bool area_resize_applies(const cv::Mat& src, cv::Size size);
// cv::resize(src, dst, size, 0, 0, INTER_AREA) where area_resize_applies.
cv::Mat area_resize(const cv::Mat& src, cv::Size size);

}  // namespace pf::degrade

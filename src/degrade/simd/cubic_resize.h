// OpenCV's INTER_CUBIC resize (a = -0.75, replicated borders) for float images, with OpenCV's
// bytes and about twice its speed. cv::resize runs the horizontal pass in scalar code, one
// sample at a time; here a pixel's three or four samples go through the four taps side by side in
// one vector, and the vertical pass runs on whole vectors. Every output value is the sum OpenCV
// makes, in its order (its vertical pass sums the taps in one order on its 4-float vectors and in
// another on the last width % 4 values of a row), rounded to float at each step without fused
// multiply-adds, so the result equals cv::resize's to the bit (tested on random sizes against
// OpenCV 4.6 as Debian 12 builds it, whose resize.cpp has no fused multiply-adds either). Unlike
// cv::resize, whose bytes may change with the instruction sets an OpenCV build is made for, this
// gives the same bytes on every machine.
#pragma once
#include <opencv2/core.hpp>

namespace pf::degrade {

// Whether cubic_resize reproduces cv::resize(src, dst, size, 0, 0, INTER_CUBIC): float samples,
// 1 to 4 channels, a size other than the source's.
bool cubic_resize_applies(const cv::Mat& src, cv::Size size);
cv::Mat cubic_resize(const cv::Mat& src, cv::Size size);

}  // namespace pf::degrade

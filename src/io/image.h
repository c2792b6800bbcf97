// Image files: read 8/16-bit PNG, JPEG, WebP, TIFF (with alpha) into RGB float, write PNG
// atomically (temp file + rename) so an interrupted job never leaves half a file.
#pragma once
#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "io/png_writer.h"

namespace pf::io {

struct Image {
  cv::Mat rgb;    // CV_32FC3, RGB, [0, 1]
  cv::Mat alpha;  // CV_32FC1 in [0, 1], empty when the file has none
  int bit_depth = 8;
};

// Throws pf::InputError naming the file when it is missing, unreadable or corrupt, or when it
// is larger than max_image_pixels().
Image read_image(const std::string& path);
// Decodes an encoded buffer (same conventions); `name` is used in errors.
Image decode_image(const std::vector<uint8_t>& bytes, const std::string& name);

// PNG bytes of a float RGB image (+ optional alpha), quantised with round-half-up, 8 or 16 bits;
// `compression` is io/png_writer.h's level (0 stores ... 12 smallest). An 8-bit RGB image
// (CV_8UC3, already quantised: degrade::Pair::hq8) is written as it is, at 8 bits, without alpha.
// A 16-bit RGB image (CV_16UC3, a video frame's native samples) is written at 16 bits.
std::vector<uint8_t> encode_png(const cv::Mat& rgb, const cv::Mat& alpha, int bit_depth,
                                int compression = kPngCompressionDefault, const PngTags& tags = {});

// Writes `bytes` to `path` through a unique temp file in the same folder and a rename.
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes);
void write_file_atomic(const std::string& path, const std::string& text);
void write_png_atomic(const std::string& path, const cv::Mat& rgb, const cv::Mat& alpha,
                      int bit_depth, int compression = kPngCompressionDefault,
                      const PngTags& tags = {});

// True for a temp file (from write_file_atomic) that no live writer will rename: its process
// on this host is gone, or it is an hour old.
bool is_stale_temp(const std::string& path);
// The temp name a writer with process id `pid` on this host would use (tests simulate kills).
std::string temp_path_for_tests(const std::string& path, long pid);

// Float RGB [0,1] <-> 8-bit BGR(A) as OpenCV's encoders want it.
cv::Mat to_bgr_u8(const cv::Mat& rgb);
cv::Mat from_bgr_u8(const cv::Mat& bgr);

bool is_image_file(const std::string& path);

// The largest image decoded: Pillow's decompression-bomb limit, 178956970 pixels (13377 x 13377,
// 2 GiB as float RGB), unless the environment variable PAIRFORGE_MAX_IMAGE_PIXELS gives another.
uint64_t max_image_pixels();

}  // namespace pf::io

// OpenCV's imgcodecs as Debian builds it pulls GDAL, Poppler and HDF5: ~120 shared libraries
// and ~80 ms of start-up in every process that links it. pairforge decodes PNG and JPEG itself
// (io/native_decode.h) and reaches imgcodecs only for the other formats (WebP, TIFF, BMP) and
// the webp operator, through a small module (libpf_imgcodecs.so) loaded on first use.
#pragma once
#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace pf::io {

// cv::imdecode / cv::imencode through the module; cv::Exception passes through. Throws
// pf::Error when the module cannot be loaded.
cv::Mat imdecode_lazy(const std::vector<uint8_t>& bytes, int flags);
bool imencode_lazy(const std::string& ext, const cv::Mat& img, std::vector<uint8_t>& out,
                   const std::vector<int>& params = {});

}  // namespace pf::io

// libpf_imgcodecs.so, the module io/lazy_imgcodecs.cpp loads on first use: the only code that
// links OpenCV's imgcodecs (and so GDAL & co.) in the pairforge binary's process.
#include <opencv2/imgcodecs.hpp>

extern "C" {

__attribute__((visibility("default"))) void pf_imgcodecs_decode(const std::vector<uint8_t>* bytes,
                                                                int flags, cv::Mat* out) {
  *out = cv::imdecode(*bytes, flags);
}

__attribute__((visibility("default"))) bool pf_imgcodecs_encode(const char* ext, const cv::Mat* img,
                                                                std::vector<uint8_t>* out,
                                                                const std::vector<int>* params) {
  return cv::imencode(ext, *img, *out, *params);
}
}

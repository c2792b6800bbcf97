// PNG writers side by side on 1920x1080 frames: what io::encode_png wrote before (OpenCV's
// libpng + zlib at its fast defaults: level 1, Z_RLE, SUB filter) against io/png_writer.cpp
// (libdeflate) per level and row filter. Prints a Markdown table of median ms and MB per frame,
// and checks every file decodes to the same pixels.
// Usage: png_bench [frames dir (default datasets/samples)] [runs (default 5)]
#include <fmt/format.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "io/image.h"
#include "io/png_writer.h"
#include "median_time.h"

namespace fs = std::filesystem;
using namespace pf;

int main(int argc, char** argv) {
  const fs::path dir = argc > 1 ? argv[1] : fs::path(PAIRFORGE_SOURCE_DIR) / "datasets/samples";
  const int runs = argc > 2 ? std::stoi(argv[2]) : 5;
  std::vector<cv::Mat> frames;  // 8-bit BGR, 1920x1080
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!io::is_image_file(e.path().string())) continue;
    cv::Mat m = cv::imread(e.path().string(), cv::IMREAD_COLOR), r;
    cv::resize(m, r, cv::Size(1920, 1080), 0, 0, cv::INTER_AREA);
    frames.push_back(r);
  }
  if (frames.empty()) throw std::runtime_error(dir.string() + ": no images");
  std::vector<cv::Mat> rgb16(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    cv::Mat rgb;
    cv::cvtColor(frames[i], rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(rgb16[i], CV_16UC3, 257.0);
  }
  fmt::print("{} frames of 1920x1080 from {}, median of {} runs\n\n", frames.size(), dir.string(),
             runs);
  fmt::print("| writer | bits | ms/frame | MB/frame |\n|---|---:|---:|---:|\n");

  auto report = [&](const std::string& name, int bits, auto&& encode) {
    double bytes = 0;
    const double s = median_seconds(
        [&] {
          bytes = 0;
          for (size_t i = 0; i < frames.size(); ++i) bytes += encode(i).size();
        },
        runs);
    // Same pixels back, whatever the writer.
    for (size_t i = 0; i < frames.size(); ++i) {
      const cv::Mat back = cv::imdecode(encode(i), cv::IMREAD_UNCHANGED);
      cv::Mat want = bits == 8 ? frames[i] : rgb16[i];
      if (bits == 16) cv::cvtColor(want, want, cv::COLOR_RGB2BGR);
      if (back.size() != want.size() || back.type() != want.type() ||
          cv::norm(back, want, cv::NORM_INF) != 0)
        throw std::runtime_error(name + ": decoded pixels differ");
    }
    fmt::print("| {} | {} | {:.1f} | {:.2f} |\n", name, bits, 1000 * s / frames.size(),
               bytes / frames.size() / 1e6);
  };

  for (int bits : {8, 16}) {
    report("libpng + zlib (OpenCV defaults: level 1, RLE, SUB)", bits, [&](size_t i) {
      std::vector<uint8_t> out;
      cv::Mat bgr = bits == 8 ? frames[i] : cv::Mat();
      if (bits == 16) cv::cvtColor(rgb16[i], bgr, cv::COLOR_RGB2BGR);
      cv::imencode(".png", bgr, out);
      return out;
    });
    const char* filter_names[] = {"none", "sub", "up", "average", "paeth"};
    // Level 0 here stands for pairforge's level 1 (io/fast_deflate), the default.
    for (int level : {0, 1, 2, 3, 6, 12}) {
      for (int f = 0; f <= 4; ++f) {
        if (level > 1 && f != static_cast<int>(io::default_png_filter(bits))) continue;
        const std::string name =
            level == 0 ? fmt::format("fast deflate (level 1), {}", filter_names[f])
                       : fmt::format("libdeflate level {}, {}", level, filter_names[f]);
        report(name, bits, [&](size_t i) {
          const cv::Mat& m = bits == 8 ? frames[i] : rgb16[i];
          cv::Mat rgb;  // a new buffer: cvtColor into a header of `m` would swap it in place
          if (bits == 8)
            cv::cvtColor(m, rgb, cv::COLOR_BGR2RGB);
          else
            rgb = m;
          const size_t row = static_cast<size_t>(rgb.cols) * 3 * bits / 8;
          return io::encode_png(
              {rgb.cols, rgb.rows, 3, bits},
              [&](int y, uint8_t* out) {
                if (bits == 8) {
                  std::memcpy(out, rgb.ptr(y), row);
                } else {
                  const uint16_t* s = rgb.ptr<uint16_t>(y);
                  for (size_t k = 0; k < row / 2; ++k)
                    out[2 * k] = static_cast<uint8_t>(s[k] >> 8),
                            out[2 * k + 1] = static_cast<uint8_t>(s[k]);
                }
              },
              std::max(level, 1), static_cast<io::PngFilter>(f),
              level == 0 ? io::PngDeflate::kFastest : io::PngDeflate::kLibdeflate);
        });
      }
    }
  }
}

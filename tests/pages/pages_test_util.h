// Shared by the page tests: synthetic images with known pixels, the data a page holds, the
// binary, and the browser (Debian's chromium through puppeteer-core, both from install-deps).
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>

#include "test_util.h"

namespace pf::test {

using Rgb = cv::Vec3b;
using PixelFn = std::function<Rgb(int, int)>;

// An RGB float image whose 8-bit pixels are exactly f(x, y).
inline cv::Mat image_of(int width, int height, const PixelFn& f) {
  cv::Mat m(height, width, CV_32FC3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const Rgb c = f(x, y);
      m.at<cv::Vec3f>(y, x) = cv::Vec3f(c[0], c[1], c[2]) / 255.f;
    }
  return m;
}

inline Rgb rgb_at(const cv::Mat& rgb, int x, int y) {
  const cv::Vec3f v = rgb.at<cv::Vec3f>(y, x) * 255.f;
  return Rgb(cv::saturate_cast<uchar>(v[0]), cv::saturate_cast<uchar>(v[1]),
             cv::saturate_cast<uchar>(v[2]));
}

// The JSON a page was built from: compare's index.html (setData(...)) or a report's data.js.
inline nlohmann::json page_data(const std::string& file) {
  const std::string text = read_file(file);
  const bool report = file.size() >= 7 && file.compare(file.size() - 7, 7, "data.js") == 0;
  const std::string open = report ? "pfReport(" : "pfViewer.setData(";
  const auto begin = text.find(open);
  const auto end = text.rfind(");");
  if (begin == std::string::npos || end == std::string::npos) return nullptr;
  return nlohmann::json::parse(text.substr(begin + open.size(), end - begin - open.size()));
}

// Runs `command` (stdout to `out` when given, stderr kept with it) and returns its exit code.
inline int run_shell(const std::string& command, std::string* out = nullptr) {
  std::string full = command + " 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  if (!pipe) return -1;
  char buffer[4096];
  std::string text;
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) text.append(buffer, n);
  const int rc = ::pclose(pipe);
  if (out) *out = text;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

inline int run_pairforge(const std::string& args, std::string* out = nullptr) {
  return run_shell(std::string(PAIRFORGE_BINARY) + " " + args, out);
}

inline std::string puppeteer_package() {
  return std::string(PAIRFORGE_SOURCE_DIR) + "/tools/node_modules/puppeteer-core";
}

// The browser to drive: $PAIRFORGE_CHROMIUM, else the first chromium on PATH; empty if none.
inline std::string find_chromium() {
  if (const char* env = std::getenv("PAIRFORGE_CHROMIUM")) return env;
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    std::string path;
    if (run_shell(std::string("command -v ") + name, &path) == 0 && !path.empty()) {
      while (!path.empty() && (path.back() == '\n' || path.back() == '\r')) path.pop_back();
      return path;
    }
  }
  return "";
}

// Empty when a browser test can run; otherwise why not (the test skips with it).
inline std::string browser_missing() {
  if (std::string(PAIRFORGE_BINARY).empty()) return "pairforge is not built in this configuration";
  if (run_shell("node --version") != 0) return "node is not on PATH";
  if (!std::filesystem::exists(puppeteer_package()))
    return puppeteer_package() + " is absent; run scripts/install-deps.sh (it installs it)";
  const std::string chromium = find_chromium();
  if (chromium.empty())
    return "no chromium on PATH (or $PAIRFORGE_CHROMIUM); scripts/install-deps.sh installs "
           "Debian's";
  if (::access(chromium.c_str(), X_OK) != 0) return chromium + " (the browser) is not executable";
  return "";
}

#define PF_REQUIRE_BROWSER() \
  if (const auto why = pf::test::browser_missing(); !why.empty()) GTEST_SKIP() << why

#ifdef PAIRFORGE_TEST_ARTEFACTS
// Where the browser tests keep their screenshots (the build tree).
inline std::string artefacts_dir() {
  return PAIRFORGE_TEST_ARTEFACTS;
}
#endif

}  // namespace pf::test

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <opencv2/core/utils/logger.hpp>
#include <stdexcept>
#include <string>

#include "fuzz_target.h"

extern "C" {
#include <libavutil/log.h>
}

namespace pf::fuzz {

void quiet_logs() {
  static const bool done = [] {
    spdlog::set_level(spdlog::level::off);
    av_log_set_level(AV_LOG_QUIET);
    // The codec operators raise the level again for their own errors: no output at any level.
    av_log_set_callback([](void*, int, const char*, va_list) {});
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    return true;
  }();
  (void)done;
}

namespace {

[[noreturn]] void finding(const std::string& what) {
#ifdef PAIRFORGE_LIBFUZZER
  std::fprintf(stderr, "fuzz: %s\n", what.c_str());
  std::abort();
#else
  throw std::logic_error(what);
#endif
}

}  // namespace

void expected(const std::exception& e) {
  const std::string what = e.what();
  // Only the prefix: the input's own text (a JSON error quotes it) may say "internal" anywhere.
  if (what.rfind("internal:", 0) == 0)
    finding(std::string("an internal invariant failed: ") + what);
}

void check_failed(const char* condition, const char* file, int line) {
  finding(std::string(file) + ":" + std::to_string(line) + ": check failed: " + condition);
}

}  // namespace pf::fuzz
